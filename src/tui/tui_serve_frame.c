/*
 * The serving screen's frame: the layout, the header, the requests
 * panel (the batch and the block tables), the counters, the help and
 * the bottom row. The pool, the attention panes and the comparison are
 * drawn by their own files into the rectangles given here.
 */
#include "tui_serve_int.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "tui_keys.h"
#include "tui_term.h"

enum {
	REQ_ROWS_MAX_NARROW = 5, /* request rows below the wide size */
	REQ_ROWS_MAX_WIDE = 9,
};

/* ---- header ---- */

static void draw_header(TuiBuf *b, const TuiServeState *s, bool ascii)
{
	const Scenario *sc = serve_scenario(s->r);
	const char *bat = serve_batching_name(serve_batching(s->r));
	const char *hint = "?:help  q:quit";
	int room = b->w - tui_text_width(hint) - 2;
	char line[256];
	/* the longest form that fits: every number stays */
	snprintf(line, sizeof line,
		 "kvstep serve %s  %s batching  iteration %d/%d  block size %d  pool %d blocks  budget %d tokens",
		 sc->name, bat, s->iter, s->iters, sc->block_size, sc->blocks,
		 sc->max_tokens);
	if (tui_text_width(line) > room)
		snprintf(line, sizeof line,
			 "serve %s  %s  iteration %d/%d  bs=%d  pool %d  budget %d",
			 sc->name, bat, s->iter, s->iters, sc->block_size,
			 sc->blocks, sc->max_tokens);
	if (tui_text_width(line) > room)
		snprintf(line, sizeof line, "%s  %s  iteration %d/%d  bs=%d  pool %d  budget %d",
			 sc->name, bat, s->iter, s->iters, sc->block_size,
			 sc->blocks, sc->max_tokens);
	tui_serve_put_elided(b, 0, 0, room, ROLE_TITLE, line, ascii);
	tui_buf_puts(b, room + 2, 0, ROLE_DIM, hint);
}

/* ---- requests: the batch and the block tables ---- */

static Role phase_role(const ServeEntry *e)
{
	if (e->preempted || e->phase == SERVE_PREEMPTED)
		return ROLE_WARN;
	if (e->phase == SERVE_PREFILL)
		return ROLE_COMPUTED;
	return e->phase == SERVE_DECODE ? ROLE_CHOSEN : ROLE_DIM;
}

/* The positions column: "3-4", "5", or what the request waits for. */
static void positions_text(const TuiServeState *s, int k, const ServeEntry *e,
			   char *out, size_t n)
{
	const ServeOutcome *o = serve_outcome(s->r, k);
	if (e->phase == SERVE_PREFILL || e->phase == SERVE_DECODE) {
		if (e->lo == e->hi)
			snprintf(out, n, "%d", e->hi);
		else
			snprintf(out, n, "%d-%d", e->lo, e->hi);
	} else if (e->phase == SERVE_PENDING) {
		snprintf(out, n, "arrives at %d", o->arrive);
	} else if (e->phase == SERVE_FINISHED) {
		if (e->in_batch) /* static: it still takes a slot */
			snprintf(out, n, "done at %d (pads the batch)", o->finish);
		else
			snprintf(out, n, "done at %d", o->finish);
	} else if (e->preempted) {
		snprintf(out, n, "blocks freed");
	} else if (e->held > 0) {
		snprintf(out, n, "holds 1-%d, %s", e->held,
			 e->no_block ? "no free block" : "budget used");
	} else if (serve_batching(s->r) == SERVE_STATIC && !e->in_batch) {
		snprintf(out, n, "next batch");
	} else if (e->no_block) {
		snprintf(out, n, "no free block");
	} else {
		snprintf(out, n, "budget used");
	}
}

/* The token column: "→ on", "→ mat (last)", or a note. */
static void token_text(const TuiServeState *s, const ServeEntry *e, bool ascii,
		       char *out, size_t n)
{
	const Model *m = serve_scenario(s->r)->model;
	const char *arrow = ascii ? "->" : "→";
	if (e->token >= 0)
		snprintf(out, n, "%s %s%s", arrow, m->vocab[e->token],
			 e->finished ? " (last)" : "");
	else if (e->phase == SERVE_PREFILL)
		snprintf(out, n, "chunk");
	else if (e->preempted)
		snprintf(out, n, "recompute later");
	else
		out[0] = '\0';
}

