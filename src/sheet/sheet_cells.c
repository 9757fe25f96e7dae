/*
 * Placeholders that read matrices: one cell inline, a trace matrix or a
 * model weight as a grid, the token each mode chose, the column in each
 * slot of a sliding window's ring, and the cache's closed-form size. Trace
 * values come from trace_value_at as the mode holds them at the step;
 * weights straight from the model.
 */
#include "sheet_render_int.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

enum {
	GRID_ANSWER_W = 4 /* narrowest answer cell, room for "0.98" */
};

/* ---- cells and grids ---- */

/* The kernel a placeholder reads: kernel=standard, or the run's own. */
static ProducerKernel ph_kernel(const Render *R, const Placeholder *ph)
{
	if (ph->standard)
		return PRODUCER_KERNEL_STANDARD;
	return trace_tiles_kernel(trace_tiles(R->t))->tiled
		       ? PRODUCER_KERNEL_TILED
		       : PRODUCER_KERNEL_STANDARD;
}

static CellStatus ph_status(const Render *R, const Placeholder *ph, int step,
			    int r, int c)
{
	return trace_status_kernel(R->t, ph_kernel(R, ph), step,
				   (Mode)ph->mode, ph->layer, (Matrix)ph->what,
				   r, c);
}

static bool ph_value(const Render *R, const Placeholder *ph, int r, int c,
		     double *v)
{
	return trace_value_kernel(R->t, ph_kernel(R, ph), ph->layer, ph->head,
				  (Matrix)ph->what, r, c, v);
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
	if (sheet_layer_check(R, ph) ||
	    sheet_head_check(R, ph, matrix_heads(R->t, ph->what),
			     sheet_matrix_name(ph->what)))
		return R->err->code;
	if ((ph->what == SHEET_W_O || ph->what == MAT_H) && !m->stacked)
		return sheet_rfail(R, ph, "model \"%s\" has no %s (one layer, "
				   "one head, no output projection)", m->name,
				   sheet_matrix_name(ph->what));
	return 0;
}

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
	if (sheet_step_resolve(R, ph, &step))
		return R->err->code;
	*st = ph_status(R, ph, step, r, c);
	if (*st != CELL_ABSENT)
		return 0;
	return sheet_rfail(R, ph, "%s does not hold %s[%d,%d] at step %d",
			   mode_name((Mode)ph->mode),
			   sheet_matrix_name(ph->what), r, c, step);
}

/*
 * A cell's value as the placeholder's mode holds it at its step (a
 * quantised run's cache modes have values of their own, trace.h), or as
 * the teaching modes produced it when no mode or step is given.
 */
static bool cell_value(const Render *R, const Placeholder *ph, int r, int c,
		       double *v)
{
	int step;
	if (trace_quant(R->t) && ph->mode >= 0 && ph->step.set &&
	    !sheet_step_resolve(R, ph, &step))
		return trace_value_in(R->t, step, (Mode)ph->mode, ph->layer,
				      ph->head, (Matrix)ph->what, r, c, v);
	return ph_value(R, ph, r, c, v);
}

/* {{Kq[r,c] min|scale|code|error}}: a part of a quantised cell, written
 * inline; an error when the run never quantised that cell. */
static int quant_part(const Render *R, const Placeholder *ph, int r, int c,
		      double readback, SheetBlock *b)
{
	KvQuantCell q;
	double exact;
	Matrix ex = ph->what == MAT_KQ ? MAT_K : MAT_V;
	int step;
	if (ph->mode < 0 || !ph->step.set || sheet_step_resolve(R, ph, &step) ||
	    !trace_quantised_at(R->t, step, (Mode)ph->mode, c) ||
	    !trace_quant_cell(R->t, (Matrix)ph->what, ph->layer, ph->head, r,
			      c, &q) ||
	    !trace_value_in(R->t, step, (Mode)ph->mode, ph->layer, ph->head,
			    ex, r, c, &exact))
		return sheet_rfail(R, ph, "%s[%d,%d] is not quantised here (a "
				   "cache mode and a step after its group is "
				   "due, in a run with kv-quant)",
				   sheet_matrix_name(ph->what), r, c);
	char txt[SHEET_TEXT_MAX];
	double top = (double)((1 << trace_quant(R->t)->bits) - 1);
	if (ph->qpart == SHEET_QPART_CODE)
		snprintf(txt, sizeof txt, "%d", q.code);
	else if (ph->qpart == SHEET_QPART_MAX)
		sheet_format_value(q.min + top * q.scale, R->o->digits, txt);
	else if (ph->qpart == SHEET_QPART_SCALE)
		/* read back = min + code x scale multiplies the scale's
		 * rounding by up to 15 (int4): two more digits keep the
		 * page's read-back values derivable from it */
		sheet_format_value(q.scale,
				   (R->o->digits < 0 ? SHEET_DEFAULT_DIGITS
						     : R->o->digits) + 2,
				   txt);
	else
		sheet_format_value(ph->qpart == SHEET_QPART_MIN ? q.min :
				   readback - exact, R->o->digits, txt);
	sheet_inline_put(R, ph, txt, NULL, b);
	return 0;
}

