/*
 * Speculative decoding: the target's kept values equal the cache mode's
 * bit for bit (memcmp), the tokens are the greedy ones, acceptance matches
 * a plain re-computation (fresh no-cache passes of the draft and the
 * greedy sequence), and the two extreme drafts behave as they must: one
 * that is always wrong gives one token per target pass, the target itself
 * as draft gives k+1.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "dot.h"
#include "engine.h"
#include "model.h"
#include "run.h"
#include "spec.h"
#include "spec_sample.h"
#include "trace.h"

static bool checked_mat(Matrix m)
{
	return m == MAT_Q || m == MAT_K || m == MAT_V || m == MAT_Z ||
	       m == MAT_LOGITS || m == MAT_X || m == MAT_H;
}

/*
 * Every value the target kept equals the trace's, bit for bit, and every
 * position 1..T-1 was kept (Q, K, V and Z of every head and layer).
 */
static void assert_identical(const SpecRun *r, const Trace *tr)
{
	int T = trace_steps(tr);
	const Model *m = spec_model(r, SPEC_TARGET);
	for (int pos = 1; pos <= T; pos++)
		assert_int_equal(spec_tokens(r)[pos - 1], trace_token(tr, pos));
	const SpecCell *c;
	size_t n = spec_cells(r, &c);
	int *kept = calloc((size_t)T + 1, sizeof *kept);
	assert_non_null(kept);
	size_t compared = 0;
	for (size_t i = 0; i < n; i++) {
		if (c[i].model != SPEC_TARGET || c[i].status != SPEC_COMPUTED ||
		    !checked_mat(c[i].mat) || c[i].col > T)
			continue;
		double want;
		int layer = c[i].mat == MAT_LOGITS ? 1 : c[i].layer;
		assert_true(trace_value_at(tr, layer, c[i].head, c[i].mat,
					   c[i].row, c[i].col, &want));
		if (memcmp(&want, &c[i].value, sizeof want) != 0)
			fail_msg("iteration %d %s[%d,%d] layer %d head %d: %.17g != %.17g",
				 c[i].iter, matrix_name(c[i].mat), c[i].row,
				 c[i].col, c[i].layer, c[i].head, c[i].value,
				 want);
		compared++;
		if (c[i].mat == MAT_Q)
			kept[c[i].col]++;
	}
	int per_pos = m->n_layers * m->n_heads * m->d_k;
	for (int pos = 1; pos < T; pos++)
		assert_int_equal(kept[pos], per_pos);
	assert_true(compared > 0);
	free(kept);
}

/* d_1..d_k of iteration `it` from fresh no-cache passes of the draft. */
static void recompute_proposals(const Model *d, const int *prefix,
				const SpecIter *it, int *out)
{
	int cap = it->t + it->k;
	int *tok = calloc((size_t)cap, sizeof *tok);
	assert_non_null(tok);
	memcpy(tok, prefix, (size_t)it->t * sizeof *tok);
	for (int i = 1; i <= it->k; i++) {
		Engine *e = engine_new(d, cap, false, 4, NULL);
		assert_non_null(e);
		Counters c;
		PassInfo info;
		int hi = it->t + i - 1;
		engine_pass(e, tok, 1, hi, NULL, &c, &info);
		out[i - 1] = argmax(engine_logits(e), d->vocab_n);
		tok[hi] = out[i - 1];
		engine_free(e);
	}
	free(tok);
}