/* The block table "1→3 2→4=" from x to x_end; shared entries marked "=". */
static void draw_table(TuiBuf *b, const TuiServeState *s, const ServeEntry *e,
		       int x, int y, int x_end, bool ascii)
{
	const char *arrow = ascii ? ">" : "→";
	if (e->table_n == 0) {
		tui_buf_put(b, x, y, x_end, ROLE_DIM, "-");
		return;
	}
	const char *dots = ascii ? "..." : "…";
	int dw = tui_text_width(dots);
	for (int j = 0; j < e->table_n; j++) {
		const ServeBlock *blk = serve_block(s->r, s->iter, e->table[j]);
		bool shared = blk && blk->refcount >= 2;
		char item[32];
		snprintf(item, sizeof item, "%d%s%d%s", j + 1, arrow, e->table[j],
			 shared ? "=" : "");
		/* an entry that is not the last leaves room for "…" after it */
		int more = j + 1 < e->table_n ? 1 + dw : 0;
		if (x + tui_text_width(item) + more > x_end) {
			tui_buf_put(b, x, y, x_end, ROLE_DIM, dots);
			return;
		}
		x = tui_buf_put(b, x, y, x_end,
				shared ? ROLE_REUSED : ROLE_NORMAL, item);
		x = tui_buf_put(b, x, y, x_end, ROLE_NORMAL, " ");
	}
}

typedef struct ReqCols {
	int name_w, phase_x, pos_x, tok_x, table_x;
} ReqCols;

static ReqCols req_cols(const Scenario *sc)
{
	int nw = 3; /* "req" */
	for (int i = 0; i < sc->n_requests; i++)
		if (tui_text_width(sc->req[i].name) > nw)
			nw = tui_text_width(sc->req[i].name);
	if (nw > 8)
		nw = 8;
	ReqCols c = { nw, 0, 0, 0, 0 };
	c.phase_x = 2 + nw + 1;
	c.pos_x = c.phase_x + 10;
	c.tok_x = c.pos_x + 13;
	c.table_x = c.tok_x + 17;
	return c;
}

static void draw_req_row(TuiBuf *b, const TuiServeState *s, int k, int y,
			 const ReqCols *c, bool ascii)
{
	const Scenario *sc = serve_scenario(s->r);
	const ServeEntry *e = serve_entry(s->r, s->iter, k);
	char pos[48], tok[64];
	bool sel = k == s->req;
	tui_buf_puts(b, 0, y, ROLE_TITLE, sel ? (ascii ? ">" : "▶") : " ");
	char name[64];
	tui_serve_short_name(sc->req[k - 1].name, c->name_w, ascii, name,
			     sizeof name);
	tui_serve_put_elided(b, 2, y, c->name_w, sel ? ROLE_TAB_ACTIVE : ROLE_TITLE,
			     name, ascii);
	tui_serve_putf(b, c->phase_x, y, c->pos_x - 1, phase_role(e), "%s",
		       e->preempted ? "PREEMPTED" : serve_phase_name(e->phase));
	positions_text(s, k, e, pos, sizeof pos);
	token_text(s, e, ascii, tok, sizeof tok);
	/* with no token the reason may run on into the token column */
	int pos_w = (tok[0] ? c->tok_x : c->table_x) - c->pos_x - 1;
	tui_serve_put_elided(b, c->pos_x, y, pos_w, ROLE_NORMAL, pos, ascii);
	if (tok[0])
		tui_serve_put_elided(b, c->tok_x, y, c->table_x - c->tok_x - 1,
				     e->token >= 0 ? ROLE_CHOSEN : ROLE_DIM, tok,
				     ascii);
	draw_table(b, s, e, c->table_x, y, b->w, ascii);
	tui_buf_tag(b, 0, y, b->w, tui_serve_hit_pack(k, -1, 0, 0));
}

/* What happened this iteration that the rows alone do not say. */
static void events_text(const TuiServeState *s, char *out, size_t n)
{
	const Scenario *sc = serve_scenario(s->r);
	size_t len = 0;
	out[0] = '\0';
	for (int k = 1; k <= sc->n_requests && len < n; k++) {
		const ServeEntry *e = serve_entry(s->r, s->iter, k);
		int w = 0;
		if (e->preempted)
			w = snprintf(out + len, n - len,
				     "%s preempted: pool full; its blocks are freed, it restarts from 1.  ",
				     sc->req[k - 1].name);
		else if (e->reused > 0)
			w = snprintf(out + len, n - len,
				     "%s shares %d cached block%s (positions 1-%d): not computed.  ",
				     sc->req[k - 1].name,
				     e->reused / sc->block_size,
				     e->reused / sc->block_size == 1 ? "" : "s",
				     e->reused);
		if (w > 0)
			len += (size_t)w < n - len ? (size_t)w : n - len - 1;
	}
}

