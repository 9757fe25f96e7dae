#ifndef KVSTEP_TUI_RENDER_H
#define KVSTEP_TUI_RENDER_H
/*
 * Drawing the frame into a TuiBuf. No curses here: every function writes
 * cells and roles into the buffer, so a test renders a step and compares
 * the text exactly. Views only read the trace; the inspector shows the
 * terms of a dot product from trace values, and the result it prints is
 * always the trace's own value.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "trace.h"
#include "tui_buf.h"
#include "tui_layout.h"
#include "tui_state.h"

/* Read-only rendering context for one trace, prepared once per digits. */
typedef struct TuiView {
	const Trace *t;
	bool ascii;               /* no Unicode box drawing or arrows */
	int digits;               /* the digits valw[] was measured for */
	int valw[MAT_COUNT];      /* widest formatted value or label */
	int pane_need;            /* width of the widest block at step T */
	int pane_text;            /* tui_pane_text_width() */
	struct TuiRopePair {      /* RoPE models: tui_rope_pair(), found once */
		bool found;
		int i, j, i2, j2;
	} rope_pair;
} TuiView;

/*
 * Sets up `v` for trace `t` and measures column widths for `digits`.
 * Widths cover every step, so the layout does not jump while stepping.
 */
void tui_view_init(TuiView *v, const Trace *t, bool ascii, int digits);

/*
 * Formats `x` for a cell: integers without decimals, exact short
 * fractions with as few decimals as they need (1.5), anything else with
 * `digits` decimals (at least 1, so a fraction never reads as a whole
 * number). Writes at most n bytes; returns the length.
 */
int tui_format_value(double x, int digits, char *out, size_t n);

/* The mark before a Kq/Vq value the cache reads back quantised: "≈", or
 * "~" with --ascii (a residual value has none). */
const char *tui_quant_mark(bool ascii);

/*
 * Draws the whole frame for state `s` into `b`, which has the terminal's
 * size. Below TUI_MIN_W×TUI_MIN_H it draws the "terminal too small" screen.
 */
void tui_render_frame(TuiBuf *b, const TuiView *v, const TuiState *s);

/*
 * Width of a matrix block showing `ncols` columns: its row labels, then
 * one cell per column (a separator, the value, the status glyph).
 */
int tui_block_width(const TuiView *v, Matrix mat, int ncols);

/*
 * A pane's two counter rows for `ts`: in words ("this pass 97 MACs  0
 * recomputed  14 cache reads"), or `brief` ("pass 97 MACs 0 recomp 14
 * reads"), which keeps every number and its unit. Singular and plural
 * follow the numbers ("1 pass", "3 passes").
 */
void tui_counter_rows(const TraceStep *ts, bool brief, char *row1,
		      char *row2, size_t n);

/* Narrowest pane that shows every title and brief counter row whole. */
int tui_pane_text_width(const TuiView *v);

/* The parts, each inside its rectangle (tui_frame.c calls them). */
void tui_render_pane(TuiBuf *b, const TuiView *v, const TuiState *s, Mode m,
		     TuiRect r, bool tabs);
void tui_render_strip(TuiBuf *b, const TuiView *v, const TuiState *s,
		      TuiRect r);
/* `name_mode`: start with the focused mode ("prefill: "), for three panes. */
void tui_render_inspector(TuiBuf *b, const TuiView *v, const TuiState *s,
			  TuiRect r, bool name_mode);
void tui_render_help(TuiBuf *b, const TuiView *v);

/*
 * Rows the cache panel of a stacked model takes when at most `avail` rows
 * are free: a title row and one row per layer, fewer when `avail` is
 * short (then the rows scroll to keep the selected layer). 0 for a
 * classic model, or when not even a title and one layer fit.
 */
int tui_cache_height(const TuiView *v, int avail);

/*
 * The cache panel of `mode` at the current step inside `r`: per layer,
 * the K/V columns its cache holds (a sliding-window layer as its ring of
 * W slots, slot (i-1) mod W holding column i), the column the newest one
 * pushed out, and the layer's cells and bytes; the title row gives the
 * totals, which equal the trace's cache_cells and cache_bytes.
 */
void tui_render_cache(TuiBuf *b, const TuiView *v, const TuiState *s,
		      Mode mode, TuiRect r);

/*
 * True when a cell of status `st` in column `col` is evicted yet this
 * pass of `mode` at `step` computed and used it before the window pushed
 * it out (prefill's first pass over a prompt longer than the window): the
 * panes show its value dimmed, and the inspector explains it.
 */
bool tui_evicted_has_value(const Trace *t, int step, Mode mode,
			   CellStatus st, int col);

/* What one layer's cache holds at a step, read from K's cell statuses. */
typedef struct TuiLayerCache {
	int window;      /* 0 for a global layer */
	int pinned;      /* pinned first columns (sink_tokens) before the
			    ring, 0 if none */
	int lo, hi;      /* columns held, lo..hi; none when lo > hi */
	int evicted;     /* column the newest one replaced; 0 if none */
	uint64_t cells;  /* K and V cells held, over every KV head */
	uint64_t bytes;  /* cells times the trace's bytes per cell */
} TuiLayerCache;

/* Fills `out` for `layer` (1-based) of `mode` at `step`. */
void tui_cache_layer(const Trace *t, int step, Mode mode, int layer,
		     TuiLayerCache *out);

/*
 * The RoPE panel of a model with `rope` (tui_rope.c), under the blocks:
 * the rotation, a pair of scores of the same tokens at the same distance,
 * and with --shift the context shift at the step. Height 0 for other
 * models or when `avail` rows are too few.
 */
int tui_rope_height(const TuiView *v, int avail);
void tui_render_rope(TuiBuf *b, const TuiView *v, const TuiState *s,
		     TuiRect r);

/* Two scores of the same two tokens at the same distance: S[i,j] and
 * S[i2,j2], j − i = j2 − i2 > 0, the largest such distance in the run. */
typedef struct TuiRopePair TuiRopePair;
bool tui_rope_pair(const Trace *t, TuiRopePair *p);

/*
 * The tiles panel of a tiled run (--attention flash), in place of the S
 * and A blocks: the tile states of query column tui_tiles_query() of the
 * selected layer and head (tui_tiles.c). Height 0 for a standard run.
 */
int tui_tiles_query(const TuiState *s, const Trace *t, Mode mode);
int tui_tiles_height(const TuiView *v, const TuiState *s, Mode mode,
		     int avail);
void tui_render_tiles(TuiBuf *b, const TuiView *v, const TuiState *s,
		      Mode mode, TuiRect r);
/* The inspector's text for Z[r, q] of a tiled run: the last tile's
 * arithmetic (m, α, l, o_r from the state before it) and z = o_r / l. */
int tui_tiles_explain(const TuiView *v, const TuiState *s, int r, int q,
		      char *out, size_t n);

/*
 * The inspector's text for the cursor cell of `s` (matrix, row, column in
 * the focused pane at the current step), e.g.
 *   "S[2,3] = k2·q3/√4 = (1·2 + ...)/2 = 3   k2 reused from cache".
 * Writes at most n bytes (NUL-terminated); returns the length written.
 */
int tui_inspect_text(const TuiView *v, const TuiState *s, char *out,
		     size_t n);

#endif
