/*
 * One mode's pane: a title row (or the tab bar), the matrices as blocks
 * that flow left to right and wrap, and two counter rows at the bottom.
 *
 * A block is a matrix in worksheet orientation: a header row with the
 * matrix name and column labels, then one row per matrix row. A cell is
 * " value*": a separator (the cursor marker when inspected), the value
 * right-aligned, and its status glyph. When the pane is too small, blocks
 * show a window of their columns and rows around the newest column or the
 * cursor, and the pane scrolls so the cursor's block is visible.
 */
#include "tui_render.h"
#include "tui_mouse.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

enum {
	BLOCK_GAP = 3,     /* columns between blocks on one flow row */
	LABEL_MAX = 8,     /* longest vocab label shown */
	MAX_BLOCKS = MAT_COUNT,
	PANE_MIN_BLOCK_ROWS = 5, /* the cache panel leaves the blocks this */
};

typedef struct Block {
	Matrix mat;
	int rows, lo, hi;  /* full extent: rows 1..rows, columns lo..hi */
	int r0, r1;        /* rows shown */
	int c0, c1;        /* columns shown */
	int labw;          /* row label column, with its trailing space */
	int x, y;          /* top-left inside the block area, y unscrolled */
	int w, h;          /* drawn size */
	int pw, ph;        /* size reserved: as at the last step, so blocks
			    * keep their place while the teacher steps */
	int top_k;         /* logits only: > 0 shows just the k largest,
			    * sorted, when the whole block has no room */
} Block;

/* The pane being drawn: what every block helper needs. */
typedef struct PaneCtx {
	TuiBuf *b;
	const TuiView *v;
	const TuiState *s;
	Mode mode;
	bool focused;
	int ax, ay, aw, ah; /* block area on screen */
	int scroll;         /* unscrolled y shown at the area's top */
} PaneCtx;

static const char *const col_prefix[MAT_COUNT] = {
	[MAT_X] = "x", [MAT_Q] = "q", [MAT_K] = "k", [MAT_V] = "v",
	[MAT_S] = "q", [MAT_A] = "q", [MAT_Z] = "z", [MAT_LOGITS] = "",
	[MAT_H] = "h", [MAT_KQ] = "k", [MAT_VQ] = "v",
};

static int min_i(int a, int b)
{
	return a < b ? a : b;
}

static int max_i(int a, int b)
{
	return a > b ? a : b;
}

static const char *next_mark(const TuiView *v)
{
	return v->ascii ? " <- next" : " ◀ next";
}

/* Row label: the dimension index, "k3" for S and A, a token for logits. */
static void row_label(const TuiView *v, Matrix mat, int r, char *out,
		      size_t n)
{
	if (mat == MAT_S || mat == MAT_A)
		snprintf(out, n, "k%d", r);
	else if (mat == MAT_LOGITS)
		snprintf(out, n, "%.*s", LABEL_MAX,
			 trace_model(v->t)->vocab[r - 1]);
	else
		snprintf(out, n, "%d", r);
}

static int label_width(const TuiView *v, Matrix mat)
{
	int w = (int)strlen(matrix_name(mat));
	int rows = mat == MAT_S || mat == MAT_A ? trace_steps(v->t)
						: trace_matrix_rows(v->t, mat);
	char buf[32];
	for (int r = 1; r <= rows; r++) {
		row_label(v, mat, r, buf, sizeof buf);
		w = max_i(w, tui_text_width(buf));
	}
	return w + 1;
}

static int cell_width(const TuiView *v, Matrix mat)
{
	return v->valw[mat] + 2;
}

int tui_block_width(const TuiView *v, Matrix mat, int ncols)
{
	int extra = mat == MAT_LOGITS ? tui_text_width(next_mark(v)) : 0;
	return label_width(v, mat) + ncols * cell_width(v, mat) + extra;
}

/* A window of `max` out of lo..hi, ending at hi unless `want` is before. */
static void window(int lo, int hi, int max, int want, int *a, int *z)
{
	*a = max_i(lo, hi - max + 1);
	if (want >= lo && want < *a)
		*a = want;
	*z = min_i(hi, *a + max - 1);
}

