/*
 * Placeholder resolution: each item of a template line becomes a block
 * (one line of text, or a grid), the blocks are set side by side, and the
 * result is appended to the page. Key and blank copy go through the same
 * code and differ only in whether answers print or turn into underscores,
 * so they always have the same lines and columns.
 */
#include "sheet_render.h"

#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum {
	INLINE_MIN_W = 6, /* blank of an inline answer: "______" */
	GRID_ANSWER_W = 4 /* narrowest answer cell, room for "0.98" */
};

typedef struct Render {
	const Template *tp;
	const Trace *t;            /* the run the current placeholder reads */
	const Trace *const *runs;  /* (1 + tp->n_models) see sheet_render_runs */
	const SheetOptions *o;
	KvError *err;
} Render;

static int rfail(const Render *R, const Placeholder *ph, const char *fmt,
		 ...) __attribute__((format(printf, 3, 4)));

static int rfail(const Render *R, const Placeholder *ph, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	return kv_error_set(R->err, EX_DATAERR, "%s:%d: %s", R->tp->source,
			    ph->line, msg);
}

/* The value of an index: P or T plus its offset, or the number. */
static int index_value(const Render *R, const SheetIndex *ix)
{
	int base = ix->base == 'P'   ? trace_prompt_len(R->t)
		   : ix->base == 'T' ? trace_steps(R->t)
				     : 0;
	return base + ix->off;
}

/* "T-1" as the template wrote it. */
static void index_text(const SheetIndex *ix, char *buf, size_t n)
{
	if (!ix->base)
		snprintf(buf, n, "%d", ix->off);
	else if (ix->off)
		snprintf(buf, n, "%c%+d", ix->base, ix->off);
	else
		snprintf(buf, n, "%c", ix->base);
}

/* Resolves the step of `ph` into *step, checking 1..T. */
static int step_resolve(const Render *R, const Placeholder *ph, int *step)
{
	int T = trace_steps(R->t);
	*step = index_value(R, &ph->step);
	if (*step >= 1 && *step <= T)
		return 0;
	char txt[32], val[32] = "";
	index_text(&ph->step, txt, sizeof txt);
	if (ph->step.base)
		snprintf(val, sizeof val, " = %d", *step);
	return rfail(R, ph, "step %s%s is out of range (this run has steps "
		     "1..%d)", txt, val, T);
}

/* Checks 1 ≤ layer ≤ the model's layers (layer 0: every layer). */
static int layer_check(const Render *R, const Placeholder *ph)
{
	int n = trace_layers(R->t);
	if (ph->layer >= 0 && ph->layer <= n)
		return 0;
	return rfail(R, ph, "layer %d is out of range (the model has layers "
		     "1..%d)", ph->layer, n);
}

/* Checks the head against the `n` heads `what` has. */
static int head_check(const Render *R, const Placeholder *ph, int n,
		      const char *what)
{
	if (ph->head >= 1 && ph->head <= n)
		return 0;
	return rfail(R, ph, "head %d is out of range (%s has %s 1..%d)",
		     ph->head, what, n == trace_model(R->t)->n_kv_heads &&
		     n != trace_model(R->t)->n_heads ? "K/V heads" : "heads",
		     n);
}

/* Heads a trace matrix or weight has: query heads, K/V heads, or 1. */
static int matrix_heads(const Trace *t, int mat)
{
	const Model *m = trace_model(t);
	switch (mat) {
	case SHEET_W_Q: return m->n_heads;
	case SHEET_W_K:
	case SHEET_W_V: return m->n_kv_heads;
	case SHEET_W_OUT:
	case SHEET_W_O: return 1;
	default: return trace_heads(t, (Matrix)mat);
	}
}

/* Layer and head of a matrix placeholder, and that the model has them. */
static int matrix_check(const Render *R, const Placeholder *ph)
{
	const Model *m = trace_model(R->t);
	if (layer_check(R, ph) ||
	    head_check(R, ph, matrix_heads(R->t, ph->what),
		       sheet_matrix_name(ph->what)))
		return R->err->code;
	if ((ph->what == SHEET_W_O || ph->what == MAT_H) && !m->stacked)
		return rfail(R, ph, "model \"%s\" has no %s (one layer, one "
			     "head, no output projection)", m->name,
			     sheet_matrix_name(ph->what));
	return 0;
}

static bool wants_blank(const Render *R, const Placeholder *ph)
{
	return ph->answer && R->o->blank;
}

