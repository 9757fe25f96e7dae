/*
 * The `?` overlay: a box in the middle of the screen listing every action
 * with its keys, generated from the binding table in tui_keys.c. Keys
 * that work only in inspector mode get a column of their own, headed "in
 * inspector", so they never look like the `[` and `]` keys. When the list
 * does not fit the height (80x24), it flows into two columns; when those
 * do not fit the width (ASCII key names at 80 columns), help texts wrap
 * within their column rather than being cut.
 */
#include "tui_render.h"

#include <stdio.h>

enum {
	HELP_LEGEND_H = 3, /* the legend's two rows, then a blank row */
	HELP_LEGEND_W = 67, /* its longer row: the box is at least this wide */
};

static const char insp_head[] = "in inspector";

/*
 * One column of the help, measured from the binding table: keys, keys
 * only in inspector mode, then the help text, wrapped to `tw` columns
 * when the screen is too narrow for it in one row (so nothing is cut).
 */
typedef struct HelpCol {
	int lo, hi; /* actions lo..hi-1 */
	int kw;     /* keys outside inspector mode: "← h Backspace" */
	int iw;     /* keys only in inspector mode: "↑ k" */
	int tw;     /* help text columns */
	int rows;   /* rows its actions take with texts wrapped at tw */
} HelpCol;

static void help_measure(const TuiView *v, HelpCol *c)
{
	char keys[128];
	c->kw = 4; /* "keys" */
	c->iw = 0;
	c->tw = 1;
	for (int a = c->lo; a < c->hi; a++) {
		tui_action_keys((Action)a, v->ascii, false, keys, sizeof keys);
		if (tui_text_width(keys) > c->kw)
			c->kw = tui_text_width(keys);
		tui_action_keys((Action)a, v->ascii, true, keys, sizeof keys);
		if (tui_text_width(keys) > c->iw)
			c->iw = tui_text_width(keys);
		if (tui_text_width(tui_action_help((Action)a)) > c->tw)
			c->tw = tui_text_width(tui_action_help((Action)a));
	}
}

static int col_width(const HelpCol *c)
{
	return c->kw + 1 + c->iw + 1 + c->tw;
}

/* Rows help text `s` takes at `w` columns. */
static int text_rows(const char *s, int w)
{
	int rows = 0;
	while (*s) {
		s = tui_text_wrap(s, w);
		while (*s == ' ')
			s++;
		rows++;
	}
	return rows > 0 ? rows : 1;
}

