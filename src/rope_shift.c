/*
 * The context shift's record (rope_shift.h): a shifted cache and a fresh
 * run over the kept tokens, step by step, side by side.
 */
#include "rope_shift.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "dot.h"
#include "engine.h"

struct RopeShift {
	int C, N, T;
	int L, G, H, dk;  /* layers, kv heads, query heads, d_k */
	int shifts;
	RopeShiftStep *steps; /* (T) */
	int *first_turn;  /* (T) step whose shift first turned column col back */
	/* per slot (t−1)·C + (col − kept_lo(t)) of the kept columns at t: */
	double *ks, *kf;  /* (T·C, L·G·d_k) K shifted, K fresh */
	double *ss, *sf;  /* (T·C, L·H) score of query t, shifted and fresh;
			     NaN where a window hid the key */
	double max_diff;
};

/* What a capturing sink writes into: which step, which run. */
typedef struct Capture {
	RopeShift *rs;
	int t;       /* the step being recorded */
	int kept_lo; /* first kept column at t */
	int last;    /* the query column of this pass (t, or len when fresh) */
	bool fresh;  /* columns count from 1 = kept_lo */
} Capture;

static size_t slot_of(const RopeShift *rs, int t, int col)
{
	return (size_t)(t - 1) * (size_t)rs->C +
	       (size_t)(col - rs->steps[t - 1].kept_lo);
}

static size_t k_width(const RopeShift *rs)
{
	return (size_t)rs->L * (size_t)rs->G * (size_t)rs->dk;
}

static size_t s_width(const RopeShift *rs)
{
	return (size_t)rs->L * (size_t)rs->H;
}

/* Keeps the scores of the pass's query column; K of a fresh run. */
static void capture_column(void *ctx, int seq, Matrix mat, int layer,
			   int head, int col, int first_row, const double *v,
			   int n)
{
	const Capture *c = ctx;
	RopeShift *rs = c->rs;
	(void)seq;
	int base = c->fresh ? c->kept_lo - 1 : 0; /* fresh col 1 = kept_lo */
	if (mat == MAT_S && col == c->last) {
		double *dst = c->fresh ? rs->sf : rs->ss;
		for (int i = 0; i < n; i++) {
			size_t at = slot_of(rs, c->t, base + first_row + i);
			dst[at * s_width(rs) + (size_t)(layer - 1) *
				(size_t)rs->H + (size_t)(head - 1)] = v[i];
		}
	} else if (mat == MAT_K && c->fresh) {
		size_t at = slot_of(rs, c->t, base + col);
		memcpy(rs->kf + at * k_width(rs) +
			       ((size_t)(layer - 1) * (size_t)rs->G +
				(size_t)(head - 1)) * (size_t)rs->dk,
		       v, (size_t)n * sizeof *v);
	}
}

static RopeShift *alloc_record(const Model *m, int T, int ctx, int shift,
			       KvError *err)
{
	RopeShift *rs = calloc(1, sizeof *rs);
	if (!rs)
		return NULL;
	*rs = (RopeShift){ .C = ctx, .N = shift, .T = T, .L = m->n_layers,
			   .G = m->n_kv_heads, .H = m->n_heads, .dk = m->d_k };
	size_t slots = (size_t)T * (size_t)ctx;
	size_t values = slots * 2 * (k_width(rs) + s_width(rs));
	if (values > ROPE_SHIFT_MAX_VALUES) {
		free(rs);
		kv_error_set(err, EX_DATAERR,
			     "a context shift over %d positions with --ctx %d would keep %zu values; the limit is %u (use fewer positions or a smaller --ctx)",
			     T, ctx, values, ROPE_SHIFT_MAX_VALUES);
		return NULL;
	}
	rs->steps = calloc((size_t)T, sizeof *rs->steps);
	rs->first_turn = calloc((size_t)T, sizeof *rs->first_turn);
	rs->ks = calloc(slots * k_width(rs), sizeof *rs->ks);
	rs->kf = calloc(slots * k_width(rs), sizeof *rs->kf);
	rs->ss = malloc(slots * s_width(rs) * sizeof *rs->ss);
	rs->sf = malloc(slots * s_width(rs) * sizeof *rs->sf);
	if (!rs->steps || !rs->first_turn || !rs->ks || !rs->kf || !rs->ss ||
	    !rs->sf) {
		rope_shift_free(rs);
		kv_error_set(err, EX_OSERR, "out of memory for a context shift");
		return NULL;
	}
	for (size_t i = 0; i < slots * s_width(rs); i++)
		rs->ss[i] = rs->sf[i] = NAN;
	return rs;
}