static Block block_size(const PaneCtx *p, Matrix mat)
{
	Block bl = { .mat = mat, .labw = label_width(p->v, mat) };
	tui_state_extent(p->s, p->v->t, p->mode, mat, &bl.rows, &bl.lo, &bl.hi);
	bool cur = p->s->cur_mat == mat;
	int cw = cell_width(p->v, mat);
	int extra = tui_block_width(p->v, mat, 0) - bl.labw;
	int max_c = max_i(1, (p->aw - bl.labw - extra) / cw);
	int max_r = max_i(1, p->ah - 1);
	window(bl.lo, bl.hi, max_c, cur ? p->s->cur_col : 0, &bl.c0, &bl.c1);
	/* rows start at 1; the window moves only to follow the cursor */
	window(1, bl.rows, max_r, cur ? p->s->cur_row : 1, &bl.r0, &bl.r1);
	if (bl.r0 > 1 && !(cur && p->s->cur_row > max_r))
		window(1, bl.rows, max_r, 1, &bl.r0, &bl.r1);
	bl.w = bl.labw + (bl.c1 - bl.c0 + 1) * cw + extra;
	bl.h = 1 + bl.r1 - bl.r0 + 1;
	int T = trace_steps(p->v->t);
	int full_c = mat == MAT_LOGITS ? 1 : T;
	int full_r = mat == MAT_S || mat == MAT_A ? T : bl.rows;
	bl.pw = bl.labw + min_i(full_c, max_c) * cw + extra;
	bl.ph = 1 + min_i(full_r, max_r);
	return bl;
}

/* Places blocks in flow rows by reserved size; returns the total height. */
static int flow(Block *bl, int n, int aw, int vgap)
{
	int x = 0, y = 0, line_h = 0;
	for (int i = 0; i < n; i++) {
		if (x > 0 && x + bl[i].pw > aw) {
			x = 0;
			y += line_h + vgap;
			line_h = 0;
		}
		bl[i].x = x;
		bl[i].y = y;
		x += bl[i].pw + BLOCK_GAP;
		line_h = max_i(line_h, bl[i].ph);
	}
	return y + line_h;
}

/*
 * Scroll so the cursor's block is on screen: start at the first flow row
 * from which everything down to the bottom of that block fits.
 */
static int scroll_for(const Block *bl, int n, int total, int ah, Matrix cur)
{
	if (total <= ah)
		return 0;
	int bottom = 0, top = 0;
	for (int i = 0; i < n; i++) {
		if (bl[i].mat == cur) {
			bottom = bl[i].y + bl[i].ph;
			top = bl[i].y;
		}
	}
	int scroll = top;
	for (int i = 0; i < n; i++)
		if (bl[i].y >= bottom - ah && bl[i].y < scroll)
			scroll = bl[i].y;
	return scroll;
}

/* Screen row of unscrolled block row y, or -1 when it is off the area. */
static int screen_row(const PaneCtx *p, int y)
{
	int sy = y - p->scroll;
	return sy >= 0 && sy < p->ah ? p->ay + sy : -1;
}

static void draw_block_header(const PaneCtx *p, const Block *bl, int sx,
			      int sy)
{
	TuiBuf *b = p->b;
	int x_end = p->ax + p->aw;
	tui_buf_put(b, sx, sy, x_end, ROLE_TITLE, matrix_name(bl->mat));
	if (bl->c0 > bl->lo)
		tui_buf_put(b, sx + bl->labw - 1, sy, x_end, ROLE_DIM,
			    p->v->ascii ? "<" : "…");
	int cw = cell_width(p->v, bl->mat);
	for (int c = bl->c0; c <= bl->c1; c++) {
		char lab[16];
		snprintf(lab, sizeof lab, "%s%d", col_prefix[bl->mat], c);
		if (bl->mat == MAT_LOGITS)
			lab[0] = '\0';
		int cx = sx + bl->labw + (c - bl->c0) * cw + 1;
		int pad = p->v->valw[bl->mat] - tui_text_width(lab);
		tui_buf_put(b, cx + pad, sy, x_end, ROLE_DIM, lab);
	}
	if (bl->c1 < bl->hi)
		tui_buf_put(b, sx + bl->labw + (bl->c1 - bl->c0 + 1) * cw, sy,
			    x_end, ROLE_DIM, p->v->ascii ? ">" : "…");
}

static bool is_cursor(const PaneCtx *p, Matrix mat, int r, int c)
{
	return p->s->cur_mat == mat && p->s->cur_row == r &&
	       p->s->cur_col == c;
}

/*
 * The cell's value as shown: none for masked cells, nor for evicted ones
 * unless this pass computed and used them before they left the window.
 */
