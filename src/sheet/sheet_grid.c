#include "sheet_grid.h"

#include <stdlib.h>
#include <string.h>

enum { GRID_GAP = 2 }; /* spaces between grid columns */

void sheet_block_free(SheetBlock *b)
{
	for (int r = 0; r < b->h; r++)
		sheet_buf_free(&b->rows[r]);
	free(b->rows);
	free(b->cols);
	free(b->refs);
	*b = (SheetBlock){ 0 };
}

/* Grows `b` to at least `h` rows; false when memory ran out. */
static bool block_rows(SheetBlock *b, int h)
{
	if (b->oom)
		return false;
	if (h <= b->h)
		return true;
	SheetBuf *rows = realloc(b->rows, (size_t)h * sizeof *rows);
	if (!rows) {
		b->oom = true;
		return false;
	}
	b->rows = rows;
	int *cols = realloc(b->cols, (size_t)h * sizeof *cols);
	if (!cols) {
		b->oom = true;
		return false;
	}
	b->cols = cols;
	for (int r = b->h; r < h; r++) {
		sheet_buf_init(&rows[r]);
		cols[r] = 0;
	}
	b->h = h;
	return true;
}

static void block_ref(SheetBlock *b, const SheetRef *ref)
{
	if (b->n_refs == b->cap_refs) {
		int cap = b->cap_refs ? 2 * b->cap_refs : 16;
		SheetRef *n = realloc(b->refs, (size_t)cap * sizeof *n);
		if (!n) {
			b->oom = true;
			return;
		}
		b->refs = n;
		b->cap_refs = cap;
	}
	b->refs[b->n_refs++] = *ref;
}

void sheet_block_put(SheetBlock *b, int row, const char *s, size_t n,
		     const SheetRef *ref)
{
	if (!block_rows(b, row + 1))
		return;
	SheetBuf *line = &b->rows[row];
	if (ref) {
		SheetRef r = *ref;
		r.line = row;
		r.byte = (int)line->len;
		r.len = (int)n;
		block_ref(b, &r);
	}
	sheet_buf_add(line, s, n);
	b->oom |= line->oom;
	/* widths add up, so a long row costs no rescan (issue: quadratic) */
	b->cols[row] += sheet_text_width(s, n);
	if (b->cols[row] > b->w)
		b->w = b->cols[row];
}

void sheet_block_beside(SheetBlock *dst, const SheetBlock *src)
{
	int h = src->h > dst->h ? src->h : dst->h;
	if (src->oom)
		dst->oom = true;
	if (!block_rows(dst, h))
		return;
	int left = dst->w;
	int *at = calloc((size_t)h, sizeof *at); /* byte where src starts */
	if (!at) {
		dst->oom = true;
		return;
	}
	for (int r = 0; r < h; r++) {
		SheetBuf *line = &dst->rows[r];
		sheet_buf_fill(line, ' ', left - dst->cols[r]);
		at[r] = (int)line->len;
		dst->cols[r] = left;
		if (r < src->h) {
			sheet_buf_add(line, sheet_buf_str(&src->rows[r]),
				      src->rows[r].len);
			dst->cols[r] += src->cols[r];
		}
		dst->oom |= line->oom;
	}
	for (int i = 0; i < src->n_refs; i++) {
		SheetRef ref = src->refs[i];
		ref.byte += at[ref.line];
		block_ref(dst, &ref);
	}
	free(at);
	dst->w = left + src->w;
}

/* Widest key text of column c, its label, or min_w. */
static int grid_col_width(const GridSpec *g, int c)
{
	const char *lab = g->col_labels[c];
	int w = sheet_text_width(lab, strlen(lab));
	if (w < g->min_w)
		w = g->min_w;
	for (int r = 0; r < g->rows; r++) {
		const GridCell *cell = &g->cells[r * g->cols + c];
		int cw = cell->masked || cell->evicted ? 1
				      : sheet_text_width(cell->text,
							 strlen(cell->text));
		if (cw > w)
			w = cw;
	}
	return w;
}

static int grid_label_width(const GridSpec *g)
{
	int w = sheet_text_width(g->corner, strlen(g->corner));
	for (int r = 0; r < g->rows; r++) {
		int lw = sheet_text_width(g->row_labels[r],
					  strlen(g->row_labels[r]));
		if (lw > w)
			w = lw;
	}
	return w;
}