static void note_diff(double *max, double a, double b)
{
	double d = fabs(a - b);
	if (d > *max)
		*max = d;
}

/* The kept K columns of the shifted cache after step t, and the diffs. */
static void finish_step(RopeShift *rs, const Engine *e, int t,
			const double *logits, const double *fresh_logits,
			int vocab)
{
	RopeShiftStep *st = &rs->steps[t - 1];
	const KvCache *kc = engine_cache(e);
	for (int col = st->kept_lo; col <= t; col++) {
		size_t at = slot_of(rs, t, col);
		for (int l = 1; l <= rs->L; l++)
			for (int g = 1; g <= rs->G; g++) {
				size_t o = at * k_width(rs) +
					   ((size_t)(l - 1) * (size_t)rs->G +
					    (size_t)(g - 1)) * (size_t)rs->dk;
				const double *k = kv_cache_k(kc, 1, l, g, col);
				if (k)
					memcpy(rs->ks + o, k,
					       (size_t)rs->dk * sizeof *k);
				for (int r = 0; k && r < rs->dk; r++)
					note_diff(&st->max_k, rs->ks[o + r],
						  rs->kf[o + r]);
			}
		for (size_t i = 0; i < s_width(rs); i++) {
			double a = rs->ss[at * s_width(rs) + i];
			double b = rs->sf[at * s_width(rs) + i];
			if (!isnan(a) && !isnan(b))
				note_diff(&st->max_s, a, b);
		}
	}
	for (int r = 0; r < vocab; r++)
		note_diff(&st->max_logit, logits[r], fresh_logits[r]);
	st->chosen = argmax(logits, vocab);
	st->fresh_chosen = argmax(fresh_logits, vocab);
	note_diff(&rs->max_diff, st->max_k, 0);
	note_diff(&rs->max_diff, st->max_s, 0);
	note_diff(&rs->max_diff, st->max_logit, 0);
}

/* Drops N positions when the cache holds C and token t comes. */
static int maybe_shift(RopeShift *rs, Engine *e, int t, int *kept_lo,
		       int *offset, int *shifted_at, KvError *err)
{
	if (t - *kept_lo < rs->C)
		return 0;
	if (engine_shift(e, 1, rs->N, NULL, err))
		return err ? err->code : EX_SOFTWARE;
	rs->shifts++;
	*kept_lo += rs->N;
	*offset += rs->N;
	*shifted_at = t;
	for (int col = *kept_lo; col < t; col++)
		if (!rs->first_turn[col - 1])
			rs->first_turn[col - 1] = t;
	return 0;
}

static int replay(RopeShift *rs, const Model *m, const int *tokens,
		  Engine *e, Engine *f, double *logits, KvError *err)
{
	int kept_lo = 1, offset = 0, shifted_at = 0;
	for (int t = 1; t <= rs->T; t++) {
		int rc = maybe_shift(rs, e, t, &kept_lo, &offset, &shifted_at,
				     err);
		if (rc)
			return rc;
		rs->steps[t - 1] = (RopeShiftStep){ .kept_lo = kept_lo,
						    .offset = offset,
						    .shifted_at = shifted_at };
		Capture cs = { rs, t, kept_lo, t, false };
		EngineSink sink = { .column = capture_column, .ctx = &cs };
		Counters c;
		PassInfo info;
		engine_pass(e, tokens, t, t, &sink, &c, &info);
		memcpy(logits, engine_logits(e),
		       (size_t)m->vocab_n * sizeof *logits);
		int len = t - kept_lo + 1;
		Capture cf = { rs, t, kept_lo, len, true };
		EngineSink fsink = { .column = capture_column, .ctx = &cf };
		engine_pass(f, tokens + kept_lo - 1, 1, len, &fsink, &c, &info);
		finish_step(rs, e, t, logits, engine_logits(f), m->vocab_n);
	}
	return 0;
}