/* Acceptance against the greedy sequence of the trace. */
static void assert_acceptance(const SpecRun *r, const Trace *tr)
{
	int T = trace_steps(tr), N = spec_generate(r);
	int total = spec_iter(r, 0)->emitted_n;
	int *greedy = calloc((size_t)T + SPEC_MAX_K + 2, sizeof *greedy);
	assert_non_null(greedy);
	for (int p = 1; p <= T; p++)
		greedy[p] = trace_token(tr, p);
	for (int i = 1; i < spec_iters(r); i++) {
		const SpecIter *it = spec_iter(r, i);
		int d[SPEC_MAX_K];
		recompute_proposals(spec_model(r, SPEC_DRAFT), spec_tokens(r),
				    it, d);
		assert_memory_equal(d, it->draft, (size_t)it->k * sizeof *d);
		int a = 0;
		while (a < it->k && it->t + a + 1 <= T &&
		       d[a] == greedy[it->t + a + 1])
			a++;
		if (it->t + a + 1 <= T) /* past T the trace has no greedy token */
			assert_int_equal(it->accepted, a);
		int want_n = it->accepted + 1 < N - total ? it->accepted + 1
							  : N - total;
		assert_int_equal(it->emitted_n, want_n);
		for (int j = 0; j < it->emitted_n; j++)
			assert_int_equal(it->emitted[j], greedy[it->t + 1 + j]);
		assert_int_equal(it->target_keep, it->t + it->accepted);
		total += it->emitted_n;
		assert_int_equal(it->generated, total);
	}
	assert_int_equal(total, N);
	free(greedy);
}

static Trace *cache_trace(const Model *m, const int *prompt, int P, int N)
{
	RunConfig rc = run_config_default(m);
	rc.prompt = prompt;
	rc.prompt_n = P;
	rc.generate = N;
	KvError err;
	Trace *t = run_trace(m, &rc, &err);
	assert_non_null(t);
	return t;
}

static SpecRun *spec_of(const Model *t, const Model *d, const int *prompt,
			int P, int N, int k)
{
	SpecConfig sc = { .prompt = prompt, .prompt_n = P, .generate = N,
			  .k = k, .cells = true };
	KvError err;
	kv_error_clear(&err);
	SpecRun *r = spec_run(t, d, &sc, &err);
	if (!r)
		fail_msg("%s", err.msg);
	return r;
}

static void check_pair(const Model *t, const Model *d, const int *prompt,
		       int P, int N)
{
	Trace *tr = cache_trace(t, prompt, P, N);
	for (int k = 1; k <= 4; k++) {
		SpecRun *r = spec_of(t, d, prompt, P, N, k);
		assert_identical(r, tr);
		assert_acceptance(r, tr);
		spec_free(r);
	}
	trace_free(tr);
}

static Model *load(const char *name)
{
	KvError err;
	Model *m = model_load_named(name, &err);
	if (!m)
		fail_msg("%s", err.msg);
	return m;
}

static void test_bundled_pair(void **state)
{
	(void)state;
	Model *t = load("default"), *d = load("default-draft");
	check_pair(t, d, t->prompt, t->prompt_n, t->generate);
	check_pair(t, d, t->prompt, t->prompt_n, 12);
	model_free(t);
	model_free(d);
}

/* The default run shows both an accepted and a rejected proposal. */
static void test_bundled_pair_mixes(void **state)
{
	(void)state;
	Model *t = load("default"), *d = load("default-draft");
	SpecRun *r = spec_of(t, d, t->prompt, t->prompt_n, t->generate, 3);
	int acc = 0, rej = 0;
	for (int i = 1; i < spec_iters(r); i++) {
		const SpecIter *it = spec_iter(r, i);
		acc += it->accepted;
		rej += it->accepted < it->k;
	}
	assert_true(acc > 0);
	assert_true(rej > 0);
	assert_true(d->d_k < t->d_k || d->d_model < t->d_model);
	spec_free(r);
	model_free(t);
	model_free(d);
}

static Model *random_model(int dm, int dk, int dv, int layers, uint64_t seed)
{
	ModelShape s = { .d_model = dm, .d_k = dk, .d_v = dv, .vocab = 7,
			 .n_layers = layers, .n_heads = layers ? 2 : 0,
			 .n_kv_heads = layers ? 1 : 0, .prompt_n = 3,
			 .positions = 24, .with_positions = true };
	KvError err;
	Model *m = model_random(&s, seed, &err);
	assert_non_null(m);
	return m;
}

