#include "spec.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "dot.h"
#include "engine.h"

/* Refuse runs whose recorded values would pass this many cells (about
 * 200 MB of SpecCell); the classroom runs record a few thousand. */
#define SPEC_MAX_CELLS (1u << 22)

struct SpecRun {
	const Model *m[2];     /* target, draft */
	SpecConfig cfg;
	int cap;               /* positions either engine holds */
	Engine *eng[2];
	int *tokens;           /* (cap) final ids; past the known ones: scratch */
	int *ttok;             /* (cap) target's tokens of the verify pass */
	int *dtok;             /* (cap) draft's tokens */
	double *vlogits;       /* (SPEC_MAX_K+1, vocab) verify logits t..t+k */
	SpecIter *iters;
	int n_iters, iters_cap;
	SpecCell *cells;
	size_t n_cells, cells_cap;
	bool oom;              /* memory ran out for the cells */
	bool too_many;         /* the cells passed SPEC_MAX_CELLS */
	bool overflow;         /* a value came out infinite or NaN */
	/* the pass in flight, for the sink */
	SpecModel cur;
	int cur_lo;            /* first column of the chunk: earlier K/V reused */
	int vt;                /* verify pass: first position (logits kept) */
};

const char *spec_model_name(SpecModel which)
{
	return which == SPEC_DRAFT ? "draft" : "target";
}

const char *spec_status_name(SpecStatus s)
{
	switch (s) {
	case SPEC_COMPUTED: return "computed";
	case SPEC_REUSED: return "reused";
	case SPEC_ROLLED_BACK: return "rolled_back";
	}
	return "";
}

int spec_check_pair(const Model *target, const Model *draft, KvError *err)
{
	bool same = target->vocab_n == draft->vocab_n;
	for (int i = 0; same && i < target->vocab_n; i++)
		same = strcmp(target->vocab[i], draft->vocab[i]) == 0;
	if (!same)
		return kv_error_set(err, EX_DATAERR,
				    "the draft %s and the target %s have different vocabularies; a draft must share the target's tokens, in the same order",
				    draft->source, target->source);
	return 0;
}

static void add_cell(SpecRun *r, const SpecCell *c)
{
	if (r->n_cells == r->cells_cap) {
		size_t n = r->cells_cap ? 2 * r->cells_cap : 1024;
		if (n > SPEC_MAX_CELLS) {
			r->too_many = true;
			return;
		}
		SpecCell *p = realloc(r->cells, n * sizeof *p);
		if (!p) {
			r->oom = true;
			return;
		}
		r->cells = p;
		r->cells_cap = n;
	}
	r->cells[r->n_cells++] = *c;
}

static void on_column(void *ctx, int seq, Matrix mat, int layer, int head,
		      int col, int first_row, const double *v, int n)
{
	SpecRun *r = ctx;
	(void)seq;
	for (int i = 0; i < n; i++)
		if (!isfinite(v[i]))
			r->overflow = true;
	if (mat == MAT_LOGITS && r->cur == SPEC_TARGET && r->vt > 0 &&
	    col >= r->vt && col - r->vt <= SPEC_MAX_K)
		memcpy(r->vlogits + (size_t)(col - r->vt) *
					    (size_t)r->m[0]->vocab_n,
		       v, (size_t)n * sizeof *v);
	if (!r->cfg.cells)
		return;
	for (int i = 0; i < n; i++) {
		SpecCell c = { .iter = r->n_iters, .model = r->cur,
			       .layer = layer, .head = head, .mat = mat,
			       .row = first_row + i, .col = col, .value = v[i],
			       .status = SPEC_COMPUTED };
		add_cell(r, &c);
	}
}

/* A K/V column read from the cache that an earlier pass stored: reused. */
static void on_cache(void *ctx, const KvEvent *ev)
{
	SpecRun *r = ctx;
	if (!r->cfg.cells || ev->kind != KV_EV_READ || ev->pos >= r->cur_lo)
		return;
	const Model *m = r->m[r->cur];
	const KvCache *kc = engine_cache(r->eng[r->cur]);
	for (int g = 1; g <= m->n_kv_heads; g++) {
		const double *k = kv_cache_k(kc, ev->seq, ev->layer, g, ev->pos);
		const double *v = kv_cache_v(kc, ev->seq, ev->layer, g, ev->pos);
		for (int i = 0; k && i < m->d_k; i++)
			add_cell(r, &(SpecCell){ .iter = r->n_iters,
				 .model = r->cur, .layer = ev->layer, .head = g,
				 .mat = MAT_K, .row = i + 1, .col = ev->pos,
				 .value = k[i], .status = SPEC_REUSED });
		for (int i = 0; v && i < m->d_v; i++)
			add_cell(r, &(SpecCell){ .iter = r->n_iters,
				 .model = r->cur, .layer = ev->layer, .head = g,
				 .mat = MAT_V, .row = i + 1, .col = ev->pos,
				 .value = v[i], .status = SPEC_REUSED });
	}
}

