/*
 * The physical block pool after an iteration: one column per block with
 * four rows (number, owner(s), reference count, fill), in bands when the
 * pool is wider than the screen. A block's state shows in colour and in
 * text, so NO_COLOR and vt100 still tell them apart:
 *
 *   used by one request     owner "A", ref "1"      computed colour
 *   shared (ref count ≥ 2)  owner "AB", ref "2="    reused colour
 *   cached-free             owner "c", ref "0"      evicted colour
 *   free                    owner "·"               dim
 *
 * The selected request's blocks have their number laid over with the
 * cursor mark.
 */
#include "tui_serve_int.h"

#include <stdio.h>
#include <string.h>

enum { LABEL_W = 6, BAND_H = 4 };

typedef struct BlockText {
	char num[8], owner[64], ref[8], fill[16];
	Role role;
} BlockText;

static void block_text(const TuiServeState *s, int it, int bn, bool ascii,
		       BlockText *t)
{
	const Scenario *sc = serve_scenario(s->r);
	const ServeBlock *blk = serve_block(s->r, it, bn);
	memset(t, 0, sizeof *t);
	snprintf(t->num, sizeof t->num, "%d", bn);
	if (!blk || blk->state == SERVE_BLOCK_FREE) {
		snprintf(t->owner, sizeof t->owner, "%s", ascii ? "." : "·");
		t->role = ROLE_DIM;
		return;
	}
	snprintf(t->fill, sizeof t->fill, "%d/%d", blk->filled, sc->block_size);
	if (blk->state == SERVE_BLOCK_CACHED) {
		snprintf(t->owner, sizeof t->owner, "c");
		snprintf(t->ref, sizeof t->ref, "0");
		t->role = ROLE_EVICTED;
		return;
	}
	bool letters = true;
	char one[24];
	tui_serve_owner_label(sc, 1, one, sizeof one);
	letters = strcmp(one, sc->req[0].name) == 0 && tui_text_width(one) == 1;
	size_t len = 0;
	for (int k = 1; k <= sc->n_requests && k <= 32; k++) {
		if (!(blk->owners >> (k - 1) & 1u))
			continue;
		tui_serve_owner_label(sc, k, one, sizeof one);
		int w = snprintf(t->owner + len, sizeof t->owner - len, "%s%s",
				 len && !letters ? "," : "", one);
		if (w < 0 || (size_t)w >= sizeof t->owner - len)
			break;
		len += (size_t)w;
	}
	snprintf(t->ref, sizeof t->ref, "%d%s", blk->refcount,
		 blk->refcount >= 2 ? "=" : "");
	t->role = blk->refcount >= 2 ? ROLE_REUSED : ROLE_COMPUTED;
}

/* Column width: the widest text over every iteration, plus a gap. */
static int col_width(const TuiServeState *s, bool ascii)
{
	int w = 3, n = serve_scenario(s->r)->blocks;
	for (int it = 1; it <= s->iters; it++)
		for (int bn = 1; bn <= n; bn++) {
			BlockText t;
			block_text(s, it, bn, ascii, &t);
			const char *f[] = { t.num, t.owner, t.ref, t.fill };
			for (int i = 0; i < 4; i++)
				if (tui_text_width(f[i]) > w)
					w = tui_text_width(f[i]);
		}
	return w + 1;
}

static int per_band(const TuiServeState *s, int w, bool ascii)
{
	int n = (w - LABEL_W) / col_width(s, ascii);
	return n > 0 ? n : 1;
}

int tui_serve_pool_height(const TuiServeState *s, int w)
{
	int n = serve_scenario(s->r)->blocks, per = per_band(s, w, false);
	int bands = (n + per - 1) / per;
	return 1 + bands * (BAND_H + 1) + 1;
}

static bool selected_holds(const TuiServeState *s, int bn)
{
	const ServeEntry *e = serve_entry(s->r, s->iter, s->req);
	for (int j = 0; j < e->table_n; j++)
		if (e->table[j] == bn)
			return true;
	return false;
}

static void draw_band(TuiBuf *b, const TuiServeState *s, int x, int y,
		      int first, int last, int cw, bool ascii)
{
	static const char *const labels[BAND_H] = { "block", "owner", "ref",
						    "fill" };
	for (int r = 0; r < BAND_H; r++)
		tui_buf_puts(b, x, y + r, ROLE_DIM, labels[r]);
	for (int bn = first; bn <= last; bn++) {
		BlockText t;
		block_text(s, s->iter, bn, ascii, &t);
		int cx = x + LABEL_W + (bn - first) * cw;
		const char *f[BAND_H] = { t.num, t.owner, t.ref, t.fill };
		for (int r = 0; r < BAND_H; r++) {
			tui_buf_fill(b, cx, y + r, cw - 1, ' ', t.role);
			tui_buf_put(b, cx, y + r, cx + cw - 1, t.role, f[r]);
		}
		if (selected_holds(s, bn))
			tui_buf_mark(b, cx, y, cw - 1, TUI_CURSOR_MARK);
	}
}

void tui_serve_draw_pool(TuiBuf *b, const TuiServeState *s, int x, int y,
			 int w, int h, bool ascii)
{
	const Scenario *sc = serve_scenario(s->r);
	const ServeIter *it = serve_iter(s->r, s->iter);
	int shared = 0;
	for (int bn = 1; bn <= sc->blocks; bn++) {
		const ServeBlock *blk = serve_block(s->r, s->iter, bn);
		shared += blk && blk->state == SERVE_BLOCK_USED && blk->refcount >= 2;
	}
	if (h < 1)
		return;
	char title[160];
	snprintf(title, sizeof title,
		 "block pool after iteration %d: %d used (%d shared), %d cached-free, %d free of %d",
		 s->iter, it->blocks_used, shared, it->blocks_cached,
		 it->blocks_free, sc->blocks);
	tui_serve_put_elided(b, x, y, w, ROLE_TITLE, title, ascii);
	if (h < 2)
		return;
	int cw = col_width(s, ascii), per = per_band(s, w, ascii);
	int row = y + 1, end = y + h - 1; /* the last row: the legend */
	int bands = (sc->blocks + per - 1) / per, avail = end - row;
	/* every band whole (4 rows, a blank between), or as many whole
	 * bands as leave a row for the note that says which blocks are not
	 * shown (in the blank under the last band shown); the note takes
	 * the legend's row when nothing else fits */
	int shown = bands;
	if (bands * (BAND_H + 1) - 1 > avail)
		shown = avail / (BAND_H + 1);
	for (int i = 0; i < shown; i++) {
		int first = 1 + i * per;
		int last = first + per - 1 < sc->blocks ? first + per - 1 : sc->blocks;
		draw_band(b, s, x, row, first, last, cw, ascii);
		row += BAND_H + 1;
	}
	if (shown < bands) {
		char note[128];
		snprintf(note, sizeof note,
			 "%s blocks %d-%d not shown: a taller terminal shows them",
			 ascii ? "..." : "…", 1 + shown * per, sc->blocks);
		int ny = shown ? row - 1 : row;
		tui_serve_put_elided(b, x, ny, w, ROLE_WARN, note, ascii);
		if (ny >= end)
			return; /* the note took the legend's row */
	}
	if (end > y + 1) {
		char legend[160], one[24];
		tui_serve_owner_label(sc, 1, one, sizeof one);
		snprintf(legend, sizeof legend,
			 "%s owner  2= shared (ref count 2)  c cached-free  %s free  fill: slots written",
			 one, ascii ? "." : "·");
		tui_serve_put_elided(b, x, end, w, ROLE_DIM, legend, ascii);
	}
}