/*
 * "batch of iteration 3: 1 of 4 tokens" and, under static batching,
 * "static batch 2, padding 3 slots", then the block tables' header: at
 * their column when the left part ends before it, else after the left
 * part (shortened first), so that neither covers the other.
 */
static void draw_requests_title(TuiBuf *b, const TuiServeState *s,
				const ServeIter *it, int y, int table_x,
				bool ascii)
{
	const Scenario *sc = serve_scenario(s->r);
	const char *heads[] = {
		ascii ? "block table (logical>physical)" : "block table (logical→physical)",
		ascii ? "table (logical>physical)" : "table (logical→physical)",
		"block table",
	};
	char main_t[96], extra[96] = "";
	snprintf(main_t, sizeof main_t, "batch of iteration %d: %d of %d tokens",
		 s->iter, it->tokens, sc->max_tokens);
	if (serve_batching(s->r) == SERVE_STATIC) {
		snprintf(extra, sizeof extra, "  static batch %d, padding %d slot%s",
			 it->batch, it->padding, it->padding == 1 ? "" : "s");
		if (tui_text_width(main_t) + tui_text_width(extra) + 2 +
			    tui_text_width(heads[0]) > b->w) {
			snprintf(main_t, sizeof main_t, "iteration %d: %d of %d tokens",
				 s->iter, it->tokens, sc->max_tokens);
			snprintf(extra, sizeof extra, "  static batch %d, padding %d",
				 it->batch, it->padding);
		}
	}
	int split = tui_text_width(main_t) + tui_text_width(extra);
	int hx = split + 2 > table_x ? split + 2 : table_x;
	int x = tui_serve_put_elided(b, 0, y, b->w, ROLE_TITLE, main_t, ascii);
	tui_serve_put_elided(b, x, y, b->w - x, ROLE_DIM, extra, ascii);
	int room = b->w - hx;
	size_t h = 0;
	while (h + 1 < sizeof heads / sizeof *heads &&
	       tui_text_width(heads[h]) > room)
		h++;
	tui_serve_put_elided(b, hx, y, room, ROLE_DIM, heads[h], ascii);
}

/* Title, optional events row, one row per request (scrolled to keep the
 * selected one); returns the rows used. */
static int draw_requests(TuiBuf *b, const TuiServeState *s, int y, int max_rows,
			 bool ascii)
{
	const Scenario *sc = serve_scenario(s->r);
	const ServeIter *it = serve_iter(s->r, s->iter);
	ReqCols c = req_cols(sc);
	draw_requests_title(b, s, it, y, c.table_x, ascii);
	int row = y + 1;
	char ev[512];
	events_text(s, ev, sizeof ev);
	if (ev[0]) {
		tui_serve_put_elided(b, 0, row, b->w, ROLE_WARN, ev, ascii);
		row++;
	}
	int room = max_rows - (row - y);
	int n = sc->n_requests, first = 1;
	if (n > room) {
		room = room > 1 ? room - 1 : 1; /* a row says what is hidden */
		first = s->req - room + 1 > 1 ? s->req - room + 1 : 1;
		if (first + room - 1 > n)
			first = n - room + 1;
	}
	int last = first + room - 1 < n ? first + room - 1 : n;
	for (int k = first; k <= last; k++)
		draw_req_row(b, s, k, row++, &c, ascii);
	if (first > 1 || last < n)
		tui_serve_putf(b, 2, row++, b->w, ROLE_DIM,
			       "%s %d of %d requests shown (Tab, 1-9 select)",
			       ascii ? "..." : "…", last - first + 1, n);
	return row - y;
}

static int requests_height(const TuiServeState *s, int max_rows)
{
	char ev[512];
	events_text(s, ev, sizeof ev);
	int n = 1 + (ev[0] ? 1 : 0) + serve_scenario(s->r)->n_requests;
	return n < max_rows ? n : max_rows;
}

