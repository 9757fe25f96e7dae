/*
 * Placeholders that print one value inline: facts about the run and the
 * model, counts and columns of cells with a status, and counters. Each
 * value is read off the trace (statuses, TraceStep counters) or the
 * model's sizes.
 */
#include "sheet_render_int.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>

/* ---- facts ---- */

/* Words at positions lo..hi joined by spaces; "none" when lo > hi. */
static void words_text(const Render *R, int lo, int hi, SheetBuf *out)
{
	const Model *m = trace_model(R->t);
	if (lo > hi)
		sheet_buf_puts(out, "none");
	for (int p = lo; p <= hi; p++) {
		if (p > lo)
			sheet_buf_puts(out, " ");
		sheet_buf_puts(out, m->vocab[trace_token(R->t, p)]);
	}
}

/*
 * The word `mode` predicts after position `step`, or a dash when the mode
 * computes no logits for that position (prefill before the prompt's end).
 */
const char *sheet_chosen_text(const Render *R, Mode mode, int step)
{
	const TraceStep *s = trace_step(R->t, step, mode);
	if (s->info.hi != step)
		return sheet_dash(R->o->ascii);
	return trace_model(R->t)->vocab[s->chosen];
}

/* Bytes per cached cell, as the trace recorded the run's element size. */
uint64_t sheet_elem_bytes(const Trace *t)
{
	return (uint64_t)trace_elem_bytes(t);
}

/*
 * The score scale as the factor written after K^T Q, exactly: "x 0.5"
 * when 1/sqrt(d_k) is a decimal of at most 3 places, "/ 3" when sqrt(d_k)
 * is whole, else "/ √2" ("/ sqrt(2)" with --ascii). A rounded "x 0.71"
 * would make a student's 3 x 0.71 = 2.13 miss the key's 2.12.
 * "x 1" for a model without scaling (scale = none).
 */
static void scale_text(const Model *m, bool ascii, SheetBuf *out)
{
	char txt[SHEET_TEXT_MAX];
	long root = lround(sqrt((double)m->d_k));
	double inv = root > 0 ? 1.0 / (double)root : 0.0;
	if (!m->scale_sqrt)
		snprintf(txt, sizeof txt, "x 1");
	else if (root * root != m->d_k)
		snprintf(txt, sizeof txt, ascii ? "/ sqrt(%d)" : "/ \xe2\x88\x9a%d",
			 m->d_k);
	else if (fabs(inv * 1000.0 - nearbyint(inv * 1000.0)) < 1e-9)
		snprintf(txt, sizeof txt, "x %g", inv);
	else
		snprintf(txt, sizeof txt, "/ %ld", root);
	sheet_buf_puts(out, txt);
}

static void fact_number(const Render *R, const Placeholder *ph, SheetBuf *out)
{
	SheetFact f = (SheetFact)ph->what;
	const Model *m = trace_model(R->t);
	char txt[SHEET_TEXT_MAX];
	long long v = 0;
	switch (f) {
	case FACT_D_MODEL: v = m->d_model; break;
	case FACT_D_K: v = m->d_k; break;
	case FACT_D_V: v = m->d_v; break;
	case FACT_VOCAB: v = m->vocab_n; break;
	case FACT_INDEX: v = sheet_index_value(R, &ph->row); break;
	case FACT_ELEM_BYTES: v = (long long)sheet_elem_bytes(R->t); break;
	case FACT_N_LAYERS: v = m->n_layers; break;
	case FACT_N_HEADS: v = m->n_heads; break;
	case FACT_N_KV_HEADS: v = m->n_kv_heads; break;
	case FACT_KV_HEAD: v = model_kv_head(m, ph->head - 1) + 1; break;
	case FACT_WINDOW:
		v = trace_window(R->t, ph->layer);
		if (!v) {
			sheet_buf_puts(out, "global");
			return;
		}
		break;
	case FACT_SCALE:
		scale_text(m, R->o->ascii, out);
		return;
	case FACT_PROMPT:
	case FACT_GENERATED:
	case FACT_TOKENS:
	case FACT_TOKEN:
	case FACT_CHOSEN:
	case FACT_MODEL:
	case FACT_DASH:
	case FACT_RANGE:
	case FACT_EVICTED:
	case FACT_COUNT:
		return;
	}
	snprintf(txt, sizeof txt, "%lld", v);
	sheet_buf_puts(out, txt);
}

