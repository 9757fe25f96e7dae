#ifndef KVSTEP_TUI_BUF_H
#define KVSTEP_TUI_BUF_H
/*
 * The off-screen frame: a grid of cells, each one character (a Unicode code
 * point of display width 1) and a role. Every view draws into a TuiBuf; only
 * tui_term.c copies it to the terminal, so tests read frames as plain text.
 */
#include <stddef.h>
#include <stdint.h>

#include "tui_theme.h"

typedef struct TuiCell {
	uint32_t ch;    /* code point; ' ' for empty */
	uint8_t role;   /* a Role from tui_theme.h */
	uint8_t mark;   /* TA_* bits laid over the role (the cursor): TA_REVERSE
			 * flips the role's reverse, the others add to it */
	uint32_t hit;   /* which matrix cell this screen cell shows, for the
			 * mouse (tui_mouse.h); 0 for none */
} TuiCell;

typedef struct TuiBuf {
	int w, h;       /* columns, rows */
	TuiCell *cells; /* (h, w) row-major */
} TuiBuf;

/*
 * Sets `b` to a blank w×h grid (w, h ≥ 0), reusing its memory when it is
 * large enough. `b` must be zeroed before the first call. Returns 0, or -1
 * when memory runs out (then `b` is left empty).
 */
int tui_buf_resize(TuiBuf *b, int w, int h);

/* Frees the cells; `b` becomes an empty 0×0 grid. */
void tui_buf_free(TuiBuf *b);

/* Blanks every cell to ' ' with ROLE_NORMAL and no mark. */
void tui_buf_clear(TuiBuf *b);

/* The cell at (x, y), or NULL outside the grid. */
TuiCell *tui_buf_at(TuiBuf *b, int x, int y);

/*
 * Writes UTF-8 text `s` at (x, y) with `role`, one cell per code point,
 * stopping at column `x_end` (exclusive; clipped to the grid). Returns the
 * column after the last cell written, so calls can be chained.
 */
int tui_buf_put(TuiBuf *b, int x, int y, int x_end, Role role, const char *s);

/* As tui_buf_put with the full row width as the limit. */
int tui_buf_puts(TuiBuf *b, int x, int y, Role role, const char *s);

/* Fills cells x..x+n-1 of row y with code point `ch` and `role`. */
void tui_buf_fill(TuiBuf *b, int x, int y, int n, uint32_t ch, Role role);

/* Sets the role of cells x..x+n-1 of row y, keeping their characters. */
void tui_buf_paint(TuiBuf *b, int x, int y, int n, Role role);

/*
 * Lays TA_* bits `mark` over cells x..x+n-1 of row y, keeping their
 * characters and roles (writing a cell clears its mark).
 */
void tui_buf_mark(TuiBuf *b, int x, int y, int n, unsigned mark);

/*
 * Tags cells x..x+n-1 of row y with `hit` (tui_hit_pack()), keeping
 * everything else; clearing the buffer clears the tags.
 */
void tui_buf_tag(TuiBuf *b, int x, int y, int n, uint32_t hit);

/*
 * The grid as UTF-8 text: one line per row, trailing blanks removed, each
 * line ending in '\n'. Returns a malloc'd string the caller frees, or NULL
 * when memory runs out.
 */
char *tui_buf_text(const TuiBuf *b);

/* Number of code points in UTF-8 string `s`: its width on screen. */
int tui_text_width(const char *s);

/*
 * Where to break UTF-8 string `s` so that its first row fits `w` columns:
 * at the last space that fits (or right after the row when a space follows
 * it), else after w code points when a word is longer than the row. The
 * caller draws s..result, skips the spaces there and goes on. Never splits
 * a character; returns the end of `s` when all of it fits.
 */
const char *tui_text_wrap(const char *s, int w);

#endif