/* ---- counters ---- */

/*
 * Items placed left to right, wrapping within rows y..y_end-1; the last
 * row ends in "…" when items are left over. With b NULL nothing is drawn
 * and `y` only counts the rows the items need at width w.
 */
typedef struct Flow {
	TuiBuf *b;
	int w, x, y, y_end;
	bool ascii, full;
} Flow;

/* Starts a new row when `w` more columns do not fit on this one; false
 * when the rows are used up (the last then ends in "…"). */
static bool flow_room(Flow *f, int w)
{
	if (f->full)
		return false;
	if (f->x > 0 && f->x + w > f->w) {
		if (f->b && f->y + 1 >= f->y_end) {
			tui_serve_put_elided(f->b, f->w - 2, f->y, 2, ROLE_DIM,
					     f->ascii ? ".." : " …", f->ascii);
			f->full = true;
			return false;
		}
		f->y++;
		f->x = 0;
	}
	return true;
}

static void flow_item(Flow *f, Role role, const char *text)
{
	int w = tui_text_width(text);
	if (!flow_room(f, w))
		return;
	if (f->b) {
		f->x = tui_buf_put(f->b, f->x, f->y, f->w, role, text);
		f->x = tui_buf_put(f->b, f->x, f->y, f->w, ROLE_NORMAL, "  ");
	} else {
		f->x += w + 2;
	}
}

/* Request k's part of "TTFT A 1, B 1, C -" or "finish A 3, ...". */
static void request_part(const TuiServeState *s, int k, bool finish, char *t,
			 size_t n)
{
	const Scenario *sc = serve_scenario(s->r);
	const ServeOutcome *o = serve_outcome(s->r, k);
	int it = finish ? o->finish : o->first_token;
	char v[16] = "-";
	if (it >= 1 && it <= s->iter) /* TTFT counts the arrival iteration */
		snprintf(v, sizeof v, "%d", finish ? it : it - o->arrive + 1);
	snprintf(t, n, "%s%s %s%s", k == 1 ? (finish ? "finish " : "TTFT ") : "",
		 sc->req[k - 1].name, v, k < sc->n_requests ? "," : "");
}

/* The list as of this iteration, the selected request in the title
 * colour. It starts a row rather than break inside, unless it is wider
 * than a row. */
static void per_request(Flow *f, const TuiServeState *s, bool finish)
{
	const Scenario *sc = serve_scenario(s->r);
	char t[64];
	int total = -1;
	for (int k = 1; k <= sc->n_requests; k++) {
		request_part(s, k, finish, t, sizeof t);
		total += tui_text_width(t) + 1;
	}
	if (total <= f->w && !flow_room(f, total))
		return;
	for (int k = 1; k <= sc->n_requests; k++) {
		request_part(s, k, finish, t, sizeof t);
		flow_item(f, k == s->req ? ROLE_TITLE : ROLE_NORMAL, t);
		f->x -= 1; /* one space between the requests of a list */
	}
	f->x += 1;
}

static void counters_flow(Flow *f, const TuiServeState *s)
{
	const Scenario *sc = serve_scenario(s->r);
	const ServeIter *it = serve_iter(s->r, s->iter);
	char t[128];
	snprintf(t, sizeof t, "iteration %d: %d/%d tokens", s->iter, it->tokens,
		 sc->max_tokens);
	flow_item(f, ROLE_TITLE, t);
	snprintf(t, sizeof t, "blocks used %d, cached %d, free %d", it->blocks_used,
		 it->blocks_cached, it->blocks_free);
	flow_item(f, ROLE_NORMAL, t);
	snprintf(t, sizeof t, "empty slots %d", it->empty_slots);
	flow_item(f, ROLE_NORMAL, t);
	snprintf(t, sizeof t, "prefix hits %d", it->prefix_hits);
	flow_item(f, ROLE_NORMAL, t);
	snprintf(t, sizeof t, "preemptions %d", it->preemptions);
	flow_item(f, it->preemptions ? ROLE_WARN : ROLE_NORMAL, t);
	if (serve_batching(s->r) == SERVE_STATIC) {
		int pad = 0;
		for (int i = 1; i <= s->iter; i++)
			pad += serve_iter(s->r, i)->padding;
		snprintf(t, sizeof t, "padding %d", pad);
		flow_item(f, ROLE_NORMAL, t);
	}
	per_request(f, s, false);
	per_request(f, s, true);
}