RopeShift *rope_shift_run(const Model *m, const int *tokens, int T, int ctx,
			  int shift, KvError *err)
{
	if (m->rope <= 0)
		return kv_error_set(err, EX_USAGE,
				    "--shift turns cached keys back: it needs a model with rope (e.g. -m rope)"),
		       NULL;
	if (ctx < 2 || shift < 1 || shift >= ctx)
		return kv_error_set(err, EX_USAGE,
				    "--shift N needs --ctx C with 1 <= N < C (got C = %d, N = %d)",
				    ctx, shift),
		       NULL;
	if (T < 1)
		return kv_error_set(err, EX_USAGE, "no tokens to shift"), NULL;
	RopeShift *rs = alloc_record(m, T, ctx, shift, err);
	if (!rs)
		return NULL;
	Engine *e = engine_new(m, T, true, 4, err);
	Engine *f = e ? engine_new(m, T, true, 4, err) : NULL;
	double *logits = malloc((size_t)m->vocab_n * sizeof *logits);
	int rc = e && f && logits ? replay(rs, m, tokens, e, f, logits, err)
				  : kv_error_set(err, EX_OSERR,
						 "out of memory for a context shift");
	engine_free(e);
	engine_free(f);
	free(logits);
	if (rc) {
		rope_shift_free(rs);
		return NULL;
	}
	return rs;
}

void rope_shift_free(RopeShift *rs)
{
	if (!rs)
		return;
	free(rs->steps);
	free(rs->first_turn);
	free(rs->ks);
	free(rs->kf);
	free(rs->ss);
	free(rs->sf);
	free(rs);
}

int rope_shift_ctx(const RopeShift *rs)
{
	return rs->C;
}

int rope_shift_n(const RopeShift *rs)
{
	return rs->N;
}

int rope_shift_steps(const RopeShift *rs)
{
	return rs->T;
}

int rope_shift_count(const RopeShift *rs)
{
	return rs->shifts;
}

const RopeShiftStep *rope_shift_step(const RopeShift *rs, int t)
{
	return t >= 1 && t <= rs->T ? &rs->steps[t - 1] : NULL;
}

double rope_shift_max_diff(const RopeShift *rs)
{
	return rs->max_diff;
}

CellStatus rope_shift_status(const RopeShift *rs, int t, int col)
{
	if (t < 1 || t > rs->T || col < 1 || col > t)
		return CELL_ABSENT;
	if (col < rs->steps[t - 1].kept_lo)
		return CELL_EVICTED;
	if (col == t)
		return CELL_COMPUTED;
	int turn = rs->first_turn[col - 1];
	return turn && turn <= t ? CELL_SHIFTED : CELL_REUSED;
}

bool rope_shift_k(const RopeShift *rs, int t, int layer, int head, int r,
		  int col, double *shifted, double *fresh)
{
	CellStatus st = rope_shift_status(rs, t, col);
	if (st == CELL_ABSENT || st == CELL_EVICTED || layer < 1 ||
	    layer > rs->L || head < 1 || head > rs->G || r < 1 || r > rs->dk)
		return false;
	size_t o = slot_of(rs, t, col) * k_width(rs) +
		   ((size_t)(layer - 1) * (size_t)rs->G + (size_t)(head - 1)) *
			   (size_t)rs->dk + (size_t)(r - 1);
	*shifted = rs->ks[o];
	*fresh = rs->kf[o];
	return true;
}

bool rope_shift_s(const RopeShift *rs, int t, int layer, int head, int col,
		  double *shifted, double *fresh)
{
	CellStatus st = rope_shift_status(rs, t, col);
	if (st == CELL_ABSENT || st == CELL_EVICTED || layer < 1 ||
	    layer > rs->L || head < 1 || head > rs->H)
		return false;
	size_t o = slot_of(rs, t, col) * s_width(rs) +
		   (size_t)(layer - 1) * (size_t)rs->H + (size_t)(head - 1);
	if (isnan(rs->ss[o]) || isnan(rs->sf[o]))
		return false;
	*shifted = rs->ss[o];
	*fresh = rs->sf[o];
	return true;
}
