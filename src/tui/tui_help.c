/*
 * The `?` overlay: a box in the middle of the screen listing every action
 * with its keys, generated from the binding table in tui_keys.c. Keys
 * that work only in inspector mode get a column of their own, headed "in
 * inspector", so they never look like the `[` and `]` keys. When the list
 * does not fit the height (80x24), it flows into two columns.
 */
#include "tui_render.h"

#include <stdio.h>

enum {
	HELP_TEXT_W = 20,  /* tui_action_help() is at most this long */
	HELP_LEGEND_H = 3, /* the legend's two rows, then a blank row */
	HELP_LEGEND_W = 67, /* its longer row: the box is at least this wide */
};

static const char insp_head[] = "in inspector";

/* Column widths measured from the binding table. */
typedef struct HelpCols {
	int kw; /* keys outside inspector mode: "← h Backspace" */
	int iw; /* keys only in inspector mode: "↑ k" */
} HelpCols;

static HelpCols help_measure(const TuiView *v)
{
	HelpCols c = { 4, 0 }; /* "keys" */
	char keys[128];
	for (int a = 1; a < ACT_COUNT; a++) {
		tui_action_keys((Action)a, v->ascii, false, keys, sizeof keys);
		if (tui_text_width(keys) > c.kw)
			c.kw = tui_text_width(keys);
		tui_action_keys((Action)a, v->ascii, true, keys, sizeof keys);
		if (tui_text_width(keys) > c.iw)
			c.iw = tui_text_width(keys);
	}
	return c;
}
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

/* One action at (x, y): its keys, its inspector keys, then its help. */
static void draw_action(TuiBuf *b, const TuiView *v, const HelpCols *c,
			Action a, int x, int y, int x_end)
{
	char keys[128];
	tui_action_keys(a, v->ascii, false, keys, sizeof keys);
	tui_buf_put(b, x, y, x + c->kw, ROLE_TITLE, keys);
	tui_action_keys(a, v->ascii, true, keys, sizeof keys);
	tui_buf_put(b, x + c->kw + 1, y, x + c->kw + 1 + c->iw, ROLE_TITLE,
		    keys);
	tui_buf_put(b, x + c->kw + c->iw + 2, y, x_end, ROLE_NORMAL,
		    tui_action_help(a));
}

/* "keys   in inspector" above a column; the heading may run into the help. */
static void draw_heading(TuiBuf *b, const HelpCols *c, int x, int y,
			 int x_end)
{
	tui_buf_put(b, x, y, x_end, ROLE_DIM, "keys");
	tui_buf_put(b, x + c->kw + 1, y, x_end, ROLE_DIM, insp_head);
}

/*
 * The status legend, as htop's help has one: every cell status with its
 * sample in its own colour and glyph, and what a blank cell means.
 */
static void draw_status_legend(TuiBuf *b, const TuiView *v, int x, int y,
			       int x_end)
{
	static const struct {
		CellStatus st;
		const char *sample, *text;
		int row;
	} items[] = {
		{ CELL_COMPUTED, "1", " computed  ", 0 },
		{ CELL_REUSED, "1", " reused (cache)  ", 0 },
		{ CELL_RECOMPUTED, "1", " recomputed  ", 0 },
		{ CELL_EVICTED, " ", " evicted", 0 },
		{ CELL_MASKED, " ", " masked (later key)  ", 1 },
	};
	int cx[2] = { x, x };
	cx[0] = tui_buf_put(b, cx[0], y, x_end, ROLE_DIM, "status ");
	cx[1] += 7;
	for (size_t i = 0; i < sizeof items / sizeof items[0]; i++) {
		int r = items[i].row, yy = y + r;
		Role role = tui_status_role(items[i].st);
		cx[r] = tui_buf_put(b, cx[r], yy, x_end, role, items[i].sample);
		cx[r] = tui_buf_put(b, cx[r], yy, x_end, role,
				    tui_status_glyph(items[i].st, v->ascii));
		cx[r] = tui_buf_put(b, cx[r], yy, x_end, ROLE_NORMAL,
				    items[i].text);
	}
	cx[1] = tui_buf_put(b, cx[1], y + 1, x_end, ROLE_NORMAL,
			    "blank: not held by this mode  ");
	tui_buf_put(b, cx[1], y + 1, x_end, ROLE_NORMAL,
		    v->ascii ? "> cursor" : "▶ cursor");
}

void tui_render_help(TuiBuf *b, const TuiView *v)
{
	HelpCols c = help_measure(v);
	int actions = ACT_COUNT - 1; /* every action but NONE */
	/* borders, the heading, a blank row, the legend and the footer */
	bool two = actions + 5 + HELP_LEGEND_H > b->h;
	int rows = two ? (actions + 1) / 2 : actions;
	if (!two && c.iw < tui_text_width(insp_head))
		c.iw = tui_text_width(insp_head);
	int colw = c.kw + 1 + c.iw + 1 + HELP_TEXT_W;
	int w = two ? 2 * colw + 5 : colw + 4;
	if (w < HELP_LEGEND_W + 4)
		w = HELP_LEGEND_W + 4;
	if (w > b->w)
		w = b->w;
	int h = rows + 5 + HELP_LEGEND_H < b->h ? rows + 5 + HELP_LEGEND_H
						 : b->h;
	TuiRect r = { (b->w - w) / 2, (b->h - h) / 2, w, h };
	draw_box(b, v, r);
	tui_buf_put(b, r.x + 2, r.y, r.x + r.w - 1, ROLE_TITLE, " keys ");
	int x_end = r.x + r.w - 1;
	for (int col = 0; col < (two ? 2 : 1); col++)
		draw_heading(b, &c, r.x + 2 + col * (colw + 1), r.y + 1,
			     col == 0 && two ? r.x + 2 + colw : x_end);
	for (int a = 1; a < ACT_COUNT; a++) {
		int i = a - 1, col = i / rows, y = r.y + 2 + i % rows;
		if (y >= r.y + r.h - 1)
			continue;
		int x = r.x + 2 + col * (colw + 1);
		draw_action(b, v, &c, (Action)a, x, y,
			    col == 0 && two ? x + colw : x_end);
	}
	int ly = r.y + 2 + rows + 1;
	if (ly + 1 < r.y + r.h - 1)
		draw_status_legend(b, v, r.x + 2, ly, x_end);
	int fy = ly + HELP_LEGEND_H;
	if (fy < r.y + r.h - 1)
		tui_buf_put(b, r.x + 2, fy, x_end, ROLE_DIM,
			    "any key closes this help, q and Esc too");
}