/* Rows the counters need at width w (at most 4). */
static int counters_height(const TuiServeState *s, int w)
{
	Flow f = { NULL, w, 0, 0, 1000, false, false };
	counters_flow(&f, s);
	int n = f.y + 1;
	return n < 4 ? n : 4;
}

static void draw_counters(TuiBuf *b, const TuiServeState *s, int y, int h,
			  bool ascii)
{
	Flow f = { b, b->w, 0, y, y + h, ascii, false };
	counters_flow(&f, s);
}

/* ---- help and the bottom row ---- */

typedef struct HelpRow {
	Action act, act2; /* keys from the shared table, or ACT_NONE */
	const char *keys; /* this screen's own keys */
	const char *text;
} HelpRow;

static const HelpRow help_rows[] = {
	{ ACT_NEXT, ACT_NONE, NULL, "next iteration" },
	{ ACT_PREV, ACT_NONE, NULL, "previous iteration" },
	{ ACT_FIRST, ACT_LAST, NULL, "first, last iteration" },
	{ ACT_JUMP, ACT_NONE, NULL, "jump: type N, Enter" },
	{ ACT_NONE, ACT_NONE, "Tab Shift-Tab 1-9", "select a request" },
	{ ACT_NONE, ACT_NONE, "v", "next panel (small screens)" },
	{ ACT_NONE, ACT_NONE, "c", "continuous vs static" },
	{ ACT_INSPECT, ACT_NONE, NULL, "inspector on/off" },
	{ ACT_MAT_NEXT, ACT_MAT_PREV, NULL, "inspector: next, previous matrix" },
	{ ACT_NONE, ACT_NONE, "Shift-arrows, hjkl", "inspector: move the cursor" },
	{ ACT_PLAY, ACT_NONE, NULL, "auto-play on/off" },
	{ ACT_FASTER, ACT_SLOWER, NULL, "auto-play faster, slower" },
	{ ACT_DIGITS_MORE, ACT_DIGITS_LESS, NULL, "more, fewer digits" },
	{ ACT_CLOSE, ACT_NONE, NULL, "close inspector, stop play" },
	{ ACT_LAYER_NEXT, ACT_LAYER_PREV, NULL, "next, previous layer" },
	{ ACT_HEAD_NEXT, ACT_HEAD_PREV, NULL, "next, previous query head" },
	{ ACT_HELP, ACT_NONE, NULL, "this help" },
	{ ACT_QUIT, ACT_NONE, NULL, "quit" },
};

static const char *const help_legend[2][3] = {
	{ "cells: 1* computed  1= reused (cache or shared)  1! recomputed  · masked",
	  "pool: A owner  2= shared, ref count 2  c cached-free  · free",
	  "fill: slots written;  table 2→7: logical block 2 is block 7" },
	{ "cells: 1* computed  1= reused (cache or shared)  1! recomputed  . masked",
	  "pool: A owner  2= shared, ref count 2  c cached-free  . free",
	  "fill: slots written;  table 2>7: logical block 2 is block 7" },
};

/* A box with borders over rows y0..y0+h-1, columns x0..x0+w-1. */
static void help_box(TuiBuf *b, int x0, int y0, int w, int h, bool ascii)
{
	for (int y = y0; y < y0 + h; y++) {
		tui_buf_fill(b, x0, y, w, ' ', ROLE_NORMAL);
		tui_buf_fill(b, x0, y, 1, ascii ? '|' : 0x2502, ROLE_TITLE);
		tui_buf_fill(b, x0 + w - 1, y, 1, ascii ? '|' : 0x2502, ROLE_TITLE);
	}
	for (int r = 0; r < 2; r++) {
		int y = r ? y0 + h - 1 : y0;
		tui_buf_fill(b, x0, y, w, ascii ? '-' : 0x2500, ROLE_TITLE);
		tui_buf_fill(b, x0, y, 1, ascii ? '+' : (r ? 0x2514 : 0x250C),
			     ROLE_TITLE);
		tui_buf_fill(b, x0 + w - 1, y, 1,
			     ascii ? '+' : (r ? 0x2518 : 0x2510), ROLE_TITLE);
	}
}