static void test_random_pairs(void **state)
{
	(void)state;
	for (uint64_t seed = 1; seed <= 6; seed++) {
		Model *t = random_model(6, 4, 5, seed % 2 ? 2 : 0, seed);
		Model *d = random_model(4, 3, 3, seed % 3 ? 1 : 0, seed + 100);
		check_pair(t, d, t->prompt, t->prompt_n, 14);
		/* the draft as target too: roles are symmetric */
		check_pair(d, t, d->prompt, d->prompt_n, 9);
		model_free(t);
		model_free(d);
	}
}

/*
 * The target with W_out's rows rotated by one: z is the target's (a classic
 * model's z does not read W_out), so its logit i is the target's logit i+1
 * and every first proposal is the token before the target's. Always wrong.
 */
static Model *wrong_draft(const Model *t)
{
	Model *d = load("default");
	size_t w = (size_t)model_out_dim(d);
	for (int i = 0; i < d->vocab_n; i++)
		memcpy(d->wout + (size_t)i * w,
		       t->wout + (size_t)((i + 1) % t->vocab_n) * w,
		       w * sizeof *d->wout);
	return d;
}

static void test_always_wrong(void **state)
{
	(void)state;
	Model *t = load("default"), *d = wrong_draft(t);
	int N = 8;
	Trace *tr = cache_trace(t, t->prompt, t->prompt_n, N);
	for (int k = 1; k <= 4; k++) {
		SpecRun *r = spec_of(t, d, t->prompt, t->prompt_n, N, k);
		assert_identical(r, tr);
		assert_int_equal(spec_iters(r), N); /* prefill + N-1 */
		for (int i = 1; i < spec_iters(r); i++) {
			assert_int_equal(spec_iter(r, i)->accepted, 0);
			assert_int_equal(spec_iter(r, i)->emitted_n, 1);
		}
		assert_int_equal(spec_total(r, SPEC_TARGET, N - 1).passes, N);
		spec_free(r);
	}
	trace_free(tr);
	model_free(t);
	model_free(d);
}

/* The target as its own draft: every proposal accepted, k+1 a pass. */
static void test_always_right(void **state)
{
	(void)state;
	Model *t = load("default");
	int N = 12;
	Trace *tr = cache_trace(t, t->prompt, t->prompt_n, N);
	for (int k = 1; k <= 4; k++) {
		SpecRun *r = spec_of(t, t, t->prompt, t->prompt_n, N, k);
		assert_identical(r, tr);
		int iters = (N - 1 + k) / (k + 1); /* ceil((N-1)/(k+1)) */
		assert_int_equal(spec_iters(r), 1 + iters);
		for (int i = 1; i < spec_iters(r); i++) {
			const SpecIter *it = spec_iter(r, i);
			assert_int_equal(it->accepted, k);
			assert_int_equal(it->wasted_macs, 0);
			if (i < iters)
				assert_int_equal(it->emitted_n, k + 1);
		}
		spec_free(r);
	}
	trace_free(tr);
	model_free(t);
}

/* Rollback statuses: the target's columns past t+a are rolled back. */
static void test_rolled_back_cells(void **state)
{
	(void)state;
	Model *t = load("default"), *d = wrong_draft(t);
	SpecRun *r = spec_of(t, d, t->prompt, t->prompt_n, 3, 2);
	const SpecCell *c;
	size_t n = spec_cells(r, &c);
	int P = t->prompt_n;
	size_t rb = 0, reused = 0;
	for (size_t i = 0; i < n; i++) {
		if (c[i].iter != 1 || c[i].model != SPEC_TARGET)
			continue;
		/* iteration 1 verifies P+1..P+3 and keeps P+1 */
		assert_true(c[i].col <= P + 3);
		if (c[i].status == SPEC_ROLLED_BACK) {
			assert_true(c[i].col > P + 1);
			rb++;
		} else if (c[i].status == SPEC_REUSED) {
			assert_true(c[i].mat == MAT_K || c[i].mat == MAT_V);
			assert_true(c[i].col <= P);
			reused++;
		} else {
			assert_true(c[i].col == P + 1 || c[i].mat == MAT_S ||
				    c[i].mat == MAT_A);
		}
	}
	/* K and V of P keys reused, once each */
	assert_int_equal(reused, (size_t)P * (size_t)(t->d_k + t->d_v));
	assert_true(rb > 0);
	spec_free(r);
	model_free(t);
	model_free(d);
}