static void col_rows(HelpCol *c)
{
	c->rows = 0;
	for (int a = c->lo; a < c->hi; a++)
		c->rows += text_rows(tui_action_help((Action)a), c->tw);
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

/* One action at (x, y): its keys, its inspector keys, then its help,
 * wrapped under itself; returns the rows it took. */
static int draw_action(TuiBuf *b, const TuiView *v, const HelpCol *c,
		       Action a, int x, int y, int y_end)
{
	char keys[128], line[128];
	tui_action_keys(a, v->ascii, false, keys, sizeof keys);
	tui_buf_put(b, x, y, x + c->kw, ROLE_TITLE, keys);
	tui_action_keys(a, v->ascii, true, keys, sizeof keys);
	tui_buf_put(b, x + c->kw + 1, y, x + c->kw + 1 + c->iw, ROLE_TITLE,
		    keys);
	const char *p = tui_action_help(a);
	int rows = 0, tx = x + c->kw + c->iw + 2;
	while (*p && y + rows < y_end) {
		const char *end = tui_text_wrap(p, c->tw);
		snprintf(line, sizeof line, "%.*s", (int)(end - p), p);
		tui_buf_put(b, tx, y + rows, tx + c->tw, ROLE_NORMAL, line);
		p = end;
		while (*p == ' ')
			p++;
		rows++;
	}
	return rows > 0 ? rows : 1;
}

/* "keys   in inspector" above a column; the heading may run into the help. */
static void draw_heading(TuiBuf *b, const HelpCol *c, int x, int y,
			 int x_end)
{
	tui_buf_put(b, x, y, x_end, ROLE_DIM, "keys");
	tui_buf_put(b, x + c->kw + 1, y, x_end, ROLE_DIM, insp_head);
}

/*
 * Splits the actions into `ncol` columns of about equal length and fits
 * them into `w` columns inside the box: when the texts do not fit at
 * their full width, the widest text column gives up columns first and
 * its texts wrap. Returns the box width.
 */
static int help_layout(const TuiView *v, HelpCol *col, int ncol, int w)
{
	int actions = ACT_COUNT - 1, per = (actions + ncol - 1) / ncol;
	int total = 4 + (ncol - 1); /* borders, margins, one gap between */
	for (int i = 0; i < ncol; i++) {
		col[i].lo = 1 + i * per;
		col[i].hi = 1 + (i + 1) * per < ACT_COUNT ? 1 + (i + 1) * per
							  : ACT_COUNT;
		help_measure(v, &col[i]);
		if (ncol == 1 && col[i].iw < tui_text_width(insp_head))
			col[i].iw = tui_text_width(insp_head);
		total += col_width(&col[i]);
	}
	while (total > w) {
		int wide = 0;
		for (int i = 1; i < ncol; i++)
			if (col[i].tw > col[wide].tw)
				wide = i;
		if (col[wide].tw <= 8)
			break; /* not even 8 columns of text: nothing helps */
		col[wide].tw--;
		total--;
	}
	for (int i = 0; i < ncol; i++)
		col_rows(&col[i]);
	return total;
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
	if (trace_shift(v->t)) { /* --shift: keys turned back (rope.h) */
		Role role = tui_status_role(CELL_SHIFTED);
		/* on the blank row under the legend */
		int sx = tui_buf_put(b, x + 8, y + 2, x_end, role, "k");
		sx = tui_buf_put(b, sx, y + 2, x_end, role,
				 tui_status_glyph(CELL_SHIFTED, v->ascii));
		tui_buf_put(b, sx, y + 2, x_end, ROLE_NORMAL,
			    " shifted: a cached key turned back by --shift");
	}
	cx[1] = tui_buf_put(b, cx[1], y + 1, x_end, ROLE_NORMAL,
			    "blank: not held by this mode  ");
	tui_buf_put(b, cx[1], y + 1, x_end, ROLE_NORMAL,
		    v->ascii ? "> cursor" : "▶ cursor");
}

void tui_render_help(TuiBuf *b, const TuiView *v)
{
	HelpCol col[2];
	/* borders, the heading, a blank row, the legend and the footer */
	int extra = 5 + HELP_LEGEND_H;
	int ncol = 1;
	int w = help_layout(v, col, 1, b->w);
	if (col[0].rows + extra > b->h || w > b->w) {
		ncol = 2;
		w = help_layout(v, col, 2, b->w);
	}
	int rows = col[0].rows;
	if (ncol == 2 && col[1].rows > rows)
		rows = col[1].rows;
	if (w < HELP_LEGEND_W + 4)
		w = HELP_LEGEND_W + 4;
	if (w > b->w)
		w = b->w;
	/* short of rows (80x24 has 24), the blank row above the footer
	 * goes first, then the one above the legend */
	int gaps = 2;
	while (gaps > 0 && rows + extra - (2 - gaps) > b->h)
		gaps--;
	extra -= 2 - gaps;
	int h = rows + extra < b->h ? rows + extra : b->h;
	TuiRect r = { (b->w - w) / 2, (b->h - h) / 2, w, h };
	draw_box(b, v, r);
	tui_buf_put(b, r.x + 2, r.y, r.x + r.w - 1, ROLE_TITLE, " keys ");
	int x_end = r.x + r.w - 1, x = r.x + 2;
	for (int i = 0; i < ncol; i++) {
		int cx_end = i + 1 < ncol ? x + col_width(&col[i]) : x_end;
		draw_heading(b, &col[i], x, r.y + 1, cx_end);
		int y = r.y + 2;
		for (int a = col[i].lo; a < col[i].hi; a++)
			y += draw_action(b, v, &col[i], (Action)a, x, y,
					 r.y + r.h - 1);
		x += col_width(&col[i]) + 1;
	}
	int ly = r.y + 2 + rows + (gaps > 0);
	if (ly + 1 < r.y + r.h - 1)
		draw_status_legend(b, v, r.x + 2, ly, x_end);
	int fy = ly + HELP_LEGEND_H - (gaps < 2);
	if (fy < r.y + r.h - 1)
		tui_buf_put(b, r.x + 2, fy, x_end, ROLE_DIM,
			    "any key closes this help, q and Esc too");
}