/* Marks what iteration `it` of `which` computed past `keep` as rolled back. */
static void mark_rolled_back(SpecRun *r, int it, SpecModel which, int keep)
{
	for (size_t i = r->n_cells; i-- > 0 && r->cells[i].iter == it;)
		if (r->cells[i].model == which && r->cells[i].col > keep &&
		    r->cells[i].status == SPEC_COMPUTED)
			r->cells[i].status = SPEC_ROLLED_BACK;
}

/* One pass of `which` over lo..hi of `tokens`; adds its counters. */
static int pass(SpecRun *r, SpecModel which, const int *tokens, int lo,
		int hi, int logits_lo, Counters *acc, KvError *err)
{
	EngineSink sink = { .column = on_column, .cache = on_cache, .ctx = r };
	PassChunk ch = { .seq = 1, .lo = lo, .hi = hi, .tokens = tokens,
			 .logits_lo = logits_lo };
	Counters c;
	PassInfo info;
	r->cur = which;
	r->cur_lo = lo;
	int rc = engine_run(r->eng[which], &ch, 1, &sink, &c, &info, err);
	if (rc)
		return rc;
	counters_accumulate(acc, &c); /* the caller sets acc->passes */
	return 0;
}

static int rollback(SpecRun *r, SpecModel which, int keep, KvError *err)
{
	EngineSink sink = { .column = on_column, .cache = on_cache, .ctx = r };
	r->cur = which;
	int rc = engine_truncate(r->eng[which], 1, keep, &sink, err);
	if (!rc && r->cfg.cells)
		mark_rolled_back(r, r->n_iters, which, keep);
	return rc;
}

/* MACs of one column j of a pass of model m, logits included. */
static uint64_t column_macs(const Model *m, int j)
{
	uint64_t H = (uint64_t)m->n_heads, G = (uint64_t)m->n_kv_heads;
	uint64_t dm = (uint64_t)m->d_model, dk = (uint64_t)m->d_k;
	uint64_t dv = (uint64_t)m->d_v, sum = 0;
	for (int l = 0; l < m->n_layers; l++) {
		uint64_t keys = (uint64_t)model_visible_upto(m, l, j, j);
		sum += dm * (H * dk + G * (dk + dv)) + H * (dk + dv) * keys;
		if (m->stacked)
			sum += dm * H * dv;
	}
	return sum + (uint64_t)m->vocab_n * (uint64_t)model_out_dim(m);
}

static SpecIter *iter_new(SpecRun *r)
{
	if (r->n_iters == r->iters_cap) {
		int n = r->iters_cap ? 2 * r->iters_cap : 16;
		SpecIter *p = realloc(r->iters, (size_t)n * sizeof *p);
		if (!p)
			return NULL;
		r->iters = p;
		r->iters_cap = n;
	}
	SpecIter *it = &r->iters[r->n_iters];
	memset(it, 0, sizeof *it);
	return it;
}

/* Iteration 0: both models prefill 1..P; the target's logits give x_{P+1}. */
static int prefill(SpecRun *r, KvError *err)
{
	int P = r->cfg.prompt_n;
	SpecIter *it = iter_new(r);
	if (!it)
		return kv_error_set(err, EX_OSERR, "out of memory");
	it->t = P;
	int rc = pass(r, SPEC_TARGET, r->tokens, 1, P, 0, &it->target_c, err);
	if (!rc)
		rc = pass(r, SPEC_DRAFT, r->tokens, 1, P, 0, &it->draft_c, err);
	if (rc)
		return rc;
	it->target[0] = argmax(engine_logits(r->eng[0]), r->m[0]->vocab_n);
	it->draft_lo = 1;
	it->target_keep = it->draft_keep = P;
	if (r->cfg.generate > 0) {
		r->tokens[P] = it->target[0];
		it->emitted[0] = it->target[0];
		it->emitted_n = 1;
	}
	it->generated = it->emitted_n;
	it->target_c.passes = it->draft_c.passes = 1;
	r->n_iters++;
	return 0;
}

