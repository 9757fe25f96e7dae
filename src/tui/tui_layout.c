#include "tui_layout.h"

static TuiRect rect(int x, int y, int w, int h)
{
	return (TuiRect){ x, y, w, h };
}

/* Three panes with a one-column gap between them (the separator). */
static void layout_three(TuiLayout *l, int y, int h)
{
	int pw = (l->w - 2) / 3;
	for (int m = 0; m < MODE_COUNT; m++) {
		l->pane[m] = rect(m * (pw + 1), y, pw, h);
		l->shown[m] = true;
	}
	/* the last pane takes the columns the division left over */
	l->pane[MODE_PREFILL].w = l->w - l->pane[MODE_PREFILL].x;
}

int tui_layout_pane_min(int block_need, int text_need)
{
	int w = block_need < TUI_PANE_MAX_NEED ? block_need : TUI_PANE_MAX_NEED;
	return w > text_need ? w : text_need;
}

int tui_layout_three_width(int pane_min)
{
	return 3 * pane_min + 2;
}

void tui_layout_compute(TuiLayout *l, int w, int h, const TuiState *s,
			int pane_min)
{
	*l = (TuiLayout){ .w = w, .h = h };
	l->too_small = w < TUI_MIN_W || h < TUI_MIN_H;
	if (l->too_small)
		return;
	l->header = rect(0, 0, w, 1);
	int sel_h = s->selectors ? 1 : 0;
	l->select = rect(0, 1, w, sel_h);
	l->tokens = rect(0, 1 + sel_h, w, 1);
	l->legend = rect(0, h - 1, w, 1);
	l->inspector = rect(0, h - 1 - TUI_INSPECT_H, w, TUI_INSPECT_H);
	l->strip = rect(0, l->inspector.y - TUI_STRIP_H, w, TUI_STRIP_H);
	int py = 2 + sel_h, ph = l->strip.y - py;
	if (s->solo < 0 && tui_layout_three_width(pane_min) <= w) {
		layout_three(l, py, ph);
		return;
	}
	Mode m = s->solo >= 0 ? (Mode)s->solo : s->focus;
	l->pane[m] = rect(0, py, w, ph);
	l->shown[m] = true;
	l->tabs = true;
}