static void draw_help(TuiBuf *b, bool ascii)
{
	int n = (int)(sizeof help_rows / sizeof *help_rows), nl = 3;
	int w = b->w < 80 ? b->w : 80, h = n + nl + 3;
	if (h > b->h)
		h = b->h;
	int x0 = (b->w - w) / 2, y0 = (b->h - h) / 2;
	help_box(b, x0, y0, w, h, ascii);
	tui_buf_puts(b, x0 + 2, y0, ROLE_TITLE, " keys (any key closes) ");
	int y = y0 + 1;
	for (int i = 0; i < n && y < y0 + h - 1; i++, y++) {
		char keys[96];
		if (help_rows[i].act != ACT_NONE) {
			int len = tui_action_keys(help_rows[i].act, ascii, false,
						  keys, sizeof keys);
			if (help_rows[i].act2 != ACT_NONE && len + 3 < (int)sizeof keys) {
				keys[len++] = ' ';
				keys[len++] = ' ';
				tui_action_keys(help_rows[i].act2, ascii, false,
						keys + len, (int)sizeof keys - len);
			}
			if (help_rows[i].act == ACT_PREV)
				strncat(keys, " M-b", sizeof keys - strlen(keys) - 1);
		} else {
			snprintf(keys, sizeof keys, "%s", help_rows[i].keys);
		}
		tui_serve_put_elided(b, x0 + 2, y, 30, ROLE_CHOSEN, keys, ascii);
		tui_serve_put_elided(b, x0 + 33, y, w - 35, ROLE_NORMAL,
				     help_rows[i].text, ascii);
	}
	y++;
	for (int i = 0; i < nl && y < y0 + h - 1; i++, y++)
		tui_serve_put_elided(b, x0 + 2, y, w - 4, ROLE_DIM,
				     help_legend[ascii][i], ascii);
}

static void draw_bottom(TuiBuf *b, const TuiServeState *s, bool ascii)
{
	int y = b->h - 1;
	if (s->msg[0]) {
		tui_serve_put_elided(b, 0, y, b->w, ROLE_WARN, s->msg, ascii);
		return;
	}
	const char *legend = ascii
		? "* computed = reused ! recomputed . masked  Left/Right step  Tab request  ? keys"
		: "* computed = reused ! recomputed · masked  ←/→ step  Tab request  ? keys";
	tui_serve_put_elided(b, 0, y, b->w, ROLE_DIM, legend, ascii);
}

static void draw_too_small(TuiBuf *b)
{
	tui_serve_putf(b, 0, 0, b->w, ROLE_WARN, "terminal too small");
	tui_serve_putf(b, 0, 1, b->w, ROLE_WARN, "need %dx%d", TUI_SERVE_MIN_W,
		       TUI_SERVE_MIN_H);
	tui_serve_putf(b, 0, 2, b->w, ROLE_NORMAL, "now %dx%d", b->w, b->h);
	tui_serve_putf(b, 0, 4, b->w, ROLE_DIM, "q quits");
}

/* ---- the layouts ---- */

static const char *const panel_names[TUI_SERVE_PANELS] = {
	"blocks", "attention", "continuous vs static"
};

static void draw_tabs(TuiBuf *b, const TuiServeState *s, int y)
{
	int x = 0;
	for (int p = 0; p < TUI_SERVE_PANELS; p++) {
		char t[48];
		snprintf(t, sizeof t, p == (int)s->panel ? "[%s]" : " %s ",
			 panel_names[p]);
		x = tui_buf_puts(b, x, y, p == (int)s->panel ? ROLE_TAB_ACTIVE
							       : ROLE_TAB, t);
		x = tui_buf_puts(b, x, y, ROLE_NORMAL, " ");
	}
	tui_buf_puts(b, x + 1, y, ROLE_DIM, "(v next, c compare)");
}

static void draw_inspector(TuiBuf *b, const TuiServeState *s, int y, int h,
			   bool ascii)
{
	char text[1024];
	tui_serve_inspect_text(s, ascii, text, sizeof text);
	const char *p = text;
	for (int r = 0; r < h && *p; r++) {
		const char *end = tui_text_wrap(p, b->w);
		char line[1024];
		snprintf(line, sizeof line, "%.*s", (int)(end - p), p);
		while (*end == ' ')
			end++;
		if (r == h - 1 && *end)
			tui_serve_put_elided(b, 0, y + r, b->w, ROLE_NORMAL, p, ascii);
		else
			tui_buf_puts(b, 0, y + r, ROLE_NORMAL, line);
		p = end;
	}
}