static void test_vocab_mismatch(void **state)
{
	(void)state;
	Model *t = load("default");
	Model *d = random_model(4, 3, 3, 0, 5);
	KvError err;
	kv_error_clear(&err);
	SpecConfig sc = { .prompt = t->prompt, .prompt_n = t->prompt_n,
			  .generate = 3, .k = 3 };
	assert_null(spec_run(t, d, &sc, &err));
	assert_int_equal(err.code, EX_DATAERR);
	assert_non_null(strstr(err.msg, t->source));
	assert_non_null(strstr(err.msg, d->source));
	sc.k = 9;
	kv_error_clear(&err);
	assert_null(spec_run(t, t, &sc, &err));
	assert_int_equal(err.code, EX_USAGE);
	model_free(t);
	model_free(d);
}

/*
 * Sampling is lossless: 20000 first iterations with the bundled draft (and
 * the same seed every run) give a histogram within a chi-square bound of
 * the target's softmax. 6 degrees of freedom: 22.46 is the 0.999 quantile,
 * which a correct sampler passes for 999 seeds in 1000; the seed is fixed
 * so the figure is too.
 */
static void test_sample_histogram(void **state)
{
	(void)state;
	Model *t = load("default"), *d = load("default-draft");
	SpecSampleConfig c = { .prompt = t->prompt, .prompt_n = t->prompt_n,
			       .generate = 2, .k = 3, .seed = 1,
			       .trials = 20000 };
	uint64_t hist[KV_MAX_VOCAB];
	double p[KV_MAX_VOCAB];
	KvError err;
	kv_error_clear(&err);
	assert_int_equal(spec_sample_first(t, d, &c, hist, p, &err), 0);
	double chi = 0, sum = 0;
	uint64_t n = 0;
	for (int v = 0; v < t->vocab_n; v++) {
		double e = p[v] * c.trials;
		chi += (hist[v] - e) * (hist[v] - e) / e;
		sum += p[v];
		n += hist[v];
	}
	assert_int_equal(n, c.trials);
	assert_true(sum > 0.999999 && sum < 1.000001);
	assert_true(chi < 22.46);
	model_free(t);
	model_free(d);
}

/* p = q (the target as its own draft): min(1, p/q) = 1, all accepted. */
static void test_sample_self_draft(void **state)
{
	(void)state;
	Model *t = load("default");
	SpecSampleConfig c = { .prompt = t->prompt, .prompt_n = t->prompt_n,
			       .generate = 12, .k = 3, .seed = 7 };
	int a[32], b[32];
	SpecSampleStats st;
	KvError err;
	kv_error_clear(&err);
	assert_int_equal(spec_sample_run(t, t, &c, a, &st, &err), 0);
	assert_int_equal(st.accepted, st.proposed);
	assert_int_equal(st.resampled, 0);
	assert_int_equal(st.bonus, st.iterations);
	/* 11 tokens after x_{P+1}, 4 a pass: 3 iterations */
	assert_int_equal(st.iterations, 3);
	assert_int_equal(spec_sample_run(t, t, &c, b, &st, &err), 0);
	assert_memory_equal(a, b, (size_t)(t->prompt_n + 12) * sizeof *a);
	model_free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bundled_pair),
		cmocka_unit_test(test_bundled_pair_mixes),
		cmocka_unit_test(test_random_pairs),
		cmocka_unit_test(test_always_wrong),
		cmocka_unit_test(test_always_right),
		cmocka_unit_test(test_rolled_back_cells),
		cmocka_unit_test(test_vocab_mismatch),
		cmocka_unit_test(test_sample_histogram),
		cmocka_unit_test(test_sample_self_draft),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