/* Step 1: d_1..d_k, one draft pass each. */
static int propose(SpecRun *r, SpecIter *it, KvError *err)
{
	int t = it->t;
	int len = kv_cache_len(engine_cache(r->eng[1]), 1);
	memcpy(r->dtok, r->tokens, (size_t)t * sizeof *r->dtok);
	it->draft_lo = len + 1;
	for (int i = 1; i <= it->k; i++) {
		int hi = t + i - 1, lo = i == 1 ? len + 1 : hi;
		int rc = pass(r, SPEC_DRAFT, r->dtok, lo, hi, 0, &it->draft_c,
			      err);
		if (rc)
			return rc;
		it->draft[i - 1] = argmax(engine_logits(r->eng[1]),
					  r->m[1]->vocab_n);
		r->dtok[hi] = it->draft[i - 1];
	}
	it->draft_c.passes = (uint64_t)it->k;
	return 0;
}

/* Steps 2 and 3: one target pass over t..t+k, then the greedy check. */
static int verify(SpecRun *r, SpecIter *it, KvError *err)
{
	int t = it->t, k = it->k, V = r->m[0]->vocab_n;
	memcpy(r->ttok, r->tokens, (size_t)t * sizeof *r->ttok);
	memcpy(r->ttok + t, it->draft, (size_t)k * sizeof *r->ttok);
	r->vt = t;
	int rc = pass(r, SPEC_TARGET, r->ttok, t, t + k, t, &it->target_c, err);
	r->vt = 0;
	if (rc)
		return rc;
	it->target_c.passes = 1;
	for (int i = 0; i <= k; i++)
		it->target[i] = argmax(r->vlogits + (size_t)i * (size_t)V, V);
	int a = 0;
	while (a < k && it->draft[a] == it->target[a])
		a++;
	it->accepted = a;
	return 0;
}

/* Step 4 and the bookkeeping: emit, cut to N, roll back both caches. */
static int settle(SpecRun *r, SpecIter *it, int generated, KvError *err)
{
	int t = it->t, a = it->accepted, left = r->cfg.generate - generated;
	for (int i = 0; i <= a && it->emitted_n < left; i++) {
		int tok = i < a ? it->draft[i] : it->target[a];
		it->emitted[it->emitted_n++] = tok;
		r->tokens[t + i] = tok;
	}
	it->generated = generated + it->emitted_n;
	for (int j = t + a + 1; j <= t + it->k; j++)
		it->wasted_macs += column_macs(r->m[0], j);
	it->target_keep = t + a;
	int dlen = t + it->k - 1;
	it->draft_keep = t + a < dlen ? t + a : dlen;
	int rc = rollback(r, SPEC_TARGET, it->target_keep, err);
	if (!rc)
		rc = rollback(r, SPEC_DRAFT, it->draft_keep, err);
	return rc;
}

static int iterate(SpecRun *r, KvError *err)
{
	int P = r->cfg.prompt_n, N = r->cfg.generate;
	int generated = r->iters[0].generated;
	while (generated < N) {
		SpecIter *it = iter_new(r);
		if (!it)
			return kv_error_set(err, EX_OSERR, "out of memory");
		it->t = P + generated;
		it->k = r->cfg.k < r->cap - it->t ? r->cfg.k : r->cap - it->t;
		int rc = propose(r, it, err);
		if (!rc)
			rc = verify(r, it, err);
		if (!rc)
			rc = settle(r, it, generated, err);
		if (rc)
			return rc;
		generated = it->generated;
		r->n_iters++;
		if (r->overflow)
			break;
	}
	return 0;
}

static int config_check(const Model *t, const Model *d, const SpecConfig *c,
			KvError *err)
{
	if (c->k < 1 || c->k > SPEC_MAX_K)
		return kv_error_set(err, EX_USAGE,
				    "-k expects a lookahead from 1 to %d, got %d",
				    SPEC_MAX_K, c->k);
	if (c->prompt_n < 1 || c->generate < 0)
		return kv_error_set(err, EX_USAGE,
				    "a speculative run needs a prompt and N >= 0");
	int maxpos = model_max_positions(t) < model_max_positions(d) ?
			     model_max_positions(t) : model_max_positions(d);
	if ((long)c->prompt_n + c->generate > maxpos)
		return kv_error_set(err, EX_USAGE,
				    "%d prompt + %d generated tokens do not fit the %d positions %s and %s allow",
				    c->prompt_n, c->generate, maxpos, t->source,
				    d->source);
	for (int i = 0; i < c->prompt_n; i++)
		if (c->prompt[i] < 0 || c->prompt[i] >= t->vocab_n)
			return kv_error_set(err, EX_USAGE,
					    "prompt token %d is not in the vocab",
					    i + 1);
	return spec_check_pair(t, d, err);
}