static void cell_value(const PaneCtx *p, const Block *bl, int layer,
		       CellStatus st, int r, int c, char *val, size_t n)
{
	double x;
	val[0] = '\0';
	bool show = st != CELL_MASKED && st != CELL_ABSENT &&
		    (st != CELL_EVICTED ||
		     tui_evicted_has_value(p->v->t, p->s->step, p->mode, st, c));
	if (!show ||
	    !tui_state_value_in(p->s, p->v->t, p->mode, layer,
				tui_state_head_of(p->s, p->v->t, bl->mat),
				bl->mat, r, c, &x))
		return;
	/* a quantised cache marks what it reads back rounded: "≈0.53" */
	size_t k = 0;
	if ((bl->mat == MAT_KQ || bl->mat == MAT_VQ) &&
	    trace_quantised_at(p->v->t, p->s->step, p->mode, c))
		k = (size_t)snprintf(val, n, "%s", tui_quant_mark(p->v->ascii));
	tui_format_value(x, p->s->digits, val + k, n - k);
}

const char *tui_quant_mark(bool ascii)
{
	return ascii ? "~" : "≈";
}

/*
 * One cell at cx: a separator, the value right-aligned, the status glyph,
 * all in the status's role. The cursor keeps that role: its marker sits
 * in the cell's own padding (the separator when the value fills the
 * width), and in the focused pane the whole cell is marked reverse.
 */
static void draw_cell(const PaneCtx *p, const Block *bl, int r, int c,
		      int cx, int sy)
{
	TuiBuf *b = p->b;
	int x_end = p->ax + p->aw, w = p->v->valw[bl->mat];
	int layer = tui_state_layer_of(p->s, bl->mat);
	CellStatus st = tui_state_status(p->s, p->v->t, p->mode, layer,
					 bl->mat, r, c);
	bool cur = is_cursor(p, bl->mat, r, c);
	if (st == CELL_ABSENT && !cur)
		return;
	char val[64];
	cell_value(p, bl, layer, st, r, c, val, sizeof val);
	Role role = tui_status_role(st);
	int room = max_i(0, x_end - cx - 1);
	tui_buf_fill(b, cx + 1, sy, min_i(w + 1, room), ' ', role);
	int pad = max_i(0, w - tui_text_width(val));
	tui_buf_put(b, cx + 1 + pad, sy, x_end, role, val);
	tui_buf_put(b, cx + 1 + w, sy, x_end, role,
		    tui_status_glyph(st, p->v->ascii));
	if (cur) {
		tui_buf_put(b, cx + pad, sy, x_end,
			    pad > 0 ? role : ROLE_NORMAL,
			    p->v->ascii ? ">" : "▶");
		if (p->focused)
			tui_buf_mark(b, cx, sy, min_i(w + 2, room + 1),
				     TUI_CURSOR_MARK);
	}
	/* a mouse click anywhere on the cell selects it */
	tui_buf_tag(b, cx, sy, min_i(w + 2, room + 1),
		    tui_hit_pack(p->mode, bl->mat, r, c));
}

static void draw_row_label(const PaneCtx *p, const Block *bl, int r,
			   int sx, int sy, bool chosen)
{
	char lab[32];
	row_label(p->v, bl->mat, r, lab, sizeof lab);
	int pad = bl->labw - 1 - tui_text_width(lab);
	tui_buf_put(p->b, sx + pad, sy, p->ax + p->aw,
		    chosen ? ROLE_CHOSEN : ROLE_DIM, lab);
	bool more = (r == bl->r0 && bl->r0 > 1) ||
		    (r == bl->r1 && bl->r1 < bl->rows);
	if (more)
		tui_buf_put(p->b, sx + bl->labw - 1, sy, p->ax + p->aw,
			    ROLE_DIM, p->v->ascii ? ":" : "⋮");
}

/*
 * A block is drawn whole or not at all: a matrix cut off at the bottom of
 * the pane would hide rows (the chosen logit) without saying so. The
 * title row names the blocks below instead.
 */
static bool block_visible(const PaneCtx *p, const Block *bl)
{
	int top = bl->y - p->scroll;
	return top >= 0 && top + bl->h <= p->ah;
}

