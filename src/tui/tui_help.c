/*
 * The `?` overlay: a box in the middle of the screen listing every action
 * with its keys, generated from the binding table in tui_keys.c. When the
 * list does not fit the height (80x24), it flows into two columns.
 */
#include "tui_render.h"

#include <stdio.h>

enum {
	HELP_KEYS_W = 26, /* key column of the one-column list */
	HELP_KEYS_W2 = 15, /* key column in two columns: "Shift-↑ [↑] [k]" */
	HELP_W = 76,
};

static void draw_box(TuiBuf *b, const TuiView *v, TuiRect r)
{
	uint32_t h = v->ascii ? '-' : 0x2500, vert = v->ascii ? '|' : 0x2502;
	uint32_t tl = v->ascii ? '+' : 0x250C, tr = v->ascii ? '+' : 0x2510;
	uint32_t bl = v->ascii ? '+' : 0x2514, br = v->ascii ? '+' : 0x2518;
	for (int y = r.y; y < r.y + r.h; y++)
		tui_buf_fill(b, r.x, y, r.w, ' ', ROLE_NORMAL);
	tui_buf_fill(b, r.x, r.y, r.w, h, ROLE_TITLE);
	tui_buf_fill(b, r.x, r.y + r.h - 1, r.w, h, ROLE_TITLE);
	for (int y = r.y; y < r.y + r.h; y++) {
		tui_buf_fill(b, r.x, y, 1, vert, ROLE_TITLE);
		tui_buf_fill(b, r.x + r.w - 1, y, 1, vert, ROLE_TITLE);
	}
	tui_buf_fill(b, r.x, r.y, 1, tl, ROLE_TITLE);
	tui_buf_fill(b, r.x + r.w - 1, r.y, 1, tr, ROLE_TITLE);
	tui_buf_fill(b, r.x, r.y + r.h - 1, 1, bl, ROLE_TITLE);
	tui_buf_fill(b, r.x + r.w - 1, r.y + r.h - 1, 1, br, ROLE_TITLE);
}

/* One action at (x, y): its keys in a `kw` column, then its help. */
static void draw_action(TuiBuf *b, const TuiView *v, Action a, int x, int y,
			int kw, int x_end)
{
	char keys[128];
	tui_action_keys(a, v->ascii, keys, sizeof keys);
	tui_buf_put(b, x, y, x + kw, ROLE_TITLE, keys);
	tui_buf_put(b, x + kw + 1, y, x_end, ROLE_NORMAL, tui_action_help(a));
}

void tui_render_help(TuiBuf *b, const TuiView *v)
{
	int actions = ACT_COUNT - 1; /* every action but NONE */
	bool two = actions + 4 > b->h;
	int rows = two ? (actions + 1) / 2 : actions;
	int w = two ? b->w : b->w < HELP_W ? b->w : HELP_W;
	if (two && w > 2 * HELP_W / 2 + 4)
		w = 2 * HELP_W / 2 + 4;
	int h = rows + 4 < b->h ? rows + 4 : b->h; /* borders, a footer */
	TuiRect r = { (b->w - w) / 2, (b->h - h) / 2, w, h };
	draw_box(b, v, r);
	tui_buf_put(b, r.x + 2, r.y, r.x + r.w - 1, ROLE_TITLE, " keys ");
	int colw = two ? (r.w - 4) / 2 : r.w - 3;
	int kw = two ? HELP_KEYS_W2 : HELP_KEYS_W;
	for (int a = 1; a < ACT_COUNT; a++) {
		int i = a - 1, col = i / rows, y = r.y + 1 + i % rows;
		if (y >= r.y + r.h - 1)
			continue;
		int x = r.x + 2 + col * (colw + 1);
		draw_action(b, v, (Action)a, x, y, kw,
			    col == 0 && two ? x + colw : r.x + r.w - 1);
	}
	int fy = r.y + 1 + rows + 1;
	if (fy < r.y + r.h - 1)
		tui_buf_put(b, r.x + 2, fy, r.x + r.w - 1, ROLE_DIM,
			    "[keys] work in inspector mode (i); any key closes this");
}
