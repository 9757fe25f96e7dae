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
} TuiView;

/*
 * Sets up `v` for trace `t` and measures column widths for `digits`.
 * Widths cover every step, so the layout does not jump while stepping.
 */
void tui_view_init(TuiView *v, const Trace *t, bool ascii, int digits);

/*
 * Formats `x` for a cell: integers without decimals, exact short
 * fractions with as few decimals as they need (1.5), anything else with
 * `digits` decimals. Writes at most n bytes; returns the length.
 */
int tui_format_value(double x, int digits, char *out, size_t n);

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

/* The parts, each inside its rectangle (tui_frame.c calls them). */
void tui_render_pane(TuiBuf *b, const TuiView *v, const TuiState *s, Mode m,
		     TuiRect r, bool tabs);
void tui_render_strip(TuiBuf *b, const TuiView *v, const TuiState *s,
		      TuiRect r);
void tui_render_inspector(TuiBuf *b, const TuiView *v, const TuiState *s,
			  TuiRect r);
void tui_render_help(TuiBuf *b, const TuiView *v);

/*
 * The inspector's text for the cursor cell of `s` (matrix, row, column in
 * the focused pane at the current step), e.g.
 *   "S[2,3] = k2·q3/√4 = (1·2 + ...)/2 = 3   k2 reused from cache".
 * Writes at most n bytes (NUL-terminated); returns the length written.
 */
int tui_inspect_text(const TuiView *v, const TuiState *s, char *out,
		     size_t n);

#endif
