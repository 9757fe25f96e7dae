#ifndef KVSTEP_TUI_THEME_H
#define KVSTEP_TUI_THEME_H
/*
 * Colours are named by role, never by hue. A theme maps every role to a
 * foreground, a background and attributes; there is one table for colour
 * terminals and one for monochrome (NO_COLOR, --no-color, or a terminal
 * without colours), where statuses are told apart by attributes and by the
 * glyph drawn after every number.
 *
 * The cursor has no role of its own: it keeps the cell's role and lays
 * TUI_CURSOR_MARK over it (reverse flipped), so the status colour stays
 * visible under it, and a "▶" before the value. No status uses reverse
 * in the monochrome theme, so under the cursor each status still has
 * its own attributes: reverse never turns computed into reused.
 *
 * Nothing here needs curses: tui_term.c turns a TuiStyle into curses
 * attributes, and tests can check the tables directly.
 */
#include <stdbool.h>

#include "kv_types.h"

typedef enum Role {
	ROLE_NORMAL,
	ROLE_TITLE,      /* header and pane titles */
	ROLE_DIM,        /* labels, separators, absent cells */
	ROLE_COMPUTED,   /* cell statuses, see CellStatus */
	ROLE_REUSED,
	ROLE_RECOMPUTED,
	ROLE_MASKED,
	ROLE_EVICTED,    /* fell out of a sliding window's cache */
	ROLE_PROMPT,     /* prompt tokens in the token strip */
	ROLE_GENERATED,  /* generated tokens */
	ROLE_CURRENT,    /* the token at the current step */
	ROLE_CHOSEN,     /* the argmax logit and the next token */
	ROLE_TAB,        /* an inactive tab or pane title */
	ROLE_TAB_ACTIVE, /* the focused pane */
	ROLE_BAR_NOCACHE,/* comparison bars, one per mode */
	ROLE_BAR_CACHE,
	ROLE_BAR_PREFILL,
	ROLE_WARN,       /* "terminal too small" */
	ROLE_COUNT
} Role;

/* Colours: the eight ANSI ones, or the terminal's default. */
typedef enum TuiColor {
	TC_DEFAULT = -1,
	TC_BLACK, TC_RED, TC_GREEN, TC_YELLOW, TC_BLUE, TC_MAGENTA, TC_CYAN,
	TC_WHITE,
} TuiColor;

/* Attribute bits, mapped to A_* by tui_term.c. */
enum {
	TA_BOLD = 1,
	TA_REVERSE = 2,
	TA_UNDERLINE = 4,
	TA_DIM = 8,
};

/*
 * What the cursor lays over a cell's role (see TuiCell.mark): reverse
 * only, as bold would make reused (underline) under the cursor look like
 * recomputed (bold and underline) in monochrome.
 */
#define TUI_CURSOR_MARK ((unsigned)TA_REVERSE)

typedef struct TuiStyle {
	TuiColor fg, bg;
	unsigned attrs; /* TA_* bits */
} TuiStyle;

/* The style of `r` in the colour (mono = false) or monochrome theme. */
TuiStyle tui_theme_style(Role r, bool mono);

/* The role that draws a cell of status `s` (ROLE_DIM for CELL_ABSENT). */
Role tui_status_role(CellStatus s);

/*
 * The glyph drawn after a number of status `s`: "*" computed, "=" reused,
 * "!" recomputed, "·" masked ("." with ascii), "x" evicted, "" for absent
 * cells. (The inspector writes products with "·", or " x " in ASCII, so
 * "*" always means computed.)
 */
const char *tui_status_glyph(CellStatus s, bool ascii);

/*
 * True when the UI must not use colour: --no-color, or NO_COLOR set to a
 * non-empty value (no-color.org). `no_color_env` is getenv("NO_COLOR").
 */
bool tui_theme_wants_mono(bool no_color_opt, const char *no_color_env);

#endif
