/*
 * Placeholder resolution: each item of a template line becomes a block
 * (one line of text, or a grid), the blocks are set side by side, and the
 * result is appended to the page. Key and blank copy go through the same
 * code and differ only in whether answers print or turn into underscores,
 * so they always have the same lines and columns.
 *
 * This file holds the entry points, the dispatch to the renderers
 * (sheet_values.c, sheet_cells.c) and the layout of lines on the page; the
 * checks every placeholder kind shares are in sheet_common.c.
 */
#include "sheet_render_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- items and lines ---- */

static int render_ph(const Render *R, const Placeholder *ph, SheetBlock *b)
{
	switch (ph->kind) {
	case PH_GRID:
		if (ph->what < MAT_COUNT)
			return sheet_render_trace_grid(R, ph, b);
		return sheet_render_weight_grid(R, ph, b);
	case PH_CELL: return sheet_render_cell(R, ph, b);
	case PH_COUNTER: return sheet_render_counter(R, ph, b);
	case PH_FACT: return sheet_render_fact(R, ph, b);
	case PH_CELLS:
	case PH_COLS: return sheet_render_status(R, ph, b);
	case PH_CHOICES: return sheet_render_choices(R, ph, b);
	case PH_SLOTS: return sheet_render_slots(R, ph, b);
	case PH_FORMULA: return sheet_render_formula(R, ph, b);
	case PH_TILES: return sheet_render_tiles(R, ph, b);
	case PH_SAY: {
		char *s = strndup(R->tp->text + ph->text_at, ph->text_len);
		if (!s)
			return kv_error_set(R->err, EX_OSERR, "out of memory");
		sheet_inline_put(R, ph, s, NULL, b);
		free(s);
		return 0;
	}
	case PH_COPY: {
		/* same width in both copies, so the rest of the line aligns */
		const char *s = R->o->blank ? "Name: ______________"
					    : "ANSWER KEY          ";
		sheet_block_put(b, 0, s, strlen(s), NULL);
		return 0;
	}
	}
	return 0;
}

/* Literal text, or a placeholder resolved against the run it reads. */
static int render_item(const Render *R, const TmplItem *it, SheetBlock *b)
{
	if (!it->is_ph) {
		sheet_block_put(b, 0, R->tp->text + it->at, it->len, NULL);
		return 0;
	}
	Render run = *R;
	run.t = R->runs[it->ph.model + 1];
	return render_ph(&run, &it->ph, b);
}

static void page_ref(SheetPage *page, const SheetRef *ref)
{
	if (page->n_refs == page->cap_refs) {
		int cap = page->cap_refs ? 2 * page->cap_refs : 64;
		SheetRef *n = realloc(page->refs, (size_t)cap * sizeof *n);
		if (!n) {
			page->text.oom = true;
			return;
		}
		page->refs = n;
		page->cap_refs = cap;
	}
	page->refs[page->n_refs++] = *ref;
}

/* Appends a line block's rows to the page, without trailing spaces. */
static void page_add(SheetPage *page, const SheetBlock *line)
{
	int h = line->h ? line->h : 1;
	for (int i = 0; i < line->n_refs; i++) {
		SheetRef ref = line->refs[i];
		ref.line += page->lines;
		page_ref(page, &ref);
	}
	for (int r = 0; r < h; r++) {
		const char *s = r < line->h ? sheet_buf_str(&line->rows[r]) : "";
		size_t n = strlen(s);
		while (n > 0 && s[n - 1] == ' ')
			n--;
		sheet_buf_add(&page->text, s, n);
		sheet_buf_add(&page->text, "\n", 1);
	}
	page->lines += h;
}

/* Bytes [lo, hi) of a line that must stay on one line: an answer. */
typedef struct ByteSpan {
	size_t lo, hi;
} ByteSpan;

/* True at the first byte of a UTF-8 code point: one terminal column. */
static bool starts_column(char c)
{
	return ((unsigned char)c & 0xC0) != 0x80;
}

/*
 * Where the piece of `s` from `start` ends: the last space (outside the
 * spans) that keeps the piece within `room` columns; the first such space
 * when none does; the end of `s` when it fits or has none. `sp` holds the
 * spans that end after `start`, in order. One scan from `start` up to the
 * first space past `room`: the bytes it passes beyond the piece start the
 * next piece, so wrapping a whole line reads each byte at most twice.
 */
