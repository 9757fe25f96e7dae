#include "tui_theme.h"

/*
 * Colour theme. Status cells get a coloured background with black or white
 * text, so they keep their contrast on a light or a dark terminal and on a
 * washed-out projector; everything else keeps the default background.
 */
static const TuiStyle colour_theme[ROLE_COUNT] = {
	[ROLE_NORMAL] = { TC_DEFAULT, TC_DEFAULT, 0 },
	[ROLE_TITLE] = { TC_DEFAULT, TC_DEFAULT, TA_BOLD },
	[ROLE_DIM] = { TC_DEFAULT, TC_DEFAULT, 0 },
	[ROLE_COMPUTED] = { TC_BLACK, TC_GREEN, 0 },
	[ROLE_REUSED] = { TC_BLACK, TC_CYAN, 0 },
	[ROLE_RECOMPUTED] = { TC_WHITE, TC_RED, TA_BOLD },
	[ROLE_MASKED] = { TC_DEFAULT, TC_DEFAULT, 0 },
	/* a light grey slot with a black x: no value left, yet visible */
	[ROLE_EVICTED] = { TC_BLACK, TC_WHITE, 0 },
	[ROLE_PROMPT] = { TC_DEFAULT, TC_DEFAULT, TA_BOLD },
	[ROLE_GENERATED] = { TC_MAGENTA, TC_DEFAULT, TA_BOLD },
	[ROLE_CURRENT] = { TC_BLACK, TC_YELLOW, TA_BOLD },
	[ROLE_CHOSEN] = { TC_BLACK, TC_MAGENTA, TA_BOLD },
	[ROLE_TAB] = { TC_DEFAULT, TC_DEFAULT, TA_BOLD },
	[ROLE_TAB_ACTIVE] = { TC_DEFAULT, TC_DEFAULT, TA_BOLD | TA_REVERSE },
	[ROLE_BAR_NOCACHE] = { TC_RED, TC_DEFAULT, TA_BOLD },
	[ROLE_BAR_CACHE] = { TC_CYAN, TC_DEFAULT, TA_BOLD },
	[ROLE_BAR_PREFILL] = { TC_GREEN, TC_DEFAULT, TA_BOLD },
	[ROLE_WARN] = { TC_RED, TC_DEFAULT, TA_BOLD },
};

/*
 * Monochrome theme: computed bold, reused underline, recomputed bold and
 * underline, masked plain, evicted dim; the glyph after each number says
 * the same in text. No status is reverse: the cursor flips reverse, and
 * each status must stay itself under it.
 */
static const TuiStyle mono_theme[ROLE_COUNT] = {
	[ROLE_NORMAL] = { TC_DEFAULT, TC_DEFAULT, 0 },
	[ROLE_TITLE] = { TC_DEFAULT, TC_DEFAULT, TA_BOLD },
	[ROLE_DIM] = { TC_DEFAULT, TC_DEFAULT, 0 },
	[ROLE_COMPUTED] = { TC_DEFAULT, TC_DEFAULT, TA_BOLD },
	[ROLE_REUSED] = { TC_DEFAULT, TC_DEFAULT, TA_UNDERLINE },
	[ROLE_RECOMPUTED] = { TC_DEFAULT, TC_DEFAULT, TA_BOLD | TA_UNDERLINE },
	[ROLE_MASKED] = { TC_DEFAULT, TC_DEFAULT, 0 },
	[ROLE_EVICTED] = { TC_DEFAULT, TC_DEFAULT, TA_DIM },
	[ROLE_PROMPT] = { TC_DEFAULT, TC_DEFAULT, TA_BOLD },
	[ROLE_GENERATED] = { TC_DEFAULT, TC_DEFAULT, TA_UNDERLINE },
	[ROLE_CURRENT] = { TC_DEFAULT, TC_DEFAULT, TA_BOLD | TA_REVERSE },
	[ROLE_CHOSEN] = { TC_DEFAULT, TC_DEFAULT, TA_BOLD | TA_REVERSE },
	[ROLE_TAB] = { TC_DEFAULT, TC_DEFAULT, 0 },
	[ROLE_TAB_ACTIVE] = { TC_DEFAULT, TC_DEFAULT, TA_BOLD | TA_REVERSE },
	[ROLE_BAR_NOCACHE] = { TC_DEFAULT, TC_DEFAULT, TA_BOLD },
	[ROLE_BAR_CACHE] = { TC_DEFAULT, TC_DEFAULT, TA_BOLD },
	[ROLE_BAR_PREFILL] = { TC_DEFAULT, TC_DEFAULT, TA_BOLD },
	[ROLE_WARN] = { TC_DEFAULT, TC_DEFAULT, TA_BOLD },
};

TuiStyle tui_theme_style(Role r, bool mono)
{
	if ((unsigned)r >= ROLE_COUNT)
		r = ROLE_NORMAL;
	return mono ? mono_theme[r] : colour_theme[r];
}

/* If-chains rather than switches: anything after CELL_MASKED is evicted. */
Role tui_status_role(CellStatus s)
{
	if (s == CELL_ABSENT)
		return ROLE_DIM;
	if (s == CELL_COMPUTED)
		return ROLE_COMPUTED;
	if (s == CELL_REUSED || s == CELL_SHIFTED)
		return ROLE_REUSED; /* shifted: reused, turned back (rope.h) */
	if (s == CELL_RECOMPUTED)
		return ROLE_RECOMPUTED;
	if (s == CELL_MASKED)
		return ROLE_MASKED;
	return ROLE_EVICTED;
}

const char *tui_status_glyph(CellStatus s, bool ascii)
{
	if (s == CELL_ABSENT)
		return "";
	if (s == CELL_COMPUTED)
		return "*";
	if (s == CELL_REUSED)
		return "=";
	if (s == CELL_RECOMPUTED)
		return "!";
	if (s == CELL_SHIFTED) /* turned back; "~" is spec's rolled back */
		return ascii ? "@" : "↺";
	if (s == CELL_MASKED)
		return ascii ? "." : "·";
	return "x";
}

bool tui_theme_wants_mono(bool no_color_opt, const char *no_color_env)
{
	return no_color_opt || (no_color_env && no_color_env[0] != '\0');
}
