/*
 * The attention panes of the selected request at an iteration: K and V
 * as its cache holds them, read through its block table (a block:slot
 * row under the column numbers), then S, A and Z of the queries its
 * chunk processed. Every value is the run's own record (serve_cell);
 * marks are the main view's: * computed, = reused (read from the cache,
 * or adopted from a shared prefix block), ! recomputed (after a
 * preemption), · masked. Also the inspector's line for the cursor cell.
 */
#include "tui_serve_int.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tui_render.h"

enum { GAP = 2 };

static const Matrix flow_order[] = { MAT_K, MAT_V, MAT_S, MAT_A, MAT_Z };
enum { N_FLOW = sizeof flow_order / sizeof flow_order[0] };

/* The record shown for a cell, and its status at this iteration: a K or
 * V column written earlier is read from the cache (reused). */
static bool shown_cell(const TuiServeState *s, Matrix mat, int row, int col,
		       ServeCell *c)
{
	if (!serve_cell(s->r, s->req, s->iter, s->layer,
			tui_serve_head_of(s, mat), mat, row, col, c))
		return false;
	if (c->iter != s->iter) {
		if (mat != MAT_K && mat != MAT_V)
			return false; /* Q, S, A, Z of a past query: not held */
		c->status = CELL_REUSED;
	}
	return true;
}

/* A matrix box: columns lo..hi shown (the latest that fit). */
typedef struct Box {
	Matrix mat;
	TuiServeExtent e;
	int lo;          /* first column shown (e.lo, or later when cut) */
	int label_w, cw; /* row label width, column width (gap included) */
	int w, h;
} Box;

static int digits_of(int v)
{
	int d = 1;
	while (v >= 10) {
		v /= 10;
		d++;
	}
	return d;
}

static void box_measure(const TuiServeState *s, Matrix mat, int w_max, Box *bx)
{
	const Scenario *sc = serve_scenario(s->r);
	bx->mat = mat;
	tui_serve_extent(s, mat, &bx->e);
	bool kv = mat == MAT_K || mat == MAT_V;
	int head = 1 + digits_of(bx->e.hi); /* "k12", "q3" */
	if (kv) {
		int bs = digits_of(sc->blocks) + 1 + digits_of(sc->block_size);
		head = head > bs ? head : bs;
	}
	bx->cw = (s->valw[mat] + 1 > head ? s->valw[mat] + 1 : head) + 1;
	int rl = (mat == MAT_S || mat == MAT_A) ? 1 + digits_of(bx->e.hi)
						: digits_of(bx->e.rows);
	bx->label_w = (rl > 3 ? rl : 3) + 1; /* "K…", "b:s" fit too */
	int n = bx->e.hi - bx->e.lo + 1;
	int fit = (w_max - bx->label_w) / bx->cw;
	bx->lo = n > fit && fit >= 1 ? bx->e.hi - fit + 1 : bx->e.lo;
	bx->w = bx->label_w + (bx->e.hi - bx->lo + 1) * bx->cw;
	bx->h = 1 + (kv ? 1 : 0) + bx->e.rows;
}

static char col_letter(Matrix mat)
{
	return mat == MAT_K ? 'k' : mat == MAT_V ? 'v' : mat == MAT_Z ? 'z' : 'q';
}

static void draw_value(TuiBuf *b, const TuiServeState *s, const Box *bx,
		       int cx, int cy, int row, int col, bool ascii)
{
	ServeCell c;
	char v[48], cell[64];
	int vw = s->valw[bx->mat];
	bool masked = (bx->mat == MAT_S || bx->mat == MAT_A) && row > col;
	if (masked) {
		snprintf(cell, sizeof cell, "%*s", vw + 1,
			 tui_status_glyph(CELL_MASKED, ascii));
		tui_buf_put(b, cx, cy, cx + bx->cw - 1, ROLE_MASKED, cell);
	} else if (shown_cell(s, bx->mat, row, col, &c)) {
		tui_format_value(c.value, s->digits, v, sizeof v);
		snprintf(cell, sizeof cell, "%*s%s", vw, v,
			 tui_status_glyph(c.status, ascii));
		tui_buf_put(b, cx, cy, cx + bx->cw - 1, tui_status_role(c.status),
			    cell);
	}
	tui_buf_tag(b, cx, cy, bx->cw - 1,
		    tui_serve_hit_pack(s->req, bx->mat, row, col));
	if (s->inspect && s->cur_mat == bx->mat && s->cur_row == row &&
	    s->cur_col == col)
		tui_buf_mark(b, cx, cy, bx->cw - 1, TUI_CURSOR_MARK);
}