static size_t wrap_end(const char *s, size_t start, size_t n, int room,
		       const ByteSpan *sp, int n_sp)
{
	size_t best = 0;
	int cols = 0; /* columns of s[start, i) */
	int k = 0;    /* the first span that ends after i */
	for (size_t i = start; i < n; i++) {
		if (i > start && s[i] == ' ') {
			while (k < n_sp && sp[k].hi <= i)
				k++;
			/* the first space of a gap; an answer's padding ends one */
			bool after_answer = k > 0 && sp[k - 1].hi == i;
			bool first = s[i - 1] != ' ' || after_answer;
			if (first && (k >= n_sp || sp[k].lo > i)) {
				if (cols > room)
					return best ? best : i;
				best = i;
			}
		}
		cols += starts_column(s[i]);
	}
	return cols <= room || !best ? n : best;
}

/*
 * Appends a one-row line to the page, word-wrapped to SHEET_PAGE_W at
 * spaces outside the spans (the answers, whose key text and blank differ):
 * so key and blank break at the same columns. Continuation lines keep the
 * line's indentation. Refs move to the piece that holds them. Spans and
 * refs are in byte order (a row only grows to the right), so both are
 * walked once: the whole line costs time linear in its length.
 */
static void page_add_wrapped(SheetPage *page, const SheetBlock *line,
			     const ByteSpan *sp, int n_sp)
{
	const char *s = line->h ? sheet_buf_str(&line->rows[0]) : "";
	size_t n = strlen(s), indent = strspn(s, " "), start = 0;
	if (line->h != 1 || line->cols[0] <= SHEET_PAGE_W || indent >= n) {
		page_add(page, line);
		return;
	}
	int k = 0, ri = 0; /* next span that ends after start; next ref */
	for (int first = 1; start < n; first = 0) {
		size_t pad = first ? 0 : indent;
		while (k < n_sp && sp[k].hi <= start)
			k++;
		size_t end = wrap_end(s, start, n, SHEET_PAGE_W - (int)pad,
				      sp + k, n_sp - k);
		SheetBlock piece = { 0 };
		if (pad)
			sheet_block_put(&piece, 0, s, pad, NULL);
		sheet_block_put(&piece, 0, s + start, end - start, NULL);
		for (; ri < line->n_refs && (size_t)line->refs[ri].byte < end;
		     ri++) {
			SheetRef ref = line->refs[ri];
			if ((size_t)ref.byte < start)
				continue;
			ref.byte = (int)((size_t)ref.byte - start + pad);
			ref.line = page->lines;
			page_ref(page, &ref);
		}
		page->text.oom |= piece.oom;
		SheetBlock text = piece;
		text.n_refs = 0;
		page_add(page, &text);
		sheet_block_free(&piece);
		start = end + strspn(s + end, " ");
	}
}

/* Literal text of spaces only: the gap a template puts between grids. */
static bool item_is_gap(const Render *R, const TmplItem *it)
{
	if (it->is_ph)
		return false;
	for (size_t i = 0; i < it->len; i++)
		if (R->tp->text[it->at + i] != ' ')
			return false;
	return true;
}

/*
 * Sets the line's blocks side by side as rows that fit the page: a block
 * that would cross SHEET_PAGE_W starts a new row below, after an empty
 * line, and the gap before it is dropped. A row's values keep their refs.
 */
static void line_flow(const Render *R, const TmplLine *tl, SheetBlock *items,
		      SheetPage *page)
{
	SheetBlock row = { 0 }, empty = { 0 };
	bool started = false;
	int gap = -1; /* the gap item waiting to go before the next block */
	for (int i = 0; i < tl->n; i++) {
		if (item_is_gap(R, &R->tp->items[tl->first + i])) {
			gap = i;
			continue;
		}
		int gw = gap >= 0 ? items[gap].w : 0;
		if (started && row.w + gw + items[i].w > SHEET_PAGE_W) {
			page_add(page, &row);
			page_add(page, &empty);
			page->text.oom |= row.oom;
			sheet_block_free(&row);
			gap = -1;
		}
		if (gap >= 0)
			sheet_block_beside(&row, &items[gap]);
		sheet_block_beside(&row, &items[i]);
		started = true;
		gap = -1;
	}
	page->text.oom |= row.oom;
	page_add(page, &row);
	sheet_block_free(&row);
}

/*
 * Sets the line's blocks side by side and adds them to the page; a line
 * of one row wider than the page is word-wrapped outside its answers.
 */