/* "1..3", "2" when lo = hi, "none" when lo > hi. */
static void range_text(const Render *R, const Placeholder *ph, SheetBuf *out)
{
	int lo = sheet_index_value(R, &ph->row);
	int hi = sheet_index_value(R, &ph->col);
	char txt[48];
	if (lo > hi)
		snprintf(txt, sizeof txt, "none");
	else if (lo == hi)
		snprintf(txt, sizeof txt, "%d", lo);
	else
		snprintf(txt, sizeof txt, "%d..%d", lo, hi);
	sheet_buf_puts(out, txt);
}

/* The text of a fact into `out`. */
static int fact_text(const Render *R, const Placeholder *ph, SheetBuf *out)
{
	int P = trace_prompt_len(R->t), T = trace_steps(R->t), step = 0;
	if ((ph->what == FACT_TOKEN || ph->what == FACT_CHOSEN) &&
	    sheet_step_resolve(R, ph, &step))
		return R->err->code;
	if (ph->what == FACT_WINDOW && sheet_layer_check(R, ph))
		return R->err->code;
	if (ph->what == FACT_KV_HEAD &&
	    sheet_head_check(R, ph, trace_model(R->t)->n_heads, "the model"))
		return R->err->code;
	switch ((SheetFact)ph->what) {
	case FACT_PROMPT: words_text(R, 1, P, out); break;
	case FACT_GENERATED: words_text(R, P + 1, T, out); break;
	case FACT_TOKENS: words_text(R, 1, T, out); break;
	case FACT_TOKEN: words_text(R, step, step, out); break;
	case FACT_CHOSEN:
		sheet_buf_puts(out, sheet_chosen_text(R, (Mode)ph->mode, step));
		break;
	case FACT_MODEL: sheet_buf_puts(out, trace_model(R->t)->name); break;
	case FACT_DASH: sheet_buf_puts(out, sheet_dash(R->o->ascii)); break;
	case FACT_EVICTED:
		sheet_buf_puts(out, sheet_evicted_mark(R->o->ascii));
		break;
	case FACT_RANGE: range_text(R, ph, out); break;
	case FACT_D_MODEL:
	case FACT_D_K:
	case FACT_D_V:
	case FACT_VOCAB:
	case FACT_INDEX:
	case FACT_SCALE:
	case FACT_ELEM_BYTES:
	case FACT_N_LAYERS:
	case FACT_N_HEADS:
	case FACT_N_KV_HEADS:
	case FACT_WINDOW:
	case FACT_KV_HEAD:
	case FACT_COUNT:
		fact_number(R, ph, out);
		break;
	}
	return 0;
}

int sheet_render_fact(const Render *R, const Placeholder *ph, SheetBlock *b)
{
	SheetBuf txt;
	sheet_buf_init(&txt);
	int rc = fact_text(R, ph, &txt);
	if (!rc)
		sheet_inline_put(R, ph, sheet_buf_str(&txt), NULL, b);
	b->oom |= txt.oom;
	sheet_buf_free(&txt);
	return rc;
}

/* ---- status summaries ---- */

/*
 * Cells of column c of `mat` in `layer`, over every head, that `mode`
 * holds at `step` with a status in the `statuses` bit set.
 */
int sheet_col_count(const Trace *t, Mode mode, int step, int layer,
		    Matrix mat, unsigned statuses, int c)
{
	int n = 0, heads = trace_heads(t, mat);
	if (mat == MAT_LOGITS)
		layer = 1; /* logits belong to no layer */
	for (int r = 1; r <= trace_matrix_rows(t, mat); r++)
		n += (statuses >> trace_status_at(t, step, mode, layer, mat, r,
						   c)) & 1u;
	return n * heads;
}

/* Cells of column c of the `of` matrices with the placeholder's status. */
static int status_count(const Render *R, const Placeholder *ph, int step,
			int c)
{
	int n = 0;
	for (int m = 0; m < MAT_COUNT; m++)
		if (ph->of & (1u << m))
			n += sheet_col_count(R->t, (Mode)ph->mode, step,
					     ph->layer, (Matrix)m,
					     1u << ph->status, c);
	return n;
}

/*
 * K and V cells of `layer`, over its K/V heads, that the cache of `mode`
 * holds after `step`: the columns it computed or reused, not the evicted
 * ones. 0 for a mode that keeps no cache.
 */