/* Draws row r of a block at screen row sy: label, cells, "◀ next". */
static void draw_row(const PaneCtx *p, const Block *bl, int r, int sx,
		     int sy)
{
	int chosen = trace_step(p->v->t, p->s->step, p->mode)->chosen + 1;
	int cw = cell_width(p->v, bl->mat);
	bool is_chosen = bl->mat == MAT_LOGITS && r == chosen;
	draw_row_label(p, bl, r, sx, sy, is_chosen);
	for (int c = bl->c0; c <= bl->c1; c++)
		draw_cell(p, bl, r, c, sx + bl->labw + (c - bl->c0) * cw, sy);
	if (is_chosen)
		tui_buf_put(p->b, sx + bl->labw + (bl->c1 - bl->c0 + 1) * cw, sy,
			    p->ax + p->aw, ROLE_CHOSEN, next_mark(p->v));
}

static double logit_or_low(const PaneCtx *p, int r, int c)
{
	double x = -1e300;
	tui_state_value_in(p->s, p->v->t, p->mode, 1, 1, MAT_LOGITS, r, c, &x);
	return x;
}

/*
 * Rank of logit row r among all rows, 0 for the largest; ties go to the
 * lower row, as the argmax does, so rank 0 is the chosen token.
 */
static int logit_rank(const PaneCtx *p, const Block *bl, int r)
{
	double x = logit_or_low(p, r, bl->hi);
	int rank = 0;
	for (int i = 1; i <= bl->rows; i++) {
		double y = logit_or_low(p, i, bl->hi);
		if (y > x || (y == x && i < r))
			rank++;
	}
	return rank;
}

static void draw_block(const PaneCtx *p, const Block *bl)
{
	if (!block_visible(p, bl))
		return;
	int sx = p->ax + bl->x;
	int sy = screen_row(p, bl->y);
	if (sy >= 0)
		draw_block_header(p, bl, sx, sy);
	if (bl->top_k > 0) {
		char buf[48];
		snprintf(buf, sizeof buf, " top %d of %d", bl->top_k, bl->rows);
		tui_buf_put(p->b, sx + (int)strlen(matrix_name(bl->mat)), sy,
			    p->ax + p->aw, ROLE_TITLE, buf);
		for (int r = 1; r <= bl->rows; r++) {
			int k = logit_rank(p, bl, r);
			sy = screen_row(p, bl->y + 1 + k);
			if (k < bl->top_k && sy >= 0)
				draw_row(p, bl, r, sx, sy);
		}
		return;
	}
	for (int r = bl->r0; r <= bl->r1; r++) {
		sy = screen_row(p, bl->y + 1 + r - bl->r0);
		if (sy >= 0)
			draw_row(p, bl, r, sx, sy);
	}
}

/*
 * When the logits block starts on screen but runs past its bottom, or
 * shows only some of its rows (a short block area), and the cursor is
 * elsewhere, show its k largest rows instead (at least the chosen one),
 * labelled "logits top k of V", rather than hiding it or cutting it off.
 */
static void fit_logits(const PaneCtx *p, Block *bl, int n)
{
	for (int i = 0; i < n; i++) {
		Block *b = &bl[i];
		int top = b->y - p->scroll, room = p->ah - top;
		if (b->mat != MAT_LOGITS || top < 0 || room < 2 ||
		    p->s->cur_mat == MAT_LOGITS)
			continue;
		if (!block_visible(p, b)) {
			b->top_k = room - 1;
			b->h = room;
		} else if (b->r1 - b->r0 + 1 < b->rows) {
			b->top_k = b->r1 - b->r0 + 1; /* rows windowed */
		}
	}
}

/* "  tiled" or "  standard": the kernel whose values a tiled run's panes
 * show; the standard one's the longer. */
static const char *kernel_label(const TuiState *s, const Trace *t)
{
	return tui_state_tiled(s, t) ? "  tiled" : "  standard";
}

/*
 * Title row: the mode's name, or the tab bar when one pane is shown,
 * then the pass and, in a tiled run, the kernel shown. Returns the
 * column after its text.
 */