static void render_narrow(TuiBuf *b, const TuiServeState *s, bool ascii)
{
	int insp = s->inspect ? 2 : 0;
	int y = 1 + draw_requests(b, s, 1, REQ_ROWS_MAX_NARROW + 1, ascii);
	draw_tabs(b, s, y++);
	int ch = counters_height(s, b->w);
	int bottom = b->h - 1 - ch - insp;
	int h = bottom - y;
	if (s->panel == TUI_SERVE_BLOCKS)
		tui_serve_draw_pool(b, s, 0, y, b->w, h, ascii);
	else if (s->panel == TUI_SERVE_ATTN)
		tui_serve_draw_attn(b, s, 0, y, b->w, h, ascii);
	else
		tui_serve_draw_compare(b, s, 0, y, b->w, h, ascii);
	draw_counters(b, s, bottom, ch, ascii);
	if (insp)
		draw_inspector(b, s, bottom + ch, insp, ascii);
}

static void render_wide(TuiBuf *b, const TuiServeState *s, bool ascii)
{
	int insp = s->inspect ? 2 : 0;
	int y = 1 + draw_requests(b, s, 1, requests_height(s, REQ_ROWS_MAX_WIDE + 2),
				  ascii);
	int ph = tui_serve_pool_height(s, b->w);
	int nc = counters_height(s, b->w);
	int bottom = b->h - 1 - nc - insp;
	int ch = s->compare ? tui_serve_compare_height(s) : 0;
	int room = bottom - y - ch;
	if (ph > room - 8)
		ph = room - 8 > 6 ? room - 8 : 6; /* attention keeps 8 rows */
	tui_serve_draw_pool(b, s, 0, y, b->w, ph, ascii);
	y += ph;
	tui_serve_draw_attn(b, s, 0, y, b->w, bottom - ch - y, ascii);
	if (ch)
		tui_serve_draw_compare(b, s, 0, bottom - ch, b->w, ch, ascii);
	draw_counters(b, s, bottom, nc, ascii);
	if (insp)
		draw_inspector(b, s, bottom + nc, insp, ascii);
}

void tui_serve_render(TuiBuf *b, const TuiServeState *s, bool ascii)
{
	tui_buf_clear(b);
	if (b->w < TUI_SERVE_MIN_W || b->h < TUI_SERVE_MIN_H) {
		draw_too_small(b);
		return;
	}
	draw_header(b, s, ascii);
	if (tui_serve_is_wide(b->w, b->h))
		render_wide(b, s, ascii);
	else
		render_narrow(b, s, ascii);
	draw_bottom(b, s, ascii);
	if (s->help)
		draw_help(b, ascii);
}

/* ---- the terminal ---- */

int tui_serve_check(KvError *err)
{
	KvError why;
	kv_error_clear(&why);
	if (!tui_term_check(&why))
		return 0;
	return kv_error_set(err, EX_USAGE,
			    "the serving view needs a terminal; for text use `kvstep serve SCENARIO --summary` or `--export schedule`, `blocks` or `cells`");
}

typedef struct Screen {
	TuiServeState st;
} Screen;

static void op_render(void *ctx, TuiBuf *buf, bool ascii)
{
	Screen *sc = ctx;
	tui_serve_resize(&sc->st, buf->w, buf->h);
	tui_serve_render(buf, &sc->st, ascii);
}

static bool op_key(void *ctx, int ch)
{
	Screen *sc = ctx;
	return tui_serve_key(&sc->st, ch);
}

static bool op_quit(const void *ctx)
{
	const Screen *sc = ctx;
	return sc->st.quit;
}

static bool op_tick(void *ctx, long now_ms)
{
	Screen *sc = ctx;
	return tui_serve_tick(&sc->st, now_ms);
}

static bool op_click(void *ctx, const TuiBuf *buf, int x, int y)
{
	Screen *sc = ctx;
	return tui_serve_click(&sc->st, buf, x, y);
}

int tui_serve_run(const ServeRun *r, const TuiOptions *o, KvError *err)
{
	if (tui_serve_check(err))
		return err->code;
	Screen sc;
	tui_serve_state_init(&sc.st, r, o->digits);
	TuiScreenOps ops = { op_render, op_key, op_quit, &sc, op_tick, op_click };
	return tui_term_run_ops(&ops, o, err);
}
