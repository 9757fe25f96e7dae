#ifndef KVSTEP_TUI_LAYOUT_H
#define KVSTEP_TUI_LAYOUT_H
/*
 * Where each part of the frame goes for a given terminal size. From top to
 * bottom: header (1 row), the layer and head selector (1 row, stacked
 * models only), token strip (1), panes (the rest), comparison
 * strip (3), inspector (2), legend (1). Panes sit side by side when all
 * three fit, otherwise one pane is shown with a tab bar as its title row.
 */
#include <stdbool.h>

#include "kv_types.h"
#include "tui_state.h"

enum {
	/* below this the "too small" screen shows: under 80x24 the title row,
	 * the counters and the legend would lose numbers */
	TUI_MIN_W = 80,
	TUI_MIN_H = 24,
	TUI_STRIP_H = 3,      /* one bar per mode */
	TUI_INSPECT_H = 2,    /* the inspector wraps onto a second row */
	TUI_PANE_MAX_NEED = 62, /* width at which a pane counts as usable */
};

typedef struct TuiRect {
	int x, y, w, h;
} TuiRect;

typedef struct TuiLayout {
	int w, h;                  /* the terminal */
	bool too_small;            /* w < TUI_MIN_W or h < TUI_MIN_H */
	TuiRect header, tokens;
	TuiRect select;            /* layer/head row; h = 0 when hidden */
	TuiRect pane[MODE_COUNT];  /* valid where shown[] */
	bool shown[MODE_COUNT];
	bool tabs;                 /* one pane at a time, with a tab bar */
	TuiRect strip, inspector, legend;
} TuiLayout;

/*
 * Lays out a w×h terminal for state `s`. `pane_need` is the width one pane
 * needs to show its widest matrix in full; three panes go side by side
 * when min(pane_need, TUI_PANE_MAX_NEED) fits three times.
 */
void tui_layout_compute(TuiLayout *l, int w, int h, const TuiState *s,
			int pane_need);

/* Columns three panes need side by side: 3·min(pane_need, MAX) + 2. */
int tui_layout_three_width(int pane_need);

#endif