static int draw_title(const PaneCtx *p, TuiRect r, bool tabs)
{
	TuiBuf *b = p->b;
	int x = r.x, x_end = r.x + r.w;
	const TraceStep *ts = trace_step(p->v->t, p->s->step, p->mode);
	char buf[96];
	if (tabs) {
		for (int m = 0; m < MODE_COUNT; m++) {
			snprintf(buf, sizeof buf, " %d %s ", m + 1,
				 mode_title((Mode)m));
			x = tui_buf_put(b, x, r.y, x_end,
					m == (int)p->mode ? ROLE_TAB_ACTIVE
							  : ROLE_TAB, buf);
			x = tui_buf_put(b, x, r.y, x_end, ROLE_DIM, " ");
		}
	} else {
		snprintf(buf, sizeof buf, " %s ", mode_title(p->mode));
		x = tui_buf_put(b, x, r.y, x_end,
				p->focused ? ROLE_TAB_ACTIVE : ROLE_TAB, buf);
	}
	snprintf(buf, sizeof buf, " pass %d: columns %d-%d", ts->pass,
		 ts->info.proj_lo, ts->info.hi);
	x = tui_buf_put(b, x, r.y, x_end, ROLE_DIM, buf);
	/* a tiled run names the kernel shown (t toggles) */
	if (trace_tiles_kernel(trace_tiles(p->v->t))->tiled)
		x = tui_buf_put(b, x, r.y, x_end, ROLE_TITLE,
				kernel_label(p->s, p->v->t));
	return x;
}

/*
 * "▲ [  ▼ ] Z logits" at the right of the title row: there are blocks
 * above, and which blocks are below (from `cut` on), when the pane
 * scrolls. Shorter forms drop the key hints, then count the blocks
 * below ("▼ 3 more"), then keep the arrows alone; a name is never cut.
 * The layout leaves room for the arrows (TUI_MARKS_MIN).
 */
static void draw_scroll_marks(const PaneCtx *p, TuiRect r, const Block *bl,
			      int n, int cut, int title_end)
{
	bool above = false;
	for (int i = 0; i < n; i++)
		above = above || bl[i].y < p->scroll;
	char names[96] = "";
	size_t blen = 0;
	for (int i = cut; i < n; i++)
		blen += (size_t)snprintf(names + blen, sizeof names - blen, " %s",
					 matrix_name(bl[i].mat));
	if (!above && blen == 0)
		return;
	const char *up = p->v->ascii ? "^" : "▲";
	const char *down = p->v->ascii ? "v" : "▼";
	char forms[4][128];
	const char *gap = above && blen ? "  " : "";
	snprintf(forms[0], sizeof forms[0], "%s%s%s%s%s", above ? up : "",
		 above ? " [" : "", gap, blen ? down : "", blen ? " ]" : "");
	size_t l0 = strlen(forms[0]);
	snprintf(forms[0] + l0, sizeof forms[0] - l0, "%s", names);
	snprintf(forms[1], sizeof forms[1], "%s%s%s%s", above ? up : "", gap,
		 blen ? down : "", names);
	snprintf(forms[2], sizeof forms[2], "%s%s%s", above ? up : "", gap,
		 blen ? down : "");
	if (blen)
		snprintf(forms[2] + strlen(forms[2]),
			 sizeof forms[2] - strlen(forms[2]), " %d more",
			 n - cut);
	snprintf(forms[3], sizeof forms[3], "%s%s%s", above ? up : "",
		 above && blen ? " " : "", blen ? down : "");
	int x_end = r.x + r.w, room = x_end - title_end - 2;
	const char *text = forms[3];
	for (int i = 0; i < 3; i++) {
		if (tui_text_width(forms[i]) <= room) {
			text = forms[i];
			break;
		}
	}
	int w = tui_text_width(text);
	tui_buf_put(p->b, x_end - w, r.y, x_end, ROLE_TITLE, text);
}

/* The first of `n` texts that fits `w` columns, else the last. */
static const char *first_fit(const char *const *texts, int n, int w)
{
	for (int i = 0; i < n - 1; i++)
		if (tui_text_width(texts[i]) <= w)
			return texts[i];
	return texts[n - 1];
}

static const char *plural(uint64_t n, const char *one, const char *many)
{
	return n == 1 ? one : many;
}

