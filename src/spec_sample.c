#include "spec_sample.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "dot.h"
#include "engine.h"
#include "spec.h"

typedef struct Sampler {
	const Model *m[2];      /* target, draft */
	Engine *eng[2];
	int cap, k;
	int *tok;               /* (cap) known tokens, then the proposals */
	double *p;              /* (k+1, V) target distributions t..t+k */
	double *q;              /* (k, V) draft distributions of d_1..d_k */
	double *scratch;        /* (V) */
	uint64_t rng;
} Sampler;

/* splitmix64: a small, well-mixed generator with a 64-bit state. */
static uint64_t rng_next(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* Uniform in [0, 1) with 53 random bits. */
static double rng_unit(uint64_t *s)
{
	return (double)(rng_next(s) >> 11) * 0x1.0p-53;
}

/* An index drawn from the weights w[0..n) (not all zero). */
static int draw(uint64_t *s, const double *w, int n)
{
	double sum = 0;
	for (int i = 0; i < n; i++)
		sum += w[i];
	double u = rng_unit(s) * sum, acc = 0;
	int last = 0;
	for (int i = 0; i < n; i++) {
		if (w[i] <= 0)
			continue;
		acc += w[i];
		last = i;
		if (u < acc)
			return i;
	}
	return last;
}

static int sampler_open(Sampler *s, const Model *t, const Model *d,
			const SpecSampleConfig *c, KvError *err)
{
	if (c->k < 1 || c->k > SPEC_MAX_K)
		return kv_error_set(err, EX_USAGE,
				    "-k expects a lookahead from 1 to %d, got %d",
				    SPEC_MAX_K, c->k);
	if (spec_check_pair(t, d, err))
		return err->code;
	int maxpos = model_max_positions(t) < model_max_positions(d) ?
			     model_max_positions(t) : model_max_positions(d);
	if (c->prompt_n < 1 || c->generate < 0 ||
	    (long)c->prompt_n + c->generate > maxpos)
		return kv_error_set(err, EX_USAGE,
				    "%d prompt + %d generated tokens do not fit the %d positions the models allow",
				    c->prompt_n, c->generate, maxpos);
	*s = (Sampler){ .m = { t, d }, .k = c->k, .rng = c->seed };
	long want = (long)c->prompt_n + c->generate + c->k + 1;
	s->cap = want < maxpos ? (int)want : maxpos;
	int V = t->vocab_n;
	for (int w = 0; w < 2; w++) {
		EngineSpec es = { .capacity = s->cap, .max_seqs = 1,
				  .keeps_cache = true, .elem_bytes = 4 };
		if (!(s->eng[w] = engine_new_spec(s->m[w], &es, err)))
			return err->code;
	}
	s->tok = calloc((size_t)s->cap, sizeof *s->tok);
	s->p = calloc((size_t)(c->k + 1) * (size_t)V, sizeof *s->p);
	s->q = calloc((size_t)c->k * (size_t)V, sizeof *s->q);
	s->scratch = calloc((size_t)V, sizeof *s->scratch);
	if (!s->tok || !s->p || !s->q || !s->scratch)
		return kv_error_set(err, EX_OSERR, "out of memory");
	memcpy(s->tok, c->prompt, (size_t)c->prompt_n * sizeof *s->tok);
	return 0;
}

static void sampler_close(Sampler *s)
{
	engine_free(s->eng[0]);
	engine_free(s->eng[1]);
	free(s->tok);
	free(s->p);
	free(s->q);
	free(s->scratch);
}

/* Keeps the target's logits of every verified column, as probabilities. */
typedef struct Catch {
	Sampler *s;
	int t;
} Catch;

static void catch_logits(void *ctx, int seq, Matrix mat, int layer, int head,
			 int col, int first_row, const double *v, int n)
{
	Catch *c = ctx;
	(void)seq, (void)layer, (void)head, (void)first_row;
	if (mat == MAT_LOGITS && col >= c->t && col - c->t <= c->s->k)
		softmax(c->s->p + (size_t)(col - c->t) * (size_t)n, v, n);
}

static int one_pass(Sampler *s, int w, int lo, int hi, int logits_lo,
		    const EngineSink *sink, KvError *err)
{
	PassChunk ch = { .seq = 1, .lo = lo, .hi = hi, .tokens = s->tok,
			 .logits_lo = logits_lo };
	Counters c;
	PassInfo info;
	return engine_run(s->eng[w], &ch, 1, sink, &c, &info, err);
}

/* Both models over the prompt 1..P; p at P into s->p. */
static int sampler_prefill(Sampler *s, int P, KvError *err)
{
	int rc = one_pass(s, 0, 1, P, 0, NULL, err);
	if (!rc)
		rc = one_pass(s, 1, 1, P, 0, NULL, err);
	if (!rc)
		softmax(s->p, engine_logits(s->eng[0]), s->m[0]->vocab_n);
	return rc;
}

/*
 * One iteration at t (tokens 1..t known): writes the emitted tokens to
 * s->tok[t..] and returns how many (1..k+1), or -1 with `err` set.
 */
static int sampler_iterate(Sampler *s, int t, int k, SpecSampleStats *st,
			   KvError *err)
{
	int V = s->m[0]->vocab_n;
	int dlen = kv_cache_len(engine_cache(s->eng[1]), 1);
	for (int i = 1; i <= k; i++) {
		int hi = t + i - 1, lo = i == 1 ? dlen + 1 : hi;
		if (one_pass(s, 1, lo, hi, 0, NULL, err))
			return -1;
		double *q = s->q + (size_t)(i - 1) * (size_t)V;
		softmax(q, engine_logits(s->eng[1]), V);
		s->tok[hi] = draw(&s->rng, q, V);
	}
	Catch c = { s, t };
	EngineSink sink = { .column = catch_logits, .ctx = &c };
	if (one_pass(s, 0, t, t + k, t, &sink, err))
		return -1;
	int a = 0, next = -1;
	for (; a < k; a++) {
		int d = s->tok[t + a];
		double pd = s->p[(size_t)a * (size_t)V + (size_t)d];
		double qd = s->q[(size_t)a * (size_t)V + (size_t)d];
		if (rng_unit(&s->rng) < (pd < qd ? pd / qd : 1.0))
			continue;
		for (int v = 0; v < V; v++) {
			double r = s->p[(size_t)a * (size_t)V + (size_t)v] -
				   s->q[(size_t)a * (size_t)V + (size_t)v];
			s->scratch[v] = r > 0 ? r : 0;
		}
		next = draw(&s->rng, s->scratch, V);
		st->resampled++;
		break;
	}
	if (a == k) {
		next = draw(&s->rng, s->p + (size_t)k * (size_t)V, V);
		st->bonus++;
	}
	s->tok[t + a] = next;
	st->iterations++;
	st->proposed += k;
	st->accepted += a;
	if (engine_truncate(s->eng[0], 1, t + a, NULL, err) ||
	    engine_truncate(s->eng[1], 1, t + a < t + k - 1 ? t + a : t + k - 1,
			    NULL, err))
		return -1;
	return a + 1;
}

int spec_sample_run(const Model *target, const Model *draft,
		    const SpecSampleConfig *c, int *tokens,
		    SpecSampleStats *stats, KvError *err)
{
	Sampler s;
	memset(&s, 0, sizeof s);
	memset(stats, 0, sizeof *stats);
	int P = c->prompt_n, N = c->generate, rc = sampler_open(&s, target,
							      draft, c, err);
	if (!rc && N > 0)
		rc = sampler_prefill(&s, P, err);
	int generated = 0;
	if (!rc && N > 0) {
		s.tok[P] = draw(&s.rng, s.p, target->vocab_n);
		generated = 1;
	}
	while (!rc && generated < N) {
		int t = P + generated;
		int k = c->k < s.cap - t ? c->k : s.cap - t;
		int got = sampler_iterate(&s, t, k, stats, err);
		if (got < 0)
			rc = err->code;
		else
			generated += got;
	}
	if (!rc)
		memcpy(tokens, s.tok, (size_t)(P + N) * sizeof *tokens);
	sampler_close(&s);
	return rc;
}

int spec_sample_first(const Model *target, const Model *draft,
		      const SpecSampleConfig *c, uint64_t *hist, double *p,
		      KvError *err)
{
	Sampler s;
	memset(&s, 0, sizeof s);
	SpecSampleConfig one = *c;
	one.generate = 2;
	int P = c->prompt_n, V = target->vocab_n;
	int rc = sampler_open(&s, target, draft, &one, err);
	if (!rc)
		rc = sampler_prefill(&s, P, err);
	if (rc) {
		sampler_close(&s);
		return rc;
	}
	s.tok[P] = argmax(engine_logits(s.eng[0]), V);
	int k = c->k < s.cap - (P + 1) ? c->k : s.cap - (P + 1);
	memset(hist, 0, (size_t)V * sizeof *hist);
	SpecSampleStats st = { 0 };
	for (int i = 0; i < c->trials && !rc; i++) {
		/* back to the prompt: each trial is a fresh first iteration */
		rc = engine_truncate(s.eng[0], 1, P, NULL, err) ||
		     engine_truncate(s.eng[1], 1, P, NULL, err) ? EX_SOFTWARE : 0;
		if (!rc && sampler_iterate(&s, P + 1, k, &st, err) < 0)
			rc = err->code;
		if (!rc)
			hist[s.tok[P + 1]]++;
		if (i == 0 && !rc)
			memcpy(p, s.p, (size_t)V * sizeof *p);
	}
	sampler_close(&s);
	return rc;
}

static int print_trials(FILE *out, const Model *t, const Model *d,
			const SpecSampleConfig *c, KvError *err)
{
	int V = t->vocab_n;
	uint64_t *hist = calloc((size_t)V, sizeof *hist);
	double *p = calloc((size_t)V, sizeof *p);
	int rc = hist && p ? spec_sample_first(t, d, c, hist, p, err)
			   : kv_error_set(err, EX_OSERR, "out of memory");
	if (!rc) {
		fprintf(out, "%d sampled first iterations (seed %llu, k = %d): the token at position %d\n",
			c->trials, (unsigned long long)c->seed, c->k,
			c->prompt_n + 2);
		fprintf(out, "%-12s %9s %9s %9s\n", "token", "count",
			"observed", "target p");
		double chi = 0;
		for (int v = 0; v < V; v++) {
			double e = p[v] * c->trials;
			chi += e > 0 ? ((double)hist[v] - e) * ((double)hist[v] - e) / e : 0;
			fprintf(out, "%-12s %9llu %9.4f %9.4f\n", t->vocab[v],
				(unsigned long long)hist[v],
				(double)hist[v] / c->trials, p[v]);
		}
		fprintf(out, "chi-square %.2f with %d degrees of freedom\n", chi,
			V - 1);
	}
	free(hist);
	free(p);
	return rc;
}

int spec_sample_print(FILE *out, const Model *t, const Model *d,
		      const SpecSampleConfig *c, KvError *err)
{
	int rc;
	if (c->trials > 0) {
		rc = print_trials(out, t, d, c, err);
	} else {
		int *tok = calloc((size_t)(c->prompt_n + c->generate) + 1,
				  sizeof *tok);
		SpecSampleStats st;
		rc = tok ? spec_sample_run(t, d, c, tok, &st, err)
			 : kv_error_set(err, EX_OSERR, "out of memory");
		if (!rc) {
			for (int i = 0; i < c->prompt_n + c->generate; i++)
				fprintf(out, "%s%s", i ? " " : "", t->vocab[tok[i]]);
			fprintf(out, "\n%d target passes after the prefill, %d of %d proposals accepted, %d resampled, %d bonus tokens (seed %llu)\n",
				st.iterations, st.accepted, st.proposed,
				st.resampled, st.bonus,
				(unsigned long long)c->seed);
		}
		free(tok);
	}
	if (!rc && (fflush(out) != 0 || ferror(out)))
		rc = kv_error_set(err, EX_IOERR, "cannot write output: %s",
				  strerror(errno));
	return rc;
}