/* The block:slot of key `col`, read from its K record. */
static void place_text(const TuiServeState *s, int col, char *out, size_t n)
{
	ServeCell c;
	if (serve_cell(s->r, s->req, s->iter, s->layer,
		       tui_serve_head_of(s, MAT_K), MAT_K, 1, col, &c) &&
	    c.block > 0)
		snprintf(out, n, "%d:%d", c.block, c.slot);
	else
		snprintf(out, n, "-");
}

static void draw_box(TuiBuf *b, const TuiServeState *s, const Box *bx, int x,
		     int y, bool ascii)
{
	bool kv = bx->mat == MAT_K || bx->mat == MAT_V;
	bool cut = bx->lo > bx->e.lo;
	tui_serve_putf(b, x, y, x + bx->label_w, ROLE_TITLE, "%s%s",
		       matrix_name(bx->mat), cut ? (ascii ? "<" : "…") : "");
	if (kv)
		tui_buf_puts(b, x, y + 1, ROLE_DIM, "b:s");
	for (int col = bx->lo; col <= bx->e.hi; col++) {
		int cx = x + bx->label_w + (col - bx->lo) * bx->cw;
		tui_serve_putf(b, cx, y, cx + bx->cw - 1, ROLE_DIM, "%*c%d",
			       bx->cw - 2 - digits_of(col), col_letter(bx->mat),
			       col);
		if (kv) {
			char p[24];
			place_text(s, col, p, sizeof p);
			tui_serve_putf(b, cx, y + 1, cx + bx->cw - 1, ROLE_DIM,
				       "%*s", bx->cw - 1, p);
		}
	}
	int y0 = y + (kv ? 2 : 1);
	for (int row = 1; row <= bx->e.rows; row++) {
		if (bx->mat == MAT_S || bx->mat == MAT_A)
			tui_serve_putf(b, x, y0 + row - 1, x + bx->label_w, ROLE_DIM,
				       "k%d", row);
		else
			tui_serve_putf(b, x, y0 + row - 1, x + bx->label_w, ROLE_DIM,
				       "%d", row);
		for (int col = bx->lo; col <= bx->e.hi; col++)
			draw_value(b, s, bx, x + bx->label_w + (col - bx->lo) * bx->cw,
				   y0 + row - 1, row, col, ascii);
	}
}

/* What the pane's title says about the request this iteration. */
static void title_text(const TuiServeState *s, char *out, size_t n)
{
	const Scenario *sc = serve_scenario(s->r);
	const ServeEntry *e = serve_entry(s->r, s->iter, s->req);
	const ServeOutcome *o = serve_outcome(s->r, s->req);
	const char *name = sc->req[s->req - 1].name;
	char where[64] = "";
	if (sc->model->stacked)
		snprintf(where, sizeof where, " (layer %d, head %d, K/V head %d)",
			 s->layer, s->head, tui_serve_head_of(s, MAT_K));
	int len = snprintf(out, n, "attention of %s%s, iteration %d: ", name,
			   where, s->iter);
	if (len < 0 || (size_t)len >= n)
		return;
	out += len;
	n -= (size_t)len;
	if (e->phase == SERVE_PREFILL)
		snprintf(out, n, "prefill of %d-%d; K, V read at block:slot (b:s)",
			 e->lo, e->hi);
	else if (e->phase == SERVE_DECODE)
		snprintf(out, n, "decode of %d; K, V read at block:slot (b:s)", e->hi);
	else if (e->phase == SERVE_PENDING)
		snprintf(out, n, "not arrived (it arrives at iteration %d)", o->arrive);
	else if (e->phase == SERVE_FINISHED)
		snprintf(out, n, "finished at iteration %d; its blocks are freed", o->finish);
	else if (e->preempted || e->phase == SERVE_PREEMPTED)
		snprintf(out, n, "preempted, blocks freed; K, V will be recomputed (!)");
	else if (e->held > 0)
		snprintf(out, n, "waiting: nothing computed; its cache holds 1-%d", e->held);
	else
		snprintf(out, n, "waiting: nothing computed or cached yet");
}