static uint64_t layer_cache_cells(const Trace *t, int step, Mode mode,
				  int layer)
{
	if (!trace_step(t, step, mode)->keeps_cache)
		return 0;
	unsigned held = 1u << CELL_COMPUTED | 1u << CELL_REUSED;
	uint64_t n = 0;
	for (int c = 1; c <= trace_steps(t); c++)
		n += (uint64_t)(sheet_col_count(t, mode, step, layer, MAT_K,
						held, c) +
				sheet_col_count(t, mode, step, layer, MAT_V,
						held, c));
	return n;
}

/* Columns as ranges: "1-2", "1,3-4", or "none". */
static void cols_text(const Render *R, const Placeholder *ph, int step,
		      SheetBuf *out)
{
	int T = trace_steps(R->t), run_lo = 0;
	char txt[32];
	for (int c = 1; c <= T + 1; c++) {
		bool has = c <= T && status_count(R, ph, step, c) > 0;
		if (has && !run_lo)
			run_lo = c;
		if (has || !run_lo)
			continue;
		if (out->len)
			sheet_buf_puts(out, ",");
		if (run_lo == c - 1)
			snprintf(txt, sizeof txt, "%d", run_lo);
		else
			snprintf(txt, sizeof txt, "%d-%d", run_lo, c - 1);
		sheet_buf_puts(out, txt);
		run_lo = 0;
	}
	if (!out->len)
		sheet_buf_puts(out, "none");
}

int sheet_render_status(const Render *R, const Placeholder *ph,
			SheetBlock *b)
{
	int step;
	if (sheet_step_resolve(R, ph, &step) || sheet_layer_check(R, ph))
		return R->err->code;
	SheetBuf txt;
	sheet_buf_init(&txt);
	if (ph->kind == PH_COLS) {
		cols_text(R, ph, step, &txt);
	} else {
		int n = 0;
		for (int c = 1; c <= trace_steps(R->t); c++)
			n += status_count(R, ph, step, c);
		char num[32];
		snprintf(num, sizeof num, "%d", n);
		sheet_buf_puts(&txt, num);
	}
	sheet_inline_put(R, ph, sheet_buf_str(&txt), NULL, b);
	b->oom |= txt.oom;
	sheet_buf_free(&txt);
	return 0;
}

/* ---- counters ---- */

static uint64_t counter_get(const TraceStep *s, const Counters *c,
			    SheetCounter k)
{
	switch (k) {
	case CTR_MACS: return counters_macs(c);
	case CTR_MACS_PROJ: return c->macs_proj;
	case CTR_MACS_SCORES: return c->macs_scores;
	case CTR_MACS_AV: return c->macs_av;
	case CTR_MACS_LOGITS: return c->macs_logits;
	case CTR_EXPS: return c->exps;
	case CTR_RECOMPUTED_MACS: return c->recomputed_macs;
	case CTR_CACHE_CELLS: return c->cache_cells;
	case CTR_CACHE_BYTES: return c->cache_bytes;
	case CTR_CACHE_READS: return c->cache_reads;
	case CTR_PASSES: return c->passes;
	case CTR_PASS: return (uint64_t)s->pass;
	case CTR_COUNT: break;
	}
	return 0;
}

int sheet_render_counter(const Render *R, const Placeholder *ph,
			 SheetBlock *b)
{
	int step;
	if (sheet_step_resolve(R, ph, &step) || sheet_layer_check(R, ph))
		return R->err->code;
	const TraceStep *s = trace_step(R->t, step, (Mode)ph->mode);
	uint64_t v = counter_get(s, ph->total ? &s->total : &s->pass_c,
				 (SheetCounter)ph->what);
	if (ph->layer_given) {
		/* one layer's share, counted from the cells the cache holds */
		v = layer_cache_cells(R->t, step, (Mode)ph->mode, ph->layer);
		if (ph->what == CTR_CACHE_BYTES)
			v *= sheet_elem_bytes(R->t);
	}
	char txt[SHEET_TEXT_MAX];
	snprintf(txt, sizeof txt, "%" PRIu64, v);
	SheetRef ref = { .kind = REF_COUNTER, .what = ph->what,
			 .mode = ph->mode, .step = step, .total = ph->total,
			 .layer = ph->layer_given ? ph->layer : 0,
			 .run = ph->model, .answer = ph->answer };
	sheet_inline_put(R, ph, txt, &ref, b);
	return 0;
}