static int line_put(const Render *R, const TmplLine *tl,
		    const SheetBlock *items, SheetPage *page)
{
	SheetBlock line = { 0 };
	ByteSpan *sp = calloc((size_t)(tl->n > 0 ? tl->n : 1), sizeof *sp);
	int n_sp = 0, rc = 0;
	for (int i = 0; i < tl->n; i++) {
		const TmplItem *it = &R->tp->items[tl->first + i];
		size_t lo = line.h ? line.rows[0].len : 0;
		sheet_block_beside(&line, &items[i]);
		if (sp && it->is_ph && it->ph.answer && line.h)
			sp[n_sp++] = (ByteSpan){ lo, line.rows[0].len };
	}
	if (line.oom || !sp)
		rc = kv_error_set(R->err, EX_OSERR, "out of memory");
	else
		page_add_wrapped(page, &line, sp, n_sp);
	sheet_block_free(&line);
	free(sp);
	return rc;
}

/*
 * One template line. Its items are set side by side; when that would be
 * wider than the page and a grid is among them, they flow onto further
 * rows (line_flow). A line of text alone is never split.
 */
static int render_line(const Render *R, const TmplLine *tl, SheetPage *page)
{
	SheetBlock *items = calloc((size_t)(tl->n > 0 ? tl->n : 1),
				   sizeof *items);
	if (!items)
		return kv_error_set(R->err, EX_OSERR, "out of memory");
	int rc = 0, width = 0;
	bool tall = false, oom = false;
	for (int i = 0; i < tl->n && !rc; i++) {
		rc = render_item(R, &R->tp->items[tl->first + i], &items[i]);
		width += items[i].w;
		tall |= items[i].h > 1;
		oom |= items[i].oom;
	}
	if (!rc && oom)
		rc = kv_error_set(R->err, EX_OSERR, "out of memory");
	if (!rc && tall && width > SHEET_PAGE_W) {
		line_flow(R, tl, items, page);
	} else if (!rc) {
		rc = line_put(R, tl, items, page);
	}
	for (int i = 0; i < tl->n; i++)
		sheet_block_free(&items[i]);
	free(items);
	return rc;
}

/* Streaming: writes the page's text to its sink and drops text and refs. */
static int page_flush(SheetPage *page)
{
	size_t n = page->text.len;
	int rc = 0;
	if (page->sink && n &&
	    fwrite(sheet_buf_str(&page->text), 1, n, page->sink) != n)
		rc = -1;
	page->text.len = 0;
	if (page->text.s)
		page->text.s[0] = '\0';
	page->n_refs = 0;
	return rc;
}

int sheet_render(const Template *tp, const Trace *t, const SheetOptions *o,
		 SheetPage *page, KvError *err)
{
	*page = (SheetPage){ 0 };
	*page = (SheetPage){ 0 };
	if (tp->n_models > 0)
		return kv_error_set(err, EX_SOFTWARE, "%s:%d: this sheet names "
				    "a model; render it with its runs",
				    tp->source, tp->model_lines[0]);
	const Trace *runs[1] = { t };
	return sheet_render_runs(tp, runs, o, page, err);
}

/* Renders every line onto `page`, which says whether to stream. */
static int render_lines(const Template *tp, const Trace *const *runs,
			const SheetOptions *o, SheetPage *page, KvError *err)
{
	Render R = { .tp = tp, .t = runs[0], .runs = runs, .o = o, .err = err };
	for (int i = 0; i < tp->n_lines; i++) {
		if (render_line(&R, &tp->lines[i], page))
			return err->code;
		if (page->text.oom)
			return kv_error_set(err, EX_OSERR, "out of memory");
		if (page->stream && page_flush(page))
			return kv_error_set(err, EX_IOERR, "cannot write the "
					    "worksheets");
	}
	return 0;
}

int sheet_render_runs(const Template *tp, const Trace *const *runs,
		      const SheetOptions *o, SheetPage *page, KvError *err)
{
	*page = (SheetPage){ 0 };
	return render_lines(tp, runs, o, page, err);
}

int sheet_render_stream(const Template *tp, const Trace *const *runs,
			const SheetOptions *o, FILE *sink, SheetStreamInfo *info,
			KvError *err)
{
	SheetPage page = { .stream = true, .sink = sink };
	int rc = render_lines(tp, runs, o, &page, err);
	if (info) /* the buffer only grows: its capacity is the peak */
		*info = (SheetStreamInfo){ page.lines, page.text.cap };
	sheet_page_free(&page);
	return rc;
}

void sheet_page_free(SheetPage *page)
{
	sheet_buf_free(&page->text);
	free(page->refs);
	*page = (SheetPage){ 0 };
}