/* Lays the boxes out from flow_order[start]; returns how many fit and
 * fills xs, ys. */
static int flow(const Box *bx, int n, int start, int x0, int y0, int w,
		int y_end, int *xs, int *ys, bool *placed)
{
	int x = x0, y = y0, band = 0, count = 0;
	for (int i = 0; i < n; i++)
		placed[i] = false;
	for (int i = start; i < n; i++) {
		if (bx[i].e.rows == 0)
			continue;
		if (x > x0 && x + bx[i].w > x0 + w) {
			y += band + 1;
			x = x0;
			band = 0;
		}
		if (y + bx[i].h > y_end)
			break;
		xs[i] = x;
		ys[i] = y;
		placed[i] = true;
		count++;
		x += bx[i].w + GAP;
		if (bx[i].h > band)
			band = bx[i].h;
	}
	return count;
}

void tui_serve_draw_attn(TuiBuf *b, const TuiServeState *s, int x, int y,
			 int w, int h, bool ascii)
{
	if (h < 1)
		return;
	char title[256];
	title_text(s, title, sizeof title);
	tui_serve_put_elided(b, x, y, w, ROLE_TITLE, title, ascii);
	if (!serve_has_cells(s->r)) {
		tui_buf_put(b, x, y + 1, x + w, ROLE_DIM,
			    "no cells were recorded for this run");
		return;
	}
	Box bx[N_FLOW];
	int xs[N_FLOW], ys[N_FLOW];
	bool placed[N_FLOW];
	for (int i = 0; i < N_FLOW; i++)
		box_measure(s, flow_order[i], w, &bx[i]);
	int y_end = y + h - 1; /* the last row: what is not shown */
	int start = 0;
	flow(bx, N_FLOW, start, x, y + 1, w, y_end, xs, ys, placed);
	for (int i = 0; i < N_FLOW; i++)
		if (s->inspect && flow_order[i] == s->cur_mat && !placed[i] &&
		    bx[i].e.rows > 0) {
			start = i; /* the cursor's matrix must be on screen */
			flow(bx, N_FLOW, start, x, y + 1, w, y_end, xs, ys, placed);
		}
	char missing[64] = "";
	for (int i = 0; i < N_FLOW; i++) {
		if (placed[i])
			draw_box(b, s, &bx[i], xs[i], ys[i], ascii);
		else if (bx[i].e.rows > 0)
			snprintf(missing + strlen(missing), sizeof missing - strlen(missing),
				 " %s", matrix_name(flow_order[i]));
	}
	if (missing[0])
		tui_serve_putf(b, x, y_end, x + w, ROLE_DIM,
			       "%s not shown:%s (Enter, then ] [ bring a matrix on screen)",
			       ascii ? "..." : "…", missing);
}

/* ---- the inspector ---- */