int sheet_render_cell(const Render *R, const Placeholder *ph, SheetBlock *b)
{
	int rows, cols;
	if (matrix_check(R, ph))
		return R->err->code;
	matrix_shape(R->t, ph->what, &rows, &cols);
	int r = sheet_index_value(R, &ph->row);
	int c = sheet_index_value(R, &ph->col);
	if (r < 1 || r > rows || c < 1 || c > cols)
		return sheet_rfail(R, ph, "%s has no cell [%d,%d] (rows "
				   "1..%d, columns 1..%d)",
				   sheet_matrix_name(ph->what), r, c, rows,
				   cols);
	CellStatus st;
	if (cell_held(R, ph, r, c, &st))
		return R->err->code;
	double v;
	if (ph->what >= MAT_COUNT) {
		v = weight_value(trace_model(R->t), ph->what, ph->layer,
				 ph->head, r, c);
	} else if (st == CELL_EVICTED) {
		sheet_inline_put(R, ph, sheet_evicted_mark(R->o->ascii), NULL,
				 b);
		return 0;
	} else if (st == CELL_MASKED || !cell_value(R, ph, r, c, &v)) {
		sheet_inline_put(R, ph, sheet_dash(R->o->ascii), NULL, b);
		return 0;
	}
	if (ph->qpart != SHEET_QPART_VALUE)
		return quant_part(R, ph, r, c, v, b);
	char txt[SHEET_TEXT_MAX];
	sheet_format_value(v, R->o->digits, txt);
	SheetRef ref = { .kind = REF_CELL, .what = ph->what, .row = r,
			 .col = c, .mode = ph->mode, .layer = ph->layer,
			 .head = ph->head, .run = ph->model,
			 .answer = ph->answer, .standard = ph->standard };
	sheet_inline_put(R, ph, txt, &ref, b);
	return 0;
}

int sheet_grid_alloc(GridBuf *gb, int rows, int cols, KvError *err)
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

void sheet_grid_free(GridBuf *gb)
{
	free(gb->g.row_labels);
	free(gb->g.col_labels);
	free(gb->g.cells);
}

/* Labels of a trace matrix: x1.. for X, q1.. for Q, k1.. rows of S, A. */
/* Lays out a filled grid onto `b` at the page width, then frees it. */
int sheet_grid_finish(const Render *R, const Placeholder *ph, GridBuf *gb,
		      SheetBlock *b)
{
	gb->g.min_w = ph->answer ? GRID_ANSWER_W : 1;
	gb->g.ascii = R->o->ascii;
	gb->g.max_w = SHEET_PAGE_W;
	sheet_grid_layout(&gb->g, b);
	sheet_grid_free(gb);
	return 0;
}