void tui_counter_rows(const TraceStep *ts, bool brief, char *row1,
		      char *row2, size_t n)
{
	const Counters *c = &ts->pass_c, *tot = &ts->total;
	if (!brief) {
		snprintf(row1, n,
			 "this pass %" PRIu64 " MACs  %" PRIu64
			 " recomputed  %" PRIu64 " cache %s",
			 counters_macs(c), c->recomputed_macs, c->cache_reads,
			 plural(c->cache_reads, "read", "reads"));
		snprintf(row2, n,
			 "total     %" PRIu64 " MACs  %" PRIu64
			 " recomputed  %" PRIu64 " %s  cache %" PRIu64
			 " %s %" PRIu64 " B",
			 counters_macs(tot), tot->recomputed_macs, tot->passes,
			 plural(tot->passes, "pass", "passes"),
			 tot->cache_cells,
			 plural(tot->cache_cells, "cell", "cells"),
			 tot->cache_bytes);
		return;
	}
	snprintf(row1, n, "pass %" PRIu64 " MACs %" PRIu64 " recomp %" PRIu64
		 " %s", counters_macs(c), c->recomputed_macs, c->cache_reads,
		 plural(c->cache_reads, "read", "reads"));
	snprintf(row2, n,
		 "total %" PRIu64 " MACs %" PRIu64 " recomp %" PRIu64
		 " %s %" PRIu64 " %s %" PRIu64 " B",
		 counters_macs(tot), tot->recomputed_macs, tot->passes,
		 plural(tot->passes, "pass", "passes"), tot->cache_cells,
		 plural(tot->cache_cells, "cell", "cells"), tot->cache_bytes);
}

/*
 * A tiled run's counter rows (--attention flash) end with the score
 * cells written (0: the tiled kernel holds no S) and the tiles visited,
 * of the pass on row 1 and in total on row 2, in one of three forms:
 * 0 "  0 score cells  7 tile passes", 1 "  0 S cells  7 tiles",
 * 2 " 0 S 7 tiles". A standard run's rows stay as they are.
 */
static void tile_counter_rows(const TraceStep *ts, int form, char (*rows)[192])
{
	const Counters *c[2] = { &ts->pass_c, &ts->total };
	for (int i = 0; i < 2; i++) {
		char *out = rows[i];
		size_t len = strlen(out), n = sizeof rows[i];
		uint64_t sc = c[i]->score_cells_written, tp = c[i]->tile_passes;
		if (form == 0)
			snprintf(out + len, n - len, "  %" PRIu64 " score %s  %"
				 PRIu64 " tile %s", sc, plural(sc, "cell",
				 "cells"), tp, plural(tp, "pass", "passes"));
		else
			snprintf(out + len, n - len, "%s%" PRIu64 " S%s%s%"
				 PRIu64 " %s", form == 1 ? "  " : " ", sc,
				 form == 1 ? " cells" : "",
				 form == 1 ? "  " : " ", tp,
				 plural(tp, "tile", "tiles"));
	}
}

/*
 * The counter rows in their forms, longest first: words, then brief
 * (which keeps every number and its unit); a tiled run's rows carry its
 * tile counters in every form, so the last one, brief with " 0 S 7
 * tiles", is what the layout's narrowest pane must hold.
 */
static int counter_forms(const TuiView *v, const TraceStep *ts,
			 char (*forms)[2][192])
{
	bool tiled = trace_tiles_kernel(trace_tiles(v->t))->tiled;
	if (!tiled) {
		tui_counter_rows(ts, false, forms[0][0], forms[0][1], 192);
		tui_counter_rows(ts, true, forms[1][0], forms[1][1], 192);
		return 2;
	}
	static const struct { bool brief; int tile_form; } order[4] = {
		{ false, 0 }, { false, 1 }, { true, 1 }, { true, 2 },
	};
	for (int i = 0; i < 4; i++) {
		tui_counter_rows(ts, order[i].brief, forms[i][0], forms[i][1],
				 192);
		tile_counter_rows(ts, order[i].tile_form, forms[i]);
	}
	return 4;
}

/*
 * The pass's and the total counters, each row in its longest form that
 * fits. The layout gives a pane at least the last form's width
 * (tui_view_init measures it).
 */
static void draw_counters(const PaneCtx *p, TuiRect r)
{
	const TraceStep *ts = trace_step(p->v->t, p->s->step, p->mode);
	char forms[4][2][192];
	int y = r.y + r.h - 2, x_end = r.x + r.w;
	int n = counter_forms(p->v, ts, forms);
	const char *row1[4], *row2[4];
	for (int i = 0; i < n; i++) {
		row1[i] = forms[i][0];
		row2[i] = forms[i][1];
	}
	tui_buf_put(p->b, r.x, y, x_end, ROLE_NORMAL, first_fit(row1, n, r.w));
	tui_buf_put(p->b, r.x, y + 1, x_end, ROLE_TITLE,
		    first_fit(row2, n, r.w));
}