/* Appends `s` right-aligned in `w` columns to row `row`. */
static void put_right(SheetBlock *b, int row, const char *s, int w,
		      const SheetRef *ref)
{
	int sw = sheet_text_width(s, strlen(s));
	char pad[SHEET_TEXT_MAX];
	int n = w - sw < (int)sizeof pad ? w - sw : (int)sizeof pad - 1;
	if (n > 0) {
		memset(pad, ' ', (size_t)n);
		sheet_block_put(b, row, pad, (size_t)n, NULL);
	}
	sheet_block_put(b, row, s, strlen(s), ref);
}

/* Appends `s` left-aligned, padded to `w` columns. */
static void put_left(SheetBlock *b, int row, const char *s, int w)
{
	sheet_block_put(b, row, s, strlen(s), NULL);
	char pad[SHEET_TEXT_MAX];
	int n = w - sheet_text_width(s, strlen(s));
	if (n >= (int)sizeof pad)
		n = (int)sizeof pad - 1;
	if (n > 0) {
		memset(pad, ' ', (size_t)n);
		sheet_block_put(b, row, pad, (size_t)n, NULL);
	}
}

/* One cell: the value, a dash, or a blank to fill in, then its mark. */
static void grid_cell(const GridSpec *g, const GridCell *cell, int row,
		      int w, SheetBlock *out)
{
	char under[SHEET_TEXT_MAX];
	sheet_block_put(out, row, "  ", GRID_GAP, NULL);
	if (cell->masked) {
		put_right(out, row, sheet_dash(g->ascii), w, NULL);
	} else if (cell->evicted) {
		put_right(out, row, sheet_evicted_mark(g->ascii), w, NULL);
	} else if (cell->blank) {
		int n = w < (int)sizeof under ? w : (int)sizeof under - 1;
		memset(under, '_', (size_t)n);
		under[n] = '\0';
		put_right(out, row, under, w, NULL);
	} else {
		put_right(out, row, cell->text, w,
			  cell->ref.kind != REF_NONE ? &cell->ref : NULL);
	}
	if (g->marks) {
		/* a blank reaches into the mark column: the student writes 2* */
		char m = cell->blank ? '_'
			 : cell->masked || cell->evicted ? ' '
							 : cell->mark;
		sheet_block_put(out, row, &m, 1, NULL);
	}
}

/* Columns one cell of column c takes: the gap, the value, the mark. */
static int grid_cell_span(const GridSpec *g, const int *w, int c)
{
	return GRID_GAP + w[c] + (g->marks ? 1 : 0);
}

/* Columns lo..hi-1 as one band whose header is row `top` of `out`. */
static void grid_band(const GridSpec *g, const int *w, int lw, int lo,
		      int hi, int top, SheetBlock *out)
{
	put_left(out, top, g->corner, lw);
	for (int c = lo; c < hi; c++) {
		sheet_block_put(out, top, "  ", GRID_GAP, NULL);
		put_right(out, top, g->col_labels[c], w[c], NULL);
		if (g->marks)
			sheet_block_put(out, top, " ", 1, NULL);
	}
	for (int r = 0; r < g->rows; r++) {
		put_left(out, top + r + 1, g->row_labels[r], lw);
		for (int c = lo; c < hi; c++)
			grid_cell(g, &g->cells[r * g->cols + c], top + r + 1,
				  w[c], out);
	}
}

void sheet_grid_layout(const GridSpec *g, SheetBlock *out)
{
	int lw = grid_label_width(g);
	int *w = calloc((size_t)g->cols + 1, sizeof *w);
	if (!w) {
		out->oom = true;
		return;
	}
	for (int c = 0; c < g->cols; c++)
		w[c] = grid_col_width(g, c);
	int top = 0, lo = 0;
	do {
		/* as many columns as fit max_w, and at least one */
		int hi = lo + 1, width = lw + grid_cell_span(g, w, lo);
		while (hi < g->cols &&
		       (g->max_w <= 0 ||
			width + grid_cell_span(g, w, hi) <= g->max_w))
			width += grid_cell_span(g, w, hi++);
		if (g->cols == 0)
			hi = 0;
		grid_band(g, w, lw, lo, hi, top, out);
		top += g->rows + 2; /* header, rows, one empty line */
		lo = hi;
	} while (lo < g->cols);
	free(w);
}