static void grid_labels(const Trace *t, Matrix mat, int col_lo, GridSpec *g)
{
	static const char prefix[MAT_COUNT] = {
		[MAT_X] = 'x', [MAT_Q] = 'q', [MAT_K] = 'k', [MAT_V] = 'v',
		[MAT_S] = 'q', [MAT_A] = 'q', [MAT_Z] = 'z', [MAT_LOGITS] = 'l',
		[MAT_H] = 'h', [MAT_KQ] = 'k', [MAT_VQ] = 'v', [MAT_QR] = 'q',
		[MAT_KR] = 'k',
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
	CellStatus st = ph_status(R, ph, step, r, c);
	double v;
	/* the UI's glyphs: ! recomputed, = reused from the cache */
	cell->mark = st == CELL_RECOMPUTED ? '!' : st == CELL_REUSED ? '=' : ' ';
	if (st == CELL_EVICTED) {
		cell->evicted = true;
		return;
	}
	bool held = trace_quant(R->t)
			    ? trace_value_in(R->t, step, (Mode)ph->mode,
					     ph->layer, ph->head, mat, r, c, &v)
			    : ph_value(R, ph, r, c, &v);
	if (st == CELL_MASKED || !held) {
		/* hidemask: the student finds the masked cells too */
		cell->masked = !(ph->hidemask && sheet_wants_blank(R, ph));
		cell->blank = !cell->masked;
		return;
	}
	sheet_format_value(v, R->o->digits, cell->text);
	cell->blank = sheet_wants_blank(R, ph) && !(ph->given & (1u << st));
	cell->ref = (SheetRef){ .kind = REF_CELL, .what = mat, .row = r,
				.col = c, .mode = ph->mode, .step = step,
				.layer = ph->layer, .head = ph->head,
				.run = ph->model, .standard = ph->standard,
				.answer = ph->answer && !(ph->given & (1u << st)) };
}

int sheet_render_trace_grid(const Render *R, const Placeholder *ph,
			    SheetBlock *b)
{
	int step;
	TraceSpan sp;
	Matrix mat = (Matrix)ph->what;
	if (sheet_step_resolve(R, ph, &step) || matrix_check(R, ph))
		return R->err->code;
	if (ph->standard && !trace_has_producer(R->t, PRODUCER_TARGET_STANDARD))
		return sheet_rfail(R, ph, "this run has no standard kernel's "
				   "values");
	if (!trace_span_kernel(R->t, ph_kernel(R, ph), step, (Mode)ph->mode,
			       ph->layer, mat, &sp))
		return sheet_rfail(R, ph, "%s holds no %s at step %d%s",
				   mode_name((Mode)ph->mode), matrix_name(mat),
				   step,
				   ph_kernel(R, ph) == PRODUCER_KERNEL_TILED &&
						   (mat == MAT_S || mat == MAT_A)
					   ? " (the tiled kernel never writes "
					     "S or A; kernel=standard reads "
					     "the standard one's)"
					   : "");
	GridBuf gb = { 0 };
	if (sheet_grid_alloc(&gb, sp.rows, sp.col_hi - sp.col_lo + 1, R->err)) {
		sheet_grid_free(&gb);
		return R->err->code;
	}
	snprintf(gb.corner, sizeof gb.corner, "%s", matrix_name(mat));
	grid_labels(R->t, mat, sp.col_lo, &gb.g);
	for (int r = 0; r < gb.g.rows; r++)
		for (int c = 0; c < gb.g.cols; c++)
			grid_fill_cell(R, ph, step, r + 1, sp.col_lo + c,
				       &gb.g.cells[r * gb.g.cols + c]);
	gb.g.marks = ph->marks;
	return sheet_grid_finish(R, ph, &gb, b);
}

int sheet_render_weight_grid(const Render *R, const Placeholder *ph,
			     SheetBlock *b)
{
	const Model *m = trace_model(R->t);
	int rows, cols;
	if (matrix_check(R, ph))
		return R->err->code;
	weight_shape(m, ph->what, &rows, &cols);
	GridBuf gb = { 0 };
	if (sheet_grid_alloc(&gb, rows, cols, R->err)) {
		sheet_grid_free(&gb);
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
			cell->blank = sheet_wants_blank(R, ph);
			cell->ref = (SheetRef){ .kind = REF_CELL, .what = ph->what,
						.row = r + 1, .col = c + 1,
						.mode = -1, .layer = ph->layer,
						.head = ph->head, .run = ph->model,
						.answer = ph->answer };
		}
	}
	return sheet_grid_finish(R, ph, &gb, b);
}

/*
 * The token each mode predicts after each position: modes × steps 1..N,
 * N the placeholder's step (set or its own), or T without one.
 */
int sheet_render_choices(const Render *R, const Placeholder *ph,
			 SheetBlock *b)
{
	int T = trace_steps(R->t);
	if (ph->step.set && sheet_step_resolve(R, ph, &T))
		return R->err->code;
	GridBuf gb = { 0 };
	if (sheet_grid_alloc(&gb, MODE_COUNT, T, R->err)) {
		sheet_grid_free(&gb);
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
				 sheet_chosen_text(R, (Mode)m, c + 1));
			cell->blank = sheet_wants_blank(R, ph);
		}
	}
	return sheet_grid_finish(R, ph, &gb, b);
}

/* ---- caches of sliding windows ---- */

/* The slot column c occupies in the mode's cache, as the trace recorded
 * the cache's write (a ring: (c−1) mod W + 1; a global layer: c). */
