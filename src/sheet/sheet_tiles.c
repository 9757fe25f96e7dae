/*
 * {{tiles}}: the tiled kernel's states (trace_tiles.h) of one query
 * column as a grid, the way the online softmax is worked by hand:
 *
 *   tiles   k1-k2   k3-k4   k5
 *   m        0.50    1.25   1.25
 *   alpha       1    0.47      1
 *   l        1.61    2.03   2.40
 *   o1       ...
 *
 * one column per state in the order the kernel made them (a split
 * column's merges too, labelled "merge p"), rows m, alpha, l and o1..o_dv
 * ("alpha" as the sheet's own text writes it, with or without --ascii).
 * The query is the last column of the step's pass: the new token's in
 * the cache modes. Values are the trace's, never recomputed.
 */
#include "sheet_render_int.h"

#include <stdio.h>

/* The grid's row label of field `f` (o: row r of o). */
static void row_label(int f, int r, char *out)
{
	static const char *const names[] = { "m", "alpha", "l" };
	if (f == TILE_FIELD_O)
		snprintf(out, SHEET_TEXT_MAX, "o%d", r);
	else
		snprintf(out, SHEET_TEXT_MAX, "%s", names[f]);
}

/* "k1-k2", "k5" for a tile; "merge 2" for a split column's merge. */
static void col_label(const TileState *ts, char *out)
{
	if (ts->kind == TILE_MERGE)
		snprintf(out, SHEET_TEXT_MAX, "merge %d", ts->part);
	else if (ts->key_lo == ts->key_hi)
		snprintf(out, SHEET_TEXT_MAX, "k%d", ts->key_lo);
	else
		snprintf(out, SHEET_TEXT_MAX, "k%d-k%d", ts->key_lo, ts->key_hi);
}

static double field_value(const TileState *ts, int f, int r)
{
	switch (f) {
	case TILE_FIELD_M: return ts->m;
	case TILE_FIELD_ALPHA: return ts->alpha;
	case TILE_FIELD_L: return ts->l;
	default: return ts->o[r - 1];
	}
}

/* Checks the run is tiled and finds the query and its state count. */
static int tiles_query(const Render *R, const Placeholder *ph, int *step,
		       int *q, int *n)
{
	if (sheet_step_resolve(R, ph, step) || sheet_layer_check(R, ph) ||
	    sheet_head_check(R, ph, trace_model(R->t)->n_heads, "the model"))
		return R->err->code;
	const TraceTiles *tt = trace_tiles(R->t);
	if (!trace_tiles_kernel(tt)->tiled)
		return sheet_rfail(R, ph, "{{tiles}} needs the tiled kernel: "
				   "put {{attention flash}} above it");
	*q = trace_step(R->t, *step, (Mode)ph->mode)->info.hi;
	*n = trace_tiles_count(tt, ph->layer, ph->head, *q);
	if (*n < 1)
		return sheet_rfail(R, ph, "no tile states for q%d at step %d",
				   *q, *step);
	return 0;
}

int sheet_render_tiles(const Render *R, const Placeholder *ph, SheetBlock *b)
{
	int step = 0, q = 0, n = 0;
	if (tiles_query(R, ph, &step, &q, &n))
		return R->err->code;
	const TraceTiles *tt = trace_tiles(R->t);
	int d_v = trace_model(R->t)->d_v;
	int rows = TILE_FIELD_O + d_v;
	GridBuf gb = { 0 };
	if (sheet_grid_alloc(&gb, rows, n, R->err)) {
		sheet_grid_free(&gb);
		return R->err->code;
	}
	snprintf(gb.corner, sizeof gb.corner, "tiles");
	for (int i = 0; i < rows; i++) {
		int f = i < TILE_FIELD_O ? i : TILE_FIELD_O;
		row_label(f, i - f + 1, gb.g.row_labels[i]);
	}
	bool blank = sheet_wants_blank(R, ph) && !ph->given;
	for (int c = 0; c < n; c++) {
		TileState ts;
		trace_tiles_get(tt, ph->layer, ph->head, q, c + 1, &ts);
		col_label(&ts, gb.g.col_labels[c]);
		for (int i = 0; i < rows; i++) {
			int f = i < TILE_FIELD_O ? i : TILE_FIELD_O;
			int r = i - f + 1;
			GridCell *cell = &gb.g.cells[i * n + c];
			sheet_format_value(field_value(&ts, f, r),
					   R->o->digits, cell->text);
			cell->blank = blank;
			cell->ref = (SheetRef){
				.kind = REF_TILE, .what = f, .row = r,
				.col = c + 1, .mode = ph->mode, .step = step,
				.layer = ph->layer, .head = ph->head,
				.run = ph->model,
				.answer = ph->answer && !ph->given };
		}
	}
	return sheet_grid_finish(R, ph, &gb, b);
}
