/*
 * The `?` overlay: a box in the middle of the screen listing every action
 * with its keys, generated from the binding table in tui_keys.c.
 */
#include "tui_render.h"

#include <stdio.h>

enum { HELP_KEYS_W = 26 };

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

void tui_render_help(TuiBuf *b, const TuiView *v)
{
	int lines = ACT_COUNT - 1 + 2; /* every action but NONE, a footer */
	int w = b->w < 76 ? b->w : 76;
	int h = lines + 2 < b->h ? lines + 2 : b->h;
	TuiRect r = { (b->w - w) / 2, (b->h - h) / 2, w, h };
	draw_box(b, v, r);
	tui_buf_put(b, r.x + 2, r.y, r.x + r.w - 1, ROLE_TITLE, " keys ");
	int y = r.y + 1;
	for (int a = 1; a < ACT_COUNT && y < r.y + r.h - 1; a++, y++) {
		char keys[128];
		tui_action_keys((Action)a, v->ascii, keys, sizeof keys);
		tui_buf_put(b, r.x + 2, y, r.x + 2 + HELP_KEYS_W, ROLE_TITLE, keys);
		tui_buf_put(b, r.x + 3 + HELP_KEYS_W, y, r.x + r.w - 1,
			    ROLE_NORMAL, tui_action_help((Action)a));
	}
	if (y + 1 < r.y + r.h - 1)
		tui_buf_put(b, r.x + 2, y + 1, r.x + r.w - 1, ROLE_DIM,
			    "[keys] work in inspector mode (i); any key closes this");
}