/* An inline value: as is when given, padded or underscored when an answer. */
static void inline_put(const Render *R, const Placeholder *ph, const char *s,
		       const SheetRef *ref, SheetBlock *b)
{
	size_t n = strlen(s);
	if (!ph->answer) {
		sheet_block_put(b, 0, s, n, ref);
		return;
	}
	int min = ph->width ? ph->width : INLINE_MIN_W;
	int sw = sheet_text_width(s, n);
	int w = sw > min ? sw : min;
	SheetBuf pad;
	sheet_buf_init(&pad);
	if (wants_blank(R, ph)) {
		sheet_buf_fill(&pad, '_', w);
		sheet_block_put(b, 0, sheet_buf_str(&pad), pad.len, NULL);
	} else {
		sheet_block_put(b, 0, s, n, ref);
		sheet_buf_fill(&pad, ' ', w - sw);
		sheet_block_put(b, 0, sheet_buf_str(&pad), pad.len, NULL);
	}
	b->oom |= pad.oom;
	sheet_buf_free(&pad);
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

static uint64_t elem_bytes(const Trace *t);
static uint64_t layer_cache_cells(const Trace *t, int step, Mode mode,
				  int layer);

static int render_counter(const Render *R, const Placeholder *ph,
			  SheetBlock *b)
{
	int step;
	if (step_resolve(R, ph, &step) || layer_check(R, ph))
		return R->err->code;
	const TraceStep *s = trace_step(R->t, step, (Mode)ph->mode);
	uint64_t v = counter_get(s, ph->total ? &s->total : &s->pass_c,
				 (SheetCounter)ph->what);
	if (ph->layer_given) {
		/* one layer's share, counted from the cells the cache holds */
		v = layer_cache_cells(R->t, step, (Mode)ph->mode, ph->layer);
		if (ph->what == CTR_CACHE_BYTES)
			v *= elem_bytes(R->t);
	}
	char txt[SHEET_TEXT_MAX];
	snprintf(txt, sizeof txt, "%" PRIu64, v);
	SheetRef ref = { .kind = REF_COUNTER, .what = ph->what,
			 .mode = ph->mode, .step = step, .total = ph->total,
			 .layer = ph->layer_given ? ph->layer : 0,
			 .run = ph->model, .answer = ph->answer };
	inline_put(R, ph, txt, &ref, b);
	return 0;
}

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
static const char *chosen_text(const Render *R, Mode mode, int step)
{
	const TraceStep *s = trace_step(R->t, step, mode);
	if (s->info.hi != step)
		return sheet_dash(R->o->ascii);
	return trace_model(R->t)->vocab[s->chosen];
}

/* Bytes per cached cell, read off the cache mode's last counters. */
static uint64_t elem_bytes(const Trace *t)
{
	const TraceStep *s = trace_step(t, trace_steps(t), MODE_CACHE);
	return s->pass_c.cache_cells ? s->pass_c.cache_bytes /
					       s->pass_c.cache_cells
				     : 0;
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
	case FACT_INDEX: v = index_value(R, &ph->row); break;
	case FACT_ELEM_BYTES: v = (long long)elem_bytes(R->t); break;
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
	int lo = index_value(R, &ph->row), hi = index_value(R, &ph->col);
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
	    step_resolve(R, ph, &step))
		return R->err->code;
	if (ph->what == FACT_WINDOW && layer_check(R, ph))
		return R->err->code;
	if (ph->what == FACT_KV_HEAD &&
	    head_check(R, ph, trace_model(R->t)->n_heads, "the model"))
		return R->err->code;
	switch ((SheetFact)ph->what) {
	case FACT_PROMPT: words_text(R, 1, P, out); break;
	case FACT_GENERATED: words_text(R, P + 1, T, out); break;
	case FACT_TOKENS: words_text(R, 1, T, out); break;
	case FACT_TOKEN: words_text(R, step, step, out); break;
	case FACT_CHOSEN:
		sheet_buf_puts(out, chosen_text(R, (Mode)ph->mode, step));
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

static int render_fact(const Render *R, const Placeholder *ph, SheetBlock *b)
{
	SheetBuf txt;
	sheet_buf_init(&txt);
	int rc = fact_text(R, ph, &txt);
	if (!rc)
		inline_put(R, ph, sheet_buf_str(&txt), NULL, b);
	b->oom |= txt.oom;
	sheet_buf_free(&txt);
	return rc;
}

/* ---- status summaries ---- */

/*
 * Cells of column c of `mat` in `layer`, over every head, that `mode`
 * holds at `step` with a status in the `statuses` bit set.
 */
static int col_count(const Trace *t, Mode mode, int step, int layer,
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
			n += col_count(R->t, (Mode)ph->mode, step, ph->layer,
				       (Matrix)m, 1u << ph->status, c);
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
		n += (uint64_t)(col_count(t, mode, step, layer, MAT_K, held, c) +
				col_count(t, mode, step, layer, MAT_V, held, c));
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

static int render_status(const Render *R, const Placeholder *ph,
			 SheetBlock *b)
{
	int step;
	if (step_resolve(R, ph, &step) || layer_check(R, ph))
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
	inline_put(R, ph, sheet_buf_str(&txt), NULL, b);
	b->oom |= txt.oom;
	sheet_buf_free(&txt);
	return 0;
}

/* ---- cells and grids ---- */

/* Shape of a model weight: rows and columns. */
static void weight_shape(const Model *m, int w, int *rows, int *cols)
{
	switch (w) {
	case SHEET_W_V: *rows = m->d_v; *cols = m->d_model; break;
	case SHEET_W_OUT: *rows = m->vocab_n; *cols = model_out_dim(m); break;
	case SHEET_W_O: *rows = m->d_model; *cols = m->n_heads * m->d_v; break;
	default: *rows = m->d_k; *cols = m->d_model; break;
	}
}

/* Entry (r, c) of weight `w` of `layer` and `head` (1-based). */
static double weight_value(const Model *m, int w, int layer, int head, int r,
			   int c)
{
	int l = layer - 1, h = head - 1, i = r - 1, j = c - 1;
	switch (w) {
	case SHEET_W_Q: return model_wq(m, l, h)[i * m->d_model + j];
	case SHEET_W_K: return model_wk(m, l, h)[i * m->d_model + j];
	case SHEET_W_V: return model_wv(m, l, h)[i * m->d_model + j];
	case SHEET_W_O:
		return model_wo(m, l)[i * m->n_heads * m->d_v + j];
	default: return m->wout[i * model_out_dim(m) + j];
	}
}

/* Rows and columns a template may name in `mat`. */
static void matrix_shape(const Trace *t, int mat, int *rows, int *cols)
{
	if (mat >= MAT_COUNT) {
		weight_shape(trace_model(t), mat, rows, cols);
		return;
	}
	*rows = trace_matrix_rows(t, (Matrix)mat);
	*cols = trace_steps(t);
}

/* Checks that the mode (when given) holds the cell at its step. */
static int cell_held(const Render *R, const Placeholder *ph, int r, int c,
		     CellStatus *st)
{
	*st = CELL_COMPUTED;
	if (ph->what >= MAT_COUNT || ph->mode < 0 || !ph->step.set)
		return 0;
	int step;
	if (step_resolve(R, ph, &step))
		return R->err->code;
	*st = trace_status_at(R->t, step, (Mode)ph->mode, ph->layer,
			      (Matrix)ph->what, r, c);
	if (*st != CELL_ABSENT)
		return 0;
	return rfail(R, ph, "%s does not hold %s[%d,%d] at step %d",
		     mode_name((Mode)ph->mode), sheet_matrix_name(ph->what), r,
		     c, step);
}

static int render_cell(const Render *R, const Placeholder *ph, SheetBlock *b)
{
	int rows, cols;
	if (matrix_check(R, ph))
		return R->err->code;
	matrix_shape(R->t, ph->what, &rows, &cols);
	int r = index_value(R, &ph->row), c = index_value(R, &ph->col);
	if (r < 1 || r > rows || c < 1 || c > cols)
		return rfail(R, ph, "%s has no cell [%d,%d] (rows 1..%d, "
			     "columns 1..%d)", sheet_matrix_name(ph->what), r, c,
			     rows, cols);
	CellStatus st;
	if (cell_held(R, ph, r, c, &st))
		return R->err->code;
	double v;
	if (ph->what >= MAT_COUNT) {
		v = weight_value(trace_model(R->t), ph->what, ph->layer,
				 ph->head, r, c);
	} else if (st == CELL_EVICTED) {
		inline_put(R, ph, sheet_evicted_mark(R->o->ascii), NULL, b);
		return 0;
	} else if (st == CELL_MASKED ||
		   !trace_value_at(R->t, ph->layer, ph->head, (Matrix)ph->what,
				   r, c, &v)) {
		inline_put(R, ph, sheet_dash(R->o->ascii), NULL, b);
		return 0;
	}
	char txt[SHEET_TEXT_MAX];
	sheet_format_value(v, R->o->digits, txt);
	SheetRef ref = { .kind = REF_CELL, .what = ph->what, .row = r,
			 .col = c, .mode = ph->mode, .layer = ph->layer,
			 .head = ph->head, .run = ph->model,
			 .answer = ph->answer };
	inline_put(R, ph, txt, &ref, b);
	return 0;
}

/* Storage for one grid while it is filled in. */
typedef struct GridBuf {
	GridSpec g;
	char corner[SHEET_TEXT_MAX];
} GridBuf;

static int grid_alloc(GridBuf *gb, int rows, int cols, KvError *err)
{
	GridSpec *g = &gb->g;
	g->rows = rows;
	g->cols = cols;
	g->row_labels = calloc((size_t)rows, sizeof *g->row_labels);
	g->col_labels = calloc((size_t)cols, sizeof *g->col_labels);
	g->cells = calloc((size_t)rows * (size_t)cols, sizeof *g->cells);
	g->corner = gb->corner;
	if (g->row_labels && g->col_labels && g->cells)
		return 0;
	return kv_error_set(err, EX_OSERR, "out of memory");
}

static void grid_free(GridBuf *gb)
{
	free(gb->g.row_labels);
	free(gb->g.col_labels);
	free(gb->g.cells);
}

/* Labels of a trace matrix: x1.. for X, q1.. for Q, k1.. rows of S, A. */
static void grid_labels(const Trace *t, Matrix mat, int col_lo, GridSpec *g)
{
	static const char prefix[MAT_COUNT] = {
		[MAT_X] = 'x', [MAT_Q] = 'q', [MAT_K] = 'k', [MAT_V] = 'v',
		[MAT_S] = 'q', [MAT_A] = 'q', [MAT_Z] = 'z', [MAT_LOGITS] = 'l',
		[MAT_H] = 'h',
	};
	const Model *m = trace_model(t);
	for (int r = 0; r < g->rows; r++) {
		if (mat == MAT_LOGITS)
			snprintf(g->row_labels[r], SHEET_TEXT_MAX, "%s",
				 m->vocab[r]);
		else if (mat == MAT_S || mat == MAT_A)
			snprintf(g->row_labels[r], SHEET_TEXT_MAX, "k%d", r + 1);
		else
			snprintf(g->row_labels[r], SHEET_TEXT_MAX, "%d", r + 1);
	}
	for (int c = 0; c < g->cols; c++)
		snprintf(g->col_labels[c], SHEET_TEXT_MAX, "%c%d", prefix[mat],
			 col_lo + c);
}

/* One cell of a trace grid: value, mask, mark, and whether it is blank. */
static void grid_fill_cell(const Render *R, const Placeholder *ph, int step,
			   int r, int c, GridCell *cell)
{
	Matrix mat = (Matrix)ph->what;
	CellStatus st = trace_status_at(R->t, step, (Mode)ph->mode, ph->layer,
					mat, r, c);
	double v;
	/* the UI's glyphs: ! recomputed, = reused from the cache */
	cell->mark = st == CELL_RECOMPUTED ? '!' : st == CELL_REUSED ? '=' : ' ';
	if (st == CELL_EVICTED) {
		cell->evicted = true;
		return;
	}
	if (st == CELL_MASKED ||
	    !trace_value_at(R->t, ph->layer, ph->head, mat, r, c, &v)) {
		/* hidemask: the student finds the masked cells too */
		cell->masked = !(ph->hidemask && wants_blank(R, ph));
		cell->blank = !cell->masked;
		return;
	}
	sheet_format_value(v, R->o->digits, cell->text);
	cell->blank = wants_blank(R, ph) && !(ph->given & (1u << st));
	cell->ref = (SheetRef){ .kind = REF_CELL, .what = mat, .row = r,
				.col = c, .mode = ph->mode, .step = step,
				.layer = ph->layer, .head = ph->head,
				.run = ph->model,
				.answer = ph->answer && !(ph->given & (1u << st)) };
}

static int render_trace_grid(const Render *R, const Placeholder *ph,
			     SheetBlock *b)
{
	int step;
	TraceSpan sp;
	Matrix mat = (Matrix)ph->what;
	if (step_resolve(R, ph, &step) || matrix_check(R, ph))
		return R->err->code;
	if (!trace_span_at(R->t, step, (Mode)ph->mode, ph->layer, mat, &sp))
		return rfail(R, ph, "%s holds no %s at step %d",
			     mode_name((Mode)ph->mode), matrix_name(mat), step);
	GridBuf gb = { 0 };
	if (grid_alloc(&gb, sp.rows, sp.col_hi - sp.col_lo + 1, R->err)) {
		grid_free(&gb);
		return R->err->code;
	}
	snprintf(gb.corner, sizeof gb.corner, "%s", matrix_name(mat));
	grid_labels(R->t, mat, sp.col_lo, &gb.g);
	for (int r = 0; r < gb.g.rows; r++)
		for (int c = 0; c < gb.g.cols; c++)
			grid_fill_cell(R, ph, step, r + 1, sp.col_lo + c,
				       &gb.g.cells[r * gb.g.cols + c]);
	gb.g.min_w = ph->answer ? GRID_ANSWER_W : 1;
	gb.g.marks = ph->marks;
	gb.g.ascii = R->o->ascii;
	gb.g.max_w = SHEET_PAGE_W;
	sheet_grid_layout(&gb.g, b);
	grid_free(&gb);
	return 0;
}

static int render_weight_grid(const Render *R, const Placeholder *ph,
			      SheetBlock *b)
{
	const Model *m = trace_model(R->t);
	int rows, cols;
	if (matrix_check(R, ph))
		return R->err->code;
	weight_shape(m, ph->what, &rows, &cols);
	GridBuf gb = { 0 };
	if (grid_alloc(&gb, rows, cols, R->err)) {
		grid_free(&gb);
		return R->err->code;
	}
	snprintf(gb.corner, sizeof gb.corner, "%s", sheet_matrix_name(ph->what));
	for (int r = 0; r < rows; r++) {
		if (ph->what == SHEET_W_OUT)
			snprintf(gb.g.row_labels[r], SHEET_TEXT_MAX, "%s",
				 m->vocab[r]);
		else
			snprintf(gb.g.row_labels[r], SHEET_TEXT_MAX, "%d", r + 1);
	}
	for (int c = 0; c < cols; c++)
		snprintf(gb.g.col_labels[c], SHEET_TEXT_MAX, "%d", c + 1);
	for (int r = 0; r < rows; r++) {
		for (int c = 0; c < cols; c++) {
			GridCell *cell = &gb.g.cells[r * cols + c];
			sheet_format_value(weight_value(m, ph->what, ph->layer,
							ph->head, r + 1, c + 1),
					   R->o->digits, cell->text);
			cell->blank = wants_blank(R, ph);
			cell->ref = (SheetRef){ .kind = REF_CELL, .what = ph->what,
						.row = r + 1, .col = c + 1,
						.mode = -1, .layer = ph->layer,
						.head = ph->head, .run = ph->model,
						.answer = ph->answer };
		}
	}
	gb.g.min_w = ph->answer ? GRID_ANSWER_W : 1;
	gb.g.ascii = R->o->ascii;
	gb.g.max_w = SHEET_PAGE_W;
	sheet_grid_layout(&gb.g, b);
	grid_free(&gb);
	return 0;
}

/*
 * The token each mode predicts after each position: modes × steps 1..N,
 * N the placeholder's step (set or its own), or T without one.
 */
static int render_choices(const Render *R, const Placeholder *ph,
			  SheetBlock *b)
{
	int T = trace_steps(R->t);
	if (ph->step.set && step_resolve(R, ph, &T))
		return R->err->code;
	GridBuf gb = { 0 };
	if (grid_alloc(&gb, MODE_COUNT, T, R->err)) {
		grid_free(&gb);
		return R->err->code;
	}
	snprintf(gb.corner, sizeof gb.corner, "after");
	for (int m = 0; m < MODE_COUNT; m++)
		snprintf(gb.g.row_labels[m], SHEET_TEXT_MAX, "%s",
			 mode_title((Mode)m));
	for (int c = 0; c < T; c++) {
		snprintf(gb.g.col_labels[c], SHEET_TEXT_MAX, "x%d", c + 1);
		for (int m = 0; m < MODE_COUNT; m++) {
			GridCell *cell = &gb.g.cells[m * T + c];
			snprintf(cell->text, SHEET_TEXT_MAX, "%s",
				 chosen_text(R, (Mode)m, c + 1));
			cell->blank = wants_blank(R, ph);
		}
	}
	gb.g.min_w = ph->answer ? GRID_ANSWER_W : 1;
	gb.g.ascii = R->o->ascii;
	gb.g.max_w = SHEET_PAGE_W;
	sheet_grid_layout(&gb.g, b);
	grid_free(&gb);
	return 0;
}

/* ---- caches of sliding windows ---- */

/*
 * The ring slot column c occupies in a layer with window W: (c−1) mod W
 * + 1, the engine's layout; a global layer gives every column its own.
 */
static int ring_slot(int window, int c)
{
	return window > 0 ? (c - 1) % window + 1 : c;
}

/*
 * {{slots layer=N}}: one row, the K/V column each cache slot of the layer
 * holds after the step, as the trace's statuses say (computed or reused,
 * not evicted). A slot nothing has filled yet shows a dash.
 */
static int render_slots(const Render *R, const Placeholder *ph,
			SheetBlock *b)
{
	int step, T = trace_steps(R->t);
	if (step_resolve(R, ph, &step) || layer_check(R, ph))
		return R->err->code;
	if (!trace_step(R->t, step, (Mode)ph->mode)->keeps_cache)
		return rfail(R, ph, "%s keeps no cache", mode_name((Mode)ph->mode));
	int w = trace_window(R->t, ph->layer), n = w > 0 ? w : 0;
	unsigned held = 1u << CELL_COMPUTED | 1u << CELL_REUSED;
	for (int c = 1; c <= T && !w; c++)
		if (col_count(R->t, (Mode)ph->mode, step, ph->layer, MAT_K, held,
			      c))
			n = c;
	GridBuf gb = { 0 };
	if (grid_alloc(&gb, 1, n > 0 ? n : 1, R->err)) {
		grid_free(&gb);
		return R->err->code;
	}
	snprintf(gb.corner, sizeof gb.corner, "slot");
	snprintf(gb.g.row_labels[0], SHEET_TEXT_MAX, "k,v");
	for (int i = 0; i < gb.g.cols; i++) {
		snprintf(gb.g.col_labels[i], SHEET_TEXT_MAX, "%d", i + 1);
		gb.g.cells[i].masked = true;
	}
	for (int c = 1; c <= T; c++) {
		if (!col_count(R->t, (Mode)ph->mode, step, ph->layer, MAT_K, held,
			       c))
			continue;
		GridCell *cell = &gb.g.cells[ring_slot(w, c) - 1];
		cell->masked = false;
		snprintf(cell->text, SHEET_TEXT_MAX, "%d", c);
		cell->blank = wants_blank(R, ph);
	}
	gb.g.min_w = ph->answer ? GRID_ANSWER_W : 1;
	gb.g.ascii = R->o->ascii;
	gb.g.max_w = SHEET_PAGE_W;
	sheet_grid_layout(&gb.g, b);
	grid_free(&gb);
	return 0;
}

/* The closed form's cells after `step` with FORMULA_GLOBAL / _MHA bits. */
static uint64_t formula_cells(const Trace *t, int step, unsigned how)
{
	const Model *m = trace_model(t);
	int kv = how & FORMULA_MHA ? m->n_heads : m->n_kv_heads;
	uint64_t cols = 0;
	for (int l = 1; l <= trace_layers(t); l++) {
		int w = how & FORMULA_GLOBAL ? 0 : trace_window(t, l);
		cols += (uint64_t)(w > 0 && w < step ? w : step);
	}
	return cols * (uint64_t)kv * (uint64_t)(m->d_k + m->d_v);
}

/*
 * {{formula_cells step=N}}: the cache's size from the closed form
 * Σ_layers min(t, W_l)·n_kv_heads·(d_k + d_v), with t = N and W_l = t for
 * a global layer; `global` makes every layer global, `mha` gives every
 * query head its own K/V head, `saved` subtracts the model's own closed
 * form. Computed from the model's sizes, not read from the trace: a sheet
 * uses it for "what if" comparisons.
 */
static int render_formula(const Render *R, const Placeholder *ph,
			  SheetBlock *b)
{
	int step;
	if (step_resolve(R, ph, &step))
		return R->err->code;
	uint64_t v = formula_cells(R->t, step, ph->formula);
	if (ph->formula & FORMULA_SAVED)
		v -= formula_cells(R->t, step, 0);
	if (ph->formula & FORMULA_BYTES)
		v *= elem_bytes(R->t);
	char txt[SHEET_TEXT_MAX];
	snprintf(txt, sizeof txt, "%" PRIu64, v);
	inline_put(R, ph, txt, NULL, b);
	return 0;
}

/* ---- items and lines ---- */

static int render_ph(const Render *R, const Placeholder *ph, SheetBlock *b)
{
	switch (ph->kind) {
	case PH_GRID:
		return ph->what < MAT_COUNT ? render_trace_grid(R, ph, b)
					    : render_weight_grid(R, ph, b);
	case PH_CELL: return render_cell(R, ph, b);
	case PH_COUNTER: return render_counter(R, ph, b);
	case PH_FACT: return render_fact(R, ph, b);
	case PH_CELLS:
	case PH_COLS: return render_status(R, ph, b);
	case PH_CHOICES: return render_choices(R, ph, b);
	case PH_SLOTS: return render_slots(R, ph, b);
	case PH_FORMULA: return render_formula(R, ph, b);
	case PH_SAY: {
		char *s = strndup(R->tp->text + ph->text_at, ph->text_len);
		if (!s)
			return kv_error_set(R->err, EX_OSERR, "out of memory");
		inline_put(R, ph, s, NULL, b);
		free(s);
		return 0;
	}
	case PH_COPY: {
		/* same width in both copies, so the rest of the line aligns */
		const char *s = R->o->blank ? "Name: ______________"
					    : "ANSWER KEY          ";
		sheet_block_put(b, 0, s, strlen(s), NULL);
		return 0;
	}
	}
	return 0;
}

/* Literal text, or a placeholder resolved against the run it reads. */
static int render_item(const Render *R, const TmplItem *it, SheetBlock *b)
{
	if (!it->is_ph) {
		sheet_block_put(b, 0, R->tp->text + it->at, it->len, NULL);
		return 0;
	}
	Render run = *R;
	run.t = R->runs[it->ph.model + 1];
	return render_ph(&run, &it->ph, b);
}

static void page_ref(SheetPage *page, const SheetRef *ref)
{
	if (page->n_refs == page->cap_refs) {
		int cap = page->cap_refs ? 2 * page->cap_refs : 64;
		SheetRef *n = realloc(page->refs, (size_t)cap * sizeof *n);
		if (!n) {
			page->text.oom = true;
			return;
		}
		page->refs = n;
		page->cap_refs = cap;
	}
	page->refs[page->n_refs++] = *ref;
}

/* Appends a line block's rows to the page, without trailing spaces. */
static void page_add(SheetPage *page, const SheetBlock *line)
{
	int h = line->h ? line->h : 1;
	for (int i = 0; i < line->n_refs; i++) {
		SheetRef ref = line->refs[i];
		ref.line += page->lines;
		page_ref(page, &ref);
	}
	for (int r = 0; r < h; r++) {
		const char *s = r < line->h ? sheet_buf_str(&line->rows[r]) : "";
		size_t n = strlen(s);
		while (n > 0 && s[n - 1] == ' ')
			n--;
		sheet_buf_add(&page->text, s, n);
		sheet_buf_add(&page->text, "\n", 1);
	}
	page->lines += h;
}

/* Bytes [lo, hi) of a line that must stay on one line: an answer. */
typedef struct ByteSpan {
	size_t lo, hi;
} ByteSpan;

/* True when byte `at` lies inside one of the `n` spans. */
static bool in_spans(const ByteSpan *sp, int n, size_t at)
{
	for (int i = 0; i < n; i++)
		if (at >= sp[i].lo && at < sp[i].hi)
			return true;
	return false;
}

/*
 * Where the piece of `s` from `start` ends: the last space (outside the
 * spans) that keeps the piece within `room` columns; the first such space
 * when none does; the end of `s` when it fits or has none.
 */
static size_t wrap_end(const char *s, size_t start, size_t n, int room,
		       const ByteSpan *sp, int n_sp)
{
	size_t best = 0;
	if (sheet_text_width(s + start, n - start) <= room)
		return n;
	for (size_t i = start + 1; i < n; i++) {
		if (s[i] != ' ' || s[i - 1] == ' ' || in_spans(sp, n_sp, i))
			continue;
		if (best && sheet_text_width(s + start, i - start) > room)
			break;
		best = i;
	}
	return best ? best : n;
}

/*
 * Appends a one-row line to the page, word-wrapped to SHEET_PAGE_W at
 * spaces outside the spans (the answers, whose key text and blank differ):
 * so key and blank break at the same columns. Continuation lines keep the
 * line's indentation. Refs move to the piece that holds them.
 */
static void page_add_wrapped(SheetPage *page, const SheetBlock *line,
			     const ByteSpan *sp, int n_sp)
{
	const char *s = line->h ? sheet_buf_str(&line->rows[0]) : "";
	size_t n = strlen(s), indent = strspn(s, " "), start = 0;
	if (line->h != 1 || sheet_text_width(s, n) <= SHEET_PAGE_W ||
	    indent >= n) {
		page_add(page, line);
		return;
	}
	for (int first = 1; start < n; first = 0) {
		size_t pad = first ? 0 : indent;
		size_t end = wrap_end(s, start, n, SHEET_PAGE_W - (int)pad, sp,
				      n_sp);
		SheetBlock piece = { 0 };
		if (pad)
			sheet_block_put(&piece, 0, s, pad, NULL);
		sheet_block_put(&piece, 0, s + start, end - start, NULL);
		for (int i = 0; i < line->n_refs; i++) {
			SheetRef ref = line->refs[i];
			if ((size_t)ref.byte < start || (size_t)ref.byte >= end)
				continue;
			ref.byte = (int)((size_t)ref.byte - start + pad);
			ref.line = page->lines;
			page_ref(page, &ref);
		}
		page->text.oom |= piece.oom;
		SheetBlock text = piece;
		text.n_refs = 0;
		page_add(page, &text);
		sheet_block_free(&piece);
		start = end + strspn(s + end, " ");
	}
}

/* Literal text of spaces only: the gap a template puts between grids. */
static bool item_is_gap(const Render *R, const TmplItem *it)
{
	if (it->is_ph)
		return false;
	for (size_t i = 0; i < it->len; i++)
		if (R->tp->text[it->at + i] != ' ')
			return false;
	return true;
}

/*
 * Sets the line's blocks side by side as rows that fit the page: a block
 * that would cross SHEET_PAGE_W starts a new row below, after an empty
 * line, and the gap before it is dropped. A row's values keep their refs.
 */
static void line_flow(const Render *R, const TmplLine *tl, SheetBlock *items,
		      SheetPage *page)
{
	SheetBlock row = { 0 }, empty = { 0 };
	bool started = false;
	int gap = -1; /* the gap item waiting to go before the next block */
	for (int i = 0; i < tl->n; i++) {
		if (item_is_gap(R, &R->tp->items[tl->first + i])) {
			gap = i;
			continue;
		}
		int gw = gap >= 0 ? items[gap].w : 0;
		if (started && row.w + gw + items[i].w > SHEET_PAGE_W) {
			page_add(page, &row);
			page_add(page, &empty);
			page->text.oom |= row.oom;
			sheet_block_free(&row);
			gap = -1;
		}
		if (gap >= 0)
			sheet_block_beside(&row, &items[gap]);
		sheet_block_beside(&row, &items[i]);
		started = true;
		gap = -1;
	}
	page->text.oom |= row.oom;
	page_add(page, &row);
	sheet_block_free(&row);
}

/*
 * Sets the line's blocks side by side and adds them to the page; a line
 * of one row wider than the page is word-wrapped outside its answers.
 */
static int line_put(const Render *R, const TmplLine *tl,
		    const SheetBlock *items, SheetPage *page)
{
	SheetBlock line = { 0 };
	ByteSpan *sp = calloc((size_t)(tl->n > 0 ? tl->n : 1), sizeof *sp);
	int n_sp = 0, rc = 0;
	for (int i = 0; i < tl->n; i++) {
		const TmplItem *it = &R->tp->items[tl->first + i];
		size_t lo = line.h ? line.rows[0].len : 0;
		sheet_block_beside(&line, &items[i]);
		if (sp && it->is_ph && it->ph.answer && line.h)
			sp[n_sp++] = (ByteSpan){ lo, line.rows[0].len };
	}
	if (line.oom || !sp)
		rc = kv_error_set(R->err, EX_OSERR, "out of memory");
	else
		page_add_wrapped(page, &line, sp, n_sp);
	sheet_block_free(&line);
	free(sp);
	return rc;
}

/*
 * One template line. Its items are set side by side; when that would be
 * wider than the page and a grid is among them, they flow onto further
 * rows (line_flow). A line of text alone is never split.
 */
static int render_line(const Render *R, const TmplLine *tl, SheetPage *page)
{
	SheetBlock *items = calloc((size_t)(tl->n > 0 ? tl->n : 1),
				   sizeof *items);
	if (!items)
		return kv_error_set(R->err, EX_OSERR, "out of memory");
	int rc = 0, width = 0;
	bool tall = false, oom = false;
	for (int i = 0; i < tl->n && !rc; i++) {
		rc = render_item(R, &R->tp->items[tl->first + i], &items[i]);
		width += items[i].w;
		tall |= items[i].h > 1;
		oom |= items[i].oom;
	}
	if (!rc && oom)
		rc = kv_error_set(R->err, EX_OSERR, "out of memory");
	if (!rc && tall && width > SHEET_PAGE_W) {
		line_flow(R, tl, items, page);
	} else if (!rc) {
		rc = line_put(R, tl, items, page);
	}
	for (int i = 0; i < tl->n; i++)
		sheet_block_free(&items[i]);
	free(items);
	return rc;
}

int sheet_render(const Template *tp, const Trace *t, const SheetOptions *o,
		 SheetPage *page, KvError *err)
{
	*page = (SheetPage){ 0 };
	if (tp->n_models > 0)
		return kv_error_set(err, EX_SOFTWARE, "%s:%d: this sheet names "
				    "a model; render it with its runs",
				    tp->source, tp->model_lines[0]);
	const Trace *runs[1] = { t };
	return sheet_render_runs(tp, runs, o, page, err);
}

int sheet_render_runs(const Template *tp, const Trace *const *runs,
		      const SheetOptions *o, SheetPage *page, KvError *err)
{
	Render R = { .tp = tp, .t = runs[0], .runs = runs, .o = o, .err = err };
	*page = (SheetPage){ 0 };
	sheet_buf_init(&page->text);
	for (int i = 0; i < tp->n_lines; i++)
		if (render_line(&R, &tp->lines[i], page))
			return err->code;
	if (page->text.oom)
		return kv_error_set(err, EX_OSERR, "out of memory");
	return 0;
}

void sheet_page_free(SheetPage *page)
{
	sheet_buf_free(&page->text);
	free(page->refs);
	*page = (SheetPage){ 0 };
}
