#ifndef KVSTEP_SHEET_RENDER_INT_H
#define KVSTEP_SHEET_RENDER_INT_H
/*
 * Internal to the renderer: sheet_render.c (entry points, the dispatch of
 * placeholders, page layout), sheet_common.c (the checks below),
 * sheet_values.c (counters, facts, status summaries) and sheet_cells.c
 * (cells, grids, weights, choices, ring slots, formulas).
 *
 * Every check and renderer here fails the same way: it sets R->err and
 * returns its code, EX_DATAERR with "source:line: ..." (the line of the
 * placeholder) when the placeholder does not fit the trace, EX_OSERR when
 * memory runs out. A renderer appends one line of text or one grid to the
 * empty block `b`; a failed allocation inside sheet_block_put shows as
 * b->oom, which the caller checks.
 */
#include <stdbool.h>
#include <stdint.h>

#include "sheet_render.h"

/* Where a placeholder is resolved. */
typedef struct Render {
	const Template *tp;
	const Trace *t;            /* the run the current placeholder reads */
	const Trace *const *runs;  /* (1 + tp->n_models) see sheet_render_runs */
	const SheetOptions *o;
	KvError *err;
} Render;

/* ---- checks and helpers (sheet_common.c) ---- */

/*
 * Sets R->err to EX_DATAERR "source:line: MESSAGE", with the line of
 * `ph` and the printf-style message. Returns EX_DATAERR.
 */
int sheet_rfail(const Render *R, const Placeholder *ph, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* The value of an index in R->t: P or T plus its offset, or the number. */
int sheet_index_value(const Render *R, const SheetIndex *ix);

/*
 * Resolves the step of `ph` into *step (set even on failure). Returns 0,
 * or EX_DATAERR when it lies outside the run's steps 1..T.
 */
int sheet_step_resolve(const Render *R, const Placeholder *ph, int *step);

/*
 * Checks 1 ≤ ph->layer ≤ the model's layers, or 0 (every layer).
 * Returns 0 or EX_DATAERR.
 */
int sheet_layer_check(const Render *R, const Placeholder *ph);

/*
 * Checks 1 ≤ ph->head ≤ n, the heads `what` (a matrix name, "the
 * model") has. Returns 0 or EX_DATAERR.
 */
int sheet_head_check(const Render *R, const Placeholder *ph, int n,
		     const char *what);

/* True when `ph` is an answer and this copy is the student's. */
bool sheet_wants_blank(const Render *R, const Placeholder *ph);

/*
 * Appends the inline value `s` to row 0 of `b`: as is when `ph` is given;
 * when it is an answer, padded to its width (ph->width, or at least 6
 * columns) in the key and underscores of that width in the blank copy.
 * A non-NULL `ref` records the value; underscores record nothing.
 */
void sheet_inline_put(const Render *R, const Placeholder *ph, const char *s,
		      const SheetRef *ref, SheetBlock *b);

/* ---- values shared with sheet_cells.c (sheet_values.c) ---- */

/*
 * The word `mode` predicts after position `step` (1..T), or a dash when
 * the mode computes no logits for that position (prefill before the
 * prompt's end). Points into the model's vocab or a constant string.
 */
const char *sheet_chosen_text(const Render *R, Mode mode, int step);

/* Bytes per cached cell, read off the cache mode's last counters. */
uint64_t sheet_elem_bytes(const Trace *t);

/*
 * Cells of column c (1..T) of `mat` in `layer`, over every head, that
 * `mode` holds at `step` with a status in the `statuses` bit set
 * (1u << CellStatus). Logits count as layer 1.
 */
int sheet_col_count(const Trace *t, Mode mode, int step, int layer,
		    Matrix mat, unsigned statuses, int c);

/* ---- grids (sheet_cells.c) ---- */

/* Storage for one grid while it is filled in. */
typedef struct GridBuf {
	GridSpec g;
	char corner[SHEET_TEXT_MAX];
} GridBuf;

/* Labels and cells for a rows × cols grid, zeroed; EX_OSERR when memory
 * runs out (free it with sheet_grid_free either way). */
int sheet_grid_alloc(GridBuf *gb, int rows, int cols, KvError *err);
void sheet_grid_free(GridBuf *gb);
/* Lays out a filled grid onto `b` at the page width (answer cells at
 * least 4 wide), then frees it. Returns 0 or EX_OSERR. */
int sheet_grid_finish(const Render *R, const Placeholder *ph, GridBuf *gb,
		      SheetBlock *b);

/* ---- one renderer per placeholder kind ---- */

/* PH_COUNTER (sheet_values.c): a counter of a step, or one layer's share. */
int sheet_render_counter(const Render *R, const Placeholder *ph,
			 SheetBlock *b);

/* PH_FACT (sheet_values.c): words, a model size, a range, a mark. */
int sheet_render_fact(const Render *R, const Placeholder *ph, SheetBlock *b);

/* PH_CELLS and PH_COLS (sheet_values.c): cells or columns with a status. */
int sheet_render_status(const Render *R, const Placeholder *ph,
			SheetBlock *b);

/* PH_CELL (sheet_cells.c): one value of a trace matrix or a weight. */
int sheet_render_cell(const Render *R, const Placeholder *ph, SheetBlock *b);

/* PH_GRID of a trace matrix (sheet_cells.c), as a mode holds it at a step. */
int sheet_render_trace_grid(const Render *R, const Placeholder *ph,
			    SheetBlock *b);

/* PH_GRID of a model weight, SHEET_W_* (sheet_cells.c). */
int sheet_render_weight_grid(const Render *R, const Placeholder *ph,
			     SheetBlock *b);

/* PH_CHOICES (sheet_cells.c): grid of the token each mode predicts. */
int sheet_render_choices(const Render *R, const Placeholder *ph,
			 SheetBlock *b);

/* PH_SLOTS (sheet_cells.c): grid of the K/V column in each cache slot. */
int sheet_render_slots(const Render *R, const Placeholder *ph,
		       SheetBlock *b);

/* PH_TILES (sheet_tiles.c): the tiled kernel's states of the query
 * column the step's pass ends at, as a grid: rows m, α, l, o1..o_dv,
 * one column per state. */
int sheet_render_tiles(const Render *R, const Placeholder *ph, SheetBlock *b);

/* PH_FORMULA (sheet_cells.c): the cache's size from the closed form. */
int sheet_render_formula(const Render *R, const Placeholder *ph,
			 SheetBlock *b);

#endif
