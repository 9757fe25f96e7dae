#ifndef KVSTEP_TUI_LAYOUT_H
#define KVSTEP_TUI_LAYOUT_H
/*
 * Where each part of the frame goes for a given terminal size. From top to
 * bottom: header (1 row), the layer and head selector (1 row, stacked
 * models only), token strip (1), panes (the rest), comparison
 * strip (4: a bar per mode and a note on what the KV cache and prefill
 * MACs differ by), inspector (2), legend (1). Panes sit side by side when
 * each of the three gets the width it needs (see tui_layout_compute);
 * otherwise one pane is shown with a tab bar as its title row.
 */
#include <stdbool.h>

#include "kv_types.h"
#include "tui_state.h"

enum {
	/* below this the "too small" screen shows: under 80x24 the title row,
	 * the counters and the legend would lose numbers */
	TUI_MIN_W = 80,
	TUI_MIN_H = 24,
	TUI_STRIP_H = 4,      /* one bar per mode, then the note */
	TUI_INSPECT_H = 2,    /* the inspector wraps onto a second row */
	/* blocks wider than this show a window of their columns */
	TUI_PANE_MAX_NEED = 62,
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
 * The width one of three panes needs: its widest block at the last step
 * (`block_need`) up to TUI_PANE_MAX_NEED, and never less than `text_need`,
 * the width of its title and brief counters, so no number is cut.
 */
int tui_layout_pane_min(int block_need, int text_need);

/*
 * Lays out a w×h terminal for state `s`. Three panes go side by side when
 * tui_layout_three_width(pane_min) ≤ w and no pane was picked alone.
 */
void tui_layout_compute(TuiLayout *l, int w, int h, const TuiState *s,
			int pane_min);

/* Columns three panes of `pane_min` need side by side: 3·pane_min + 2. */
int tui_layout_three_width(int pane_min);

#endif
