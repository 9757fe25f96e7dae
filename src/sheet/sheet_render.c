/*
 * Placeholder resolution: each item of a template line becomes a block
 * (one line of text, or a grid), the blocks are set side by side, and the
 * result is appended to the page. Key and blank copy go through the same
 * code and differ only in whether answers print or turn into underscores,
 * so they always have the same lines and columns.
 */
#include "sheet_render.h"

#include <inttypes.h>
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
	const Trace *t;
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

static int render_counter(const Render *R, const Placeholder *ph,
			  SheetBlock *b)
{
	int step;
	if (step_resolve(R, ph, &step))
		return R->err->code;
	const TraceStep *s = trace_step(R->t, step, (Mode)ph->mode);
	uint64_t v = counter_get(s, ph->total ? &s->total : &s->pass_c,
				 (SheetCounter)ph->what);
	char txt[SHEET_TEXT_MAX];
	snprintf(txt, sizeof txt, "%" PRIu64, v);
	SheetRef ref = { .kind = REF_COUNTER, .what = ph->what,
			 .mode = ph->mode, .step = step, .total = ph->total,
			 .answer = ph->answer };
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
	case FACT_SCALE:
		sheet_format_value(m->scale, R->o->digits, txt);
		sheet_buf_puts(out, txt);
		return;
	case FACT_PROMPT:
	case FACT_GENERATED:
	case FACT_TOKENS:
	case FACT_TOKEN:
	case FACT_CHOSEN:
	case FACT_MODEL:
	case FACT_DASH:
	case FACT_COUNT:
		return;
	}
	snprintf(txt, sizeof txt, "%lld", v);
	sheet_buf_puts(out, txt);
}