static int run_alloc(SpecRun *r, KvError *err)
{
	int maxpos = model_max_positions(r->m[0]) < model_max_positions(r->m[1]) ?
			     model_max_positions(r->m[0]) :
			     model_max_positions(r->m[1]);
	long want = (long)r->cfg.prompt_n + r->cfg.generate + r->cfg.k;
	r->cap = want < maxpos ? (int)want : maxpos;
	for (int w = 0; w < 2; w++) {
		EngineSpec es = { .capacity = r->cap, .max_seqs = 1,
				  .keeps_cache = true, .elem_bytes = 4 };
		r->eng[w] = engine_new_spec(r->m[w], &es, err);
		if (!r->eng[w])
			return err ? err->code : EX_OSERR;
	}
	r->tokens = calloc((size_t)r->cap, sizeof *r->tokens);
	r->ttok = calloc((size_t)r->cap, sizeof *r->ttok);
	r->dtok = calloc((size_t)r->cap, sizeof *r->dtok);
	r->vlogits = calloc((size_t)(SPEC_MAX_K + 1) * (size_t)r->m[0]->vocab_n,
			    sizeof *r->vlogits);
	if (!r->tokens || !r->ttok || !r->dtok || !r->vlogits)
		return kv_error_set(err, EX_OSERR, "out of memory");
	memcpy(r->tokens, r->cfg.prompt, (size_t)r->cfg.prompt_n * sizeof *r->tokens);
	return 0;
}

SpecRun *spec_run(const Model *target, const Model *draft,
		  const SpecConfig *cfg, KvError *err)
{
	if (config_check(target, draft, cfg, err))
		return NULL;
	SpecRun *r = calloc(1, sizeof *r);
	if (!r)
		return kv_error_set(err, EX_OSERR, "out of memory"), NULL;
	r->m[0] = target;
	r->m[1] = draft;
	r->cfg = *cfg;
	int rc = run_alloc(r, err);
	if (!rc)
		rc = prefill(r, err);
	if (!rc)
		rc = iterate(r, err);
	if (!rc && r->overflow)
		rc = kv_error_set(err, EX_DATAERR,
				  "a value of %s or %s is not finite; use smaller weights",
				  target->source, draft->source);
	if (!rc && r->too_many)
		rc = kv_error_set(err, EX_DATAERR,
				  "the run records more than %u values; use a shorter run or --export schedule",
				  SPEC_MAX_CELLS);
	if (!rc && r->oom)
		rc = kv_error_set(err, EX_OSERR, "out of memory for the run's values");
	if (rc) {
		spec_free(r);
		return NULL;
	}
	return r;
}

void spec_free(SpecRun *r)
{
	if (!r)
		return;
	engine_free(r->eng[0]);
	engine_free(r->eng[1]);
	free(r->tokens);
	free(r->ttok);
	free(r->dtok);
	free(r->vlogits);
	free(r->iters);
	free(r->cells);
	free(r);
}

const Model *spec_model(const SpecRun *r, SpecModel which)
{
	return r->m[which == SPEC_DRAFT];
}

int spec_prompt_len(const SpecRun *r) { return r->cfg.prompt_n; }
int spec_generate(const SpecRun *r) { return r->cfg.generate; }
int spec_k(const SpecRun *r) { return r->cfg.k; }
int spec_iters(const SpecRun *r) { return r->n_iters; }

const SpecIter *spec_iter(const SpecRun *r, int i)
{
	return i >= 0 && i < r->n_iters ? &r->iters[i] : NULL;
}

const int *spec_tokens(const SpecRun *r)
{
	return r->tokens;
}

size_t spec_cells(const SpecRun *r, const SpecCell **cells)
{
	*cells = r->cells;
	return r->n_cells;
}

Counters spec_total(const SpecRun *r, SpecModel which, int i)
{
	Counters sum = { 0 };
	for (int j = 0; j <= i && j < r->n_iters; j++)
		counters_accumulate(&sum, which == SPEC_DRAFT ?
						  &r->iters[j].draft_c :
						  &r->iters[j].target_c);
	uint64_t passes = 0;
	for (int j = 0; j <= i && j < r->n_iters; j++)
		passes += which == SPEC_DRAFT ? r->iters[j].draft_c.passes :
						r->iters[j].target_c.passes;
	sum.passes = passes;
	return sum;
}