static int cache_slot(const Trace *t, int step, Mode mode, int layer, int c)
{
	TraceKv kv;
	return trace_kv_at(t, step, mode, layer, c, &kv) && kv.place.slot > 0
		       ? kv.place.slot
		       : c;
}

/*
 * {{slots layer=N}}: one row, the K/V column each cache slot of the layer
 * holds after the step, as the trace's statuses say (computed or reused,
 * not evicted). A slot nothing has filled yet shows a dash.
 */
int sheet_render_slots(const Render *R, const Placeholder *ph,
		       SheetBlock *b)
{
	int step, T = trace_steps(R->t);
	if (sheet_step_resolve(R, ph, &step) || sheet_layer_check(R, ph))
		return R->err->code;
	if (!trace_step(R->t, step, (Mode)ph->mode)->keeps_cache)
		return sheet_rfail(R, ph, "%s keeps no cache",
				   mode_name((Mode)ph->mode));
	int w = trace_window(R->t, ph->layer);
	int n = w > 0 ? trace_pinned(R->t, ph->layer) + w : 0; /* pins first */
	unsigned held = 1u << CELL_COMPUTED | 1u << CELL_REUSED;
	for (int c = 1; c <= T && !w; c++)
		if (sheet_col_count(R->t, (Mode)ph->mode, step, ph->layer,
				    MAT_K, held, c))
			n = c;
	GridBuf gb = { 0 };
	if (sheet_grid_alloc(&gb, 1, n > 0 ? n : 1, R->err)) {
		sheet_grid_free(&gb);
		return R->err->code;
	}
	snprintf(gb.corner, sizeof gb.corner, "slot");
	snprintf(gb.g.row_labels[0], SHEET_TEXT_MAX, "k,v");
	for (int i = 0; i < gb.g.cols; i++) {
		snprintf(gb.g.col_labels[i], SHEET_TEXT_MAX, "%d", i + 1);
		gb.g.cells[i].masked = true;
	}
	for (int c = 1; c <= T; c++) {
		if (!sheet_col_count(R->t, (Mode)ph->mode, step, ph->layer,
				     MAT_K, held, c))
			continue;
		int slot = cache_slot(R->t, step, (Mode)ph->mode, ph->layer, c);
		if (slot > gb.g.cols)
			continue;
		GridCell *cell = &gb.g.cells[slot - 1];
		cell->masked = false;
		snprintf(cell->text, SHEET_TEXT_MAX, "%d", c);
		cell->blank = sheet_wants_blank(R, ph);
	}
	return sheet_grid_finish(R, ph, &gb, b);
}

/* The closed form's cells after `step` with FORMULA_GLOBAL / _MHA bits. */
static uint64_t formula_cells(const Trace *t, int step, unsigned how)
{
	const Model *m = trace_model(t);
	int kv = how & FORMULA_MHA ? m->n_heads : m->n_kv_heads;
	uint64_t cols = 0;
	for (int l = 1; l <= trace_layers(t); l++) {
		int w = how & FORMULA_GLOBAL ? 0 : trace_window(t, l);
		if (w > 0) /* pinned first columns (sink_tokens) stay too */
			w += trace_pinned(t, l);
		cols += (uint64_t)(w > 0 && w < step ? w : step);
	}
	return cols * (uint64_t)kv * (uint64_t)(m->d_k + m->d_v);
}

/*
 * {{formula_cells step=N}}: the cache's size from the closed form
 * Σ_layers min(t, W_l)·n_kv_heads·(d_k + d_v), with t = N and W_l = t for
 * a global layer (W_l + N_l with N_l pinned first columns); `global` makes every layer global, `mha` gives every
 * query head its own K/V head, `saved` subtracts the model's own closed
 * form. Computed from the model's sizes, not read from the trace: a sheet
 * uses it for "what if" comparisons.
 */
int sheet_render_formula(const Render *R, const Placeholder *ph,
			 SheetBlock *b)
{
	int step;
	if (sheet_step_resolve(R, ph, &step))
		return R->err->code;
	uint64_t v = formula_cells(R->t, step, ph->formula);
	if (ph->formula & FORMULA_SAVED)
		v -= formula_cells(R->t, step, 0);
	if (ph->formula & FORMULA_BYTES)
		v *= sheet_elem_bytes(R->t);
	char txt[SHEET_TEXT_MAX];
	snprintf(txt, sizeof txt, "%" PRIu64, v);
	sheet_inline_put(R, ph, txt, NULL, b);
	return 0;
}