/* The text of a fact into `out`. */
static int fact_text(const Render *R, const Placeholder *ph, SheetBuf *out)
{
	int P = trace_prompt_len(R->t), T = trace_steps(R->t), step = 0;
	if ((ph->what == FACT_TOKEN || ph->what == FACT_CHOSEN) &&
	    step_resolve(R, ph, &step))
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
	case FACT_D_MODEL:
	case FACT_D_K:
	case FACT_D_V:
	case FACT_VOCAB:
	case FACT_INDEX:
	case FACT_SCALE:
	case FACT_ELEM_BYTES:
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

/* Does matrix `mat` of `mode` at `step` have a cell of `status` in column c? */
static int col_count(const Render *R, Mode mode, int step, Matrix mat,
		     int status, int c)
{
	int n = 0;
	for (int r = 1; r <= trace_matrix_rows(R->t, mat); r++)
		n += trace_status(R->t, step, mode, mat, r, c) ==
		     (CellStatus)status;
	return n;
}

/* Cells (or, with per_col, columns) of the `of` matrices with `status`. */
static int status_count(const Render *R, const Placeholder *ph, int step,
			int c)
{
	int n = 0;
	for (int m = 0; m < MAT_COUNT; m++)
		if (ph->of & (1u << m))
			n += col_count(R, (Mode)ph->mode, step, (Matrix)m,
				       ph->status, c);
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
	if (step_resolve(R, ph, &step))
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
	*rows = w == SHEET_W_V ? m->d_v : w == SHEET_W_OUT ? m->vocab_n : m->d_k;
	*cols = w == SHEET_W_OUT ? m->d_v : m->d_model;
}

static double weight_value(const Model *m, int w, int r, int c)
{
	switch (w) {
	case SHEET_W_Q: return m->wq[(r - 1) * m->d_model + (c - 1)];
	case SHEET_W_K: return m->wk[(r - 1) * m->d_model + (c - 1)];
	case SHEET_W_V: return m->wv[(r - 1) * m->d_model + (c - 1)];
	default: return m->wout[(r - 1) * m->d_v + (c - 1)];
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
	*st = trace_status(R->t, step, (Mode)ph->mode, (Matrix)ph->what, r, c);
	if (*st != CELL_ABSENT)
		return 0;
	return rfail(R, ph, "%s does not hold %s[%d,%d] at step %d",
		     mode_name((Mode)ph->mode), sheet_matrix_name(ph->what), r,
		     c, step);
}

static int render_cell(const Render *R, const Placeholder *ph, SheetBlock *b)
{
	int rows, cols;
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
	if (ph->what >= MAT_COUNT)
		v = weight_value(trace_model(R->t), ph->what, r, c);
	else if (st == CELL_MASKED ||
		 !trace_value(R->t, (Matrix)ph->what, r, c, &v)) {
		inline_put(R, ph, sheet_dash(R->o->ascii), NULL, b);
		return 0;
	}
	char txt[SHEET_TEXT_MAX];
	sheet_format_value(v, R->o->digits, txt);
	SheetRef ref = { .kind = REF_CELL, .what = ph->what, .row = r,
			 .col = c, .mode = ph->mode, .answer = ph->answer };
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
	CellStatus st = trace_status(R->t, step, (Mode)ph->mode, mat, r, c);
	double v;
	cell->mark = st == CELL_RECOMPUTED ? '*' : st == CELL_REUSED ? '^' : ' ';
	if (st == CELL_MASKED || !trace_value(R->t, mat, r, c, &v)) {
		cell->masked = true;
		return;
	}
	sheet_format_value(v, R->o->digits, cell->text);
	cell->blank = wants_blank(R, ph) && !(ph->given & (1u << st));
	cell->ref = (SheetRef){ .kind = REF_CELL, .what = mat, .row = r,
				.col = c, .mode = ph->mode, .step = step,
				.answer = ph->answer && !(ph->given & (1u << st)) };
}

static int render_trace_grid(const Render *R, const Placeholder *ph,
			     SheetBlock *b)
{
	int step;
	TraceSpan sp;
	Matrix mat = (Matrix)ph->what;
	if (step_resolve(R, ph, &step))
		return R->err->code;
	if (!trace_span(R->t, step, (Mode)ph->mode, mat, &sp))
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
	sheet_grid_layout(&gb.g, b);
	grid_free(&gb);
	return 0;
}

static int render_weight_grid(const Render *R, const Placeholder *ph,
			      SheetBlock *b)
{
	const Model *m = trace_model(R->t);
	int rows, cols;
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
			sheet_format_value(weight_value(m, ph->what, r + 1, c + 1),
					   R->o->digits, cell->text);
			cell->blank = wants_blank(R, ph);
			cell->ref = (SheetRef){ .kind = REF_CELL, .what = ph->what,
						.row = r + 1, .col = c + 1,
						.mode = -1, .answer = ph->answer };
		}
	}
	gb.g.min_w = ph->answer ? GRID_ANSWER_W : 1;
	gb.g.ascii = R->o->ascii;
	sheet_grid_layout(&gb.g, b);
	grid_free(&gb);
	return 0;
}

/* The token each mode predicts after each position: modes × steps. */
static int render_choices(const Render *R, const Placeholder *ph,
			  SheetBlock *b)
{
	int T = trace_steps(R->t);
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
	sheet_grid_layout(&gb.g, b);
	grid_free(&gb);
	return 0;
}

/* ---- items and lines ---- */

static int render_item(const Render *R, const TmplItem *it, SheetBlock *b)
{
	if (!it->is_ph) {
		sheet_block_put(b, 0, R->tp->text + it->at, it->len, NULL);
		return 0;
	}
	const Placeholder *ph = &it->ph;
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

static int render_line(const Render *R, const TmplLine *tl, SheetPage *page)
{
	SheetBlock line = { 0 };
	int rc = 0;
	for (int i = 0; i < tl->n && !rc; i++) {
		SheetBlock item = { 0 };
		rc = render_item(R, &R->tp->items[tl->first + i], &item);
		if (!rc)
			sheet_block_beside(&line, &item);
		sheet_block_free(&item);
	}
	if (!rc && line.oom)
		rc = kv_error_set(R->err, EX_OSERR, "out of memory");
	if (!rc)
		page_add(page, &line);
	sheet_block_free(&line);
	return rc;
}

int sheet_render(const Template *tp, const Trace *t, const SheetOptions *o,
		 SheetPage *page, KvError *err)
{
	Render R = { .tp = tp, .t = t, .o = o, .err = err };
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