void tui_render_pane(TuiBuf *b, const TuiView *v, const TuiState *s, Mode m,
		     TuiRect r, bool tabs)
{
	/* the cache panel sits between the blocks and the counters */
	int cache_h = tui_cache_height(v, r.h - 3 - PANE_MIN_BLOCK_ROWS);
	/* a tiled run: the tile states take the place of S and A */
	int tiles_h = tui_tiles_height(v, s, m, r.h - 3 - cache_h -
					       PANE_MIN_BLOCK_ROWS);
	/* a RoPE model: its panel under the cache panel */
	int rope_h = tui_rope_height(v, r.h - 3 - cache_h - tiles_h -
					      PANE_MIN_BLOCK_ROWS);
	PaneCtx p = { .b = b, .v = v, .s = s, .mode = m,
		      .focused = m == s->focus, .ax = r.x, .ay = r.y + 1,
		      .aw = r.w, .ah = r.h - 3 - cache_h - tiles_h - rope_h };
	int title_end = draw_title(&p, r, tabs);
	draw_counters(&p, r);
	if (cache_h > 0)
		tui_render_cache(b, v, s, m,
				 (TuiRect){ r.x, r.y + 1 + p.ah + tiles_h, r.w,
					    cache_h });
	if (rope_h > 0)
		tui_render_rope(b, v, s,
				(TuiRect){ r.x, r.y + 1 + p.ah + tiles_h + cache_h,
					   r.w, rope_h });
	if (tiles_h > 0)
		tui_render_tiles(b, v, s, m,
				 (TuiRect){ r.x, r.y + 1 + p.ah, r.w, tiles_h });
	if (p.ah < 2)
		return;
	Block bl[MAX_BLOCKS];
	const Matrix *list;
	int n = tui_state_matrices(s, v->t, &list);
	for (int i = 0; i < n; i++)
		bl[i] = block_size(&p, list[i]);
	/*
	 * Reserve each block's size at the last step, with a blank row between
	 * flow rows, when that fits: nothing moves while stepping. A small
	 * screen packs blocks at their current size and scrolls instead.
	 */
	int total = flow(bl, n, p.aw, 1);
	if (total > p.ah)
		total = flow(bl, n, p.aw, 0);
	if (total > p.ah) {
		for (int i = 0; i < n; i++) {
			bl[i].pw = bl[i].w;
			bl[i].ph = bl[i].h;
		}
		total = flow(bl, n, p.aw, 0);
	}
	p.scroll = scroll_for(bl, n, total, p.ah, s->cur_mat);
	fit_logits(&p, bl, n);
	/*
	 * Blocks are drawn in reading order up to the first one that does
	 * not fit below: a later, smaller block is not drawn past it, so no
	 * matrix goes missing between two that show (S, _, Z).
	 */
	int cut = n;
	for (int i = 0; i < n && cut == n; i++)
		if (bl[i].y >= p.scroll && !block_visible(&p, &bl[i]))
			cut = i;
	for (int i = 0; i < cut; i++)
		draw_block(&p, &bl[i]);
	draw_scroll_marks(&p, r, bl, n, cut, title_end);
}

/*
 * Narrowest pane that shows every step's title (with room for the scroll
 * arrows) and brief counters whole, in any mode: the layout puts three
 * panes side by side only when each gets this much.
 */
int tui_pane_text_width(const TuiView *v)
{
	int w = 0, T = trace_steps(v->t);
	char forms[4][2][192], title[96];
	for (int step = 1; step <= T; step++) {
		for (int m = 0; m < MODE_COUNT; m++) {
			const TraceStep *ts = trace_step(v->t, step, (Mode)m);
			int last = counter_forms(v, ts, forms) - 1;
			w = max_i(w, max_i(tui_text_width(forms[last][0]),
					   tui_text_width(forms[last][1])));
			snprintf(title, sizeof title, " %s  pass %d: columns %d-%d",
				 mode_title((Mode)m), ts->pass, ts->info.proj_lo,
				 ts->info.hi);
			/* two spaces, then "▲ ▼"; a tiled run names the
			 * kernel shown */
			int kw = trace_tiles_kernel(trace_tiles(v->t))->tiled
					 ? (int)strlen("  standard") : 0;
			w = max_i(w, tui_text_width(title) + kw + 2 + 3);
		}
	}
	return w;
}