/* Appends printf text to out (size n, length *len). */
static void add(char *out, size_t n, size_t *len, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void add(char *out, size_t n, size_t *len, const char *fmt, ...)
{
	if (*len >= n)
		return;
	va_list ap;
	va_start(ap, fmt);
	int w = vsnprintf(out + *len, n - *len, fmt, ap);
	va_end(ap);
	if (w > 0)
		*len = *len + (size_t)w < n ? *len + (size_t)w : n - 1;
}

enum { OPERAND_EXTRA = 2 }; /* operand decimals beyond the result's, as
			      the main view's inspector (tui_inspect.c) */

/* An operand with two more decimals than the result (integers stay
 * integers), in brackets when negative; returns the value as printed. */
static double fmt(const TuiServeState *s, double x, char *out, size_t n)
{
	char v[48];
	tui_format_value(x, s->digits + OPERAND_EXTRA, v, sizeof v);
	snprintf(out, n, v[0] == '-' ? "(%s)" : "%s", v);
	return strtod(v, NULL);
}

/*
 * " = 1.84" or " ≈ 1.84": the recorded value with the result's decimals;
 * "≈" when the arithmetic of the printed operands (`shown`, NAN when not
 * every term is printed) does not round to the same text, so the line
 * never claims a sum the reader cannot redo by hand.
 */
static void result(const TuiServeState *s, double shown, double x,
		   const char *v, bool ascii, char *out, size_t cap, size_t *len)
{
	bool same = true;
	if (!isnan(shown)) { /* both to the result's decimals: 1 and 0.9999 agree */
		char a[64], b[64];
		int d = s->digits < 1 ? 1 : s->digits;
		snprintf(a, sizeof a, "%.*f", d, x);
		snprintf(b, sizeof b, "%.*f", d, shown);
		same = strcmp(a, b) == 0 || (strspn(a, "-0.") == strlen(a) &&
					     strspn(b, "-0.") == strlen(b));
	}
	add(out, cap, len, " %s %s", same ? "=" : ascii ? "~" : "≈", v);
}

static double val(const TuiServeState *s, Matrix mat, int row, int col, bool *ok)
{
	ServeCell c;
	if (!serve_cell(s->r, s->req, s->iter, s->layer,
			tui_serve_head_of(s, mat), mat, row, col, &c)) {
		*ok = false;
		return 0;
	}
	return c.value;
}

/* One factor of a product: i runs over its row (by_row) or column. */
typedef struct Operand {
	Matrix mat;
	int fixed;   /* the other index */
	bool by_row;
} Operand;

/* "a·b + c·d + …" over i = 1..n, the middle elided past 6 terms;
 * returns the sum of the printed products, NAN when some are elided. */
static double products(const TuiServeState *s, Operand a, Operand b, int n,
		       bool ascii, char *out, size_t cap, size_t *len, bool *ok)
{
	double sum = 0;
	for (int i = 1; i <= n; i++) {
		if (n > 6 && i == 4) {
			add(out, cap, len, "%s", ascii ? " + ..." : " + …");
			i = n - 1;
			sum = NAN;
			continue;
		}
		char x[48], y[48];
		double p = fmt(s, val(s, a.mat, a.by_row ? i : a.fixed,
				      a.by_row ? a.fixed : i, ok), x, sizeof x);
		p *= fmt(s, val(s, b.mat, b.by_row ? i : b.fixed,
				b.by_row ? b.fixed : i, ok), y, sizeof y);
		sum += p;
		add(out, cap, len, "%s%s%s%s", i > 1 ? " + " : "", x,
		    ascii ? " x " : "·", y);
	}
	return sum;
}

static const char *status_words(CellStatus st)
{
	if (st == CELL_COMPUTED)
		return "computed in this iteration";
	if (st == CELL_RECOMPUTED)
		return "recomputed after a preemption (the same bits)";
	return st == CELL_REUSED ? "reused" : "";
}

static void explain_kv(const TuiServeState *s, const ServeCell *c, CellStatus st,
		       char *out, size_t n, size_t *len)
{
	const Scenario *sc = serve_scenario(s->r);
	int logical = (c->col - 1) / sc->block_size + 1;
	add(out, n, len, "  key %d of %s is in block %d slot %d (logical block %d of its table): ",
	    c->col, sc->req[s->req - 1].name, c->block, c->slot, logical);
	if (st == CELL_REUSED && c->iter == s->iter)
		add(out, n, len, "adopted from the prefix cache, computed by an earlier request");
	else if (st == CELL_REUSED)
		add(out, n, len, "read from the cache (written in iteration %d)", c->iter);
	else
		add(out, n, len, "%s", status_words(st));
}

void tui_serve_inspect_text(const TuiServeState *s, bool ascii, char *out,
			    size_t n)
{
	const Model *m = serve_scenario(s->r)->model;
	size_t len = 0;
	int r = s->cur_row, q = s->cur_col;
	const char *mn = matrix_name(s->cur_mat);
	out[0] = '\0';
	TuiServeExtent e;
	tui_serve_extent(s, s->cur_mat, &e);
	if (e.rows == 0) {
		add(out, n, &len, "INSPECT: %s is not drawn for this request in this iteration ([ ] picks another matrix)", mn);
		return;
	}
	if ((s->cur_mat == MAT_S || s->cur_mat == MAT_A) && r > q) {
		add(out, n, &len, "INSPECT %s[%d,%d]: masked, key %d comes after query %d; never computed",
		    mn, r, q, r, q);
		return;
	}
	ServeCell c;
	if (!shown_cell(s, s->cur_mat, r, q, &c)) {
		add(out, n, &len, "INSPECT %s[%d,%d]: no value recorded", mn, r, q);
		return;
	}
	char v[48];
	bool ok = true;
	tui_format_value(c.value, s->digits, v, sizeof v);
	add(out, n, &len, "INSPECT %s[%d,%d] = ", mn, r, q);
	if (s->cur_mat == MAT_K || s->cur_mat == MAT_V) {
		add(out, n, &len, "%s", v);
		explain_kv(s, &c, c.status, out, n, &len);
		return;
	}
	if (s->cur_mat == MAT_S) {
		add(out, n, &len, "k%d%sq%d", r, ascii ? "." : "·", q);
		if (m->scale_sqrt)
			add(out, n, &len, "%s%d = (", ascii ? "/sqrt" : "/√", m->d_k);
		else
			add(out, n, &len, " = (");
		double dot = products(s, (Operand){ MAT_K, r, true },
				      (Operand){ MAT_Q, q, true }, m->d_k,
				      ascii, out, n, &len, &ok);
		add(out, n, &len, ")%s", m->scale_sqrt ? (ascii ? "/sqrt" : "/√") : "");
		if (m->scale_sqrt)
			add(out, n, &len, "%d", m->d_k);
		result(s, m->scale_sqrt ? dot / sqrt((double)m->d_k) : dot,
		       c.value, v, ascii, out, n, &len);
		add(out, n, &len, "   %s", status_words(c.status));
	} else if (s->cur_mat == MAT_A) {
		add(out, n, &len, "softmax down column q%d: e^S[%d,%d] / (", q, r, q);
		for (int k = 1; k <= q; k++) {
			if (q > 6 && k == 4) {
				add(out, n, &len, "%s", ascii ? " + ..." : " + …");
				k = q - 1;
				continue;
			}
			char sv[48];
			fmt(s, val(s, MAT_S, k, q, &ok), sv, sizeof sv);
			add(out, n, &len, "%se^%s", k > 1 ? " + " : "", sv);
		}
		add(out, n, &len, ") = %s   %s", v, status_words(c.status));
	} else {
		add(out, n, &len, "%s[%d,:]%sA[:,%d] = ", "V", r, ascii ? "." : "·", q);
		double z = products(s, (Operand){ MAT_V, r, false },
				    (Operand){ MAT_A, q, true }, q, ascii, out,
				    n, &len, &ok);
		result(s, z, c.value, v, ascii, out, n, &len);
		add(out, n, &len, "   %s", status_words(c.status));
	}
	if (!ok)
		add(out, n, &len, " (some terms were not recorded)");
}
