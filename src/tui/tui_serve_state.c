/*
 * The serving screen's state: keys, the jump prompt, auto-play and
 * clicks (tui_serve.h). No drawing and no terminal here.
 */
#include "tui_serve.h"
#include "tui_serve_int.h"

#include <curses.h>
#include <stdarg.h>
#include <stdio.h>

#include "tui_keys.h"
#include "tui_render.h"

static int clampi(int v, int lo, int hi)
{
	return v < lo ? lo : v > hi ? hi : v;
}

static void say(TuiServeState *s, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void say(TuiServeState *s, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(s->msg, sizeof s->msg, fmt, ap);
	va_end(ap);
}

/* The widest value of each matrix over every recorded cell. */
static void measure(TuiServeState *s)
{
	const ServeCell *c;
	size_t n = serve_cells(s->r, &c);
	for (int m = 0; m < MAT_COUNT; m++)
		s->valw[m] = 1;
	for (size_t i = 0; i < n; i++) {
		char v[48];
		int w = tui_format_value(c[i].value, s->digits, v, sizeof v);
		if (w > s->valw[c[i].mat])
			s->valw[c[i].mat] = w;
	}
}

void tui_serve_state_init(TuiServeState *s, const ServeRun *r, int digits)
{
	if (digits < 0)
		digits = TUI_DIGITS_DEFAULT;
	*s = (TuiServeState){
		.r = r,
		.iter = 1,
		.iters = serve_iters(r),
		.req = 1,
		.reqs = serve_scenario(r)->n_requests,
		.layer = 1,
		.layers = serve_scenario(r)->model->n_layers,
		.head = 1,
		.heads = serve_scenario(r)->model->n_heads,
		.digits = clampi(digits, TUI_DIGITS_MIN, TUI_DIGITS_MAX),
		.panel = TUI_SERVE_BLOCKS,
		.compare = true,
		.pace = TUI_PACE_DEFAULT,
		.cur_mat = MAT_S,
		.cur_row = 1,
		.cur_col = 1,
	};
	measure(s);
	tui_serve_cursor_clamp(s);
}

bool tui_serve_is_wide(int w, int h)
{
	return w >= TUI_SERVE_WIDE_W && h >= TUI_SERVE_WIDE_H;
}

void tui_serve_resize(TuiServeState *s, int w, int h)
{
	s->wide = tui_serve_is_wide(w, h);
}

/* Keeps the cursor on a cell the panes draw for this iteration. */
void tui_serve_cursor_clamp(TuiServeState *s)
{
	TuiServeExtent e;
	tui_serve_extent(s, s->cur_mat, &e);
	s->cur_row = clampi(s->cur_row, 1, e.rows > 0 ? e.rows : 1);
	s->cur_col = clampi(s->cur_col, e.lo, e.hi >= e.lo ? e.hi : e.lo);
}

static bool go_iter(TuiServeState *s, int it)
{
	it = clampi(it, 1, s->iters);
	if (it == s->iter) {
		say(s, "already at the %s iteration",
		    it == s->iters ? "last" : it == 1 ? "first" : "same");
		return false;
	}
	TuiServeExtent before;
	tui_serve_extent(s, s->cur_mat, &before);
	bool follow = s->cur_col == before.hi;
	s->iter = it;
	if (follow) {
		TuiServeExtent now;
		tui_serve_extent(s, s->cur_mat, &now);
		s->cur_col = now.hi;
	}
	tui_serve_cursor_clamp(s);
	return true;
}

static bool select_req(TuiServeState *s, int k)
{
	if (k < 1 || k > s->reqs) {
		say(s, "no request %d: the requests are 1-%d", k, s->reqs);
		return false;
	}
	s->req = k;
	tui_serve_cursor_clamp(s);
	return true;
}

static void say_jump(TuiServeState *s)
{
	char typed[16] = "";
	if (s->jump_len > 0)
		snprintf(typed, sizeof typed, "%d", s->jump);
	say(s, "jump to iteration: %s_  (1-%d, Enter goes, Esc cancels)",
	    typed, s->iters);
}

/* The ":" prompt has the keys first: digits, Backspace, Enter, Esc. */
static bool jump_key(TuiServeState *s, int ch)
{
	if (ch >= '0' && ch <= '9') {
		if (s->jump_len < TUI_JUMP_DIGITS && (s->jump_len > 0 || ch > '0')) {
			s->jump = s->jump * 10 + (ch - '0');
			s->jump_len++;
		}
		say_jump(s);
		return true;
	}
	if (tui_key_is_erase(ch)) {
		if (s->jump_len > 0) {
			s->jump /= 10;
			s->jump_len--;
		}
		say_jump(s);
		return true;
	}
	s->jumping = false;
	s->msg[0] = '\0';
	if (!tui_key_is_enter(ch) || s->jump_len == 0)
		return true; /* Esc or anything else cancels */
	if (s->jump > s->iters) {
		say(s, "no iteration %d: the iterations are 1-%d", s->jump,
		    s->iters);
		return true;
	}
	go_iter(s, s->jump);
	return true;
}

static bool set_play(TuiServeState *s, bool on)
{
	s->playing = on;
	if (on && s->iter == s->iters)
		s->iter = 1; /* playing again from the start */
	if (on)
		say(s, "auto-play: one iteration every %d ms (f faster, s slower, a stops)",
		    tui_pace_ms[s->pace]);
	else
		say(s, "auto-play stopped");
	return true;
}

static bool pace(TuiServeState *s, int d)
{
	s->pace = clampi(s->pace + d, 0, TUI_PACES - 1);
	say(s, "auto-play pace: %d ms an iteration", tui_pace_ms[s->pace]);
	return true;
}

static bool digits(TuiServeState *s, int d)
{
	int was = s->digits;
	s->digits = clampi(s->digits + d, TUI_DIGITS_MIN, TUI_DIGITS_MAX);
	if (s->digits == was) {
		say(s, "%s digits: %d", d > 0 ? "most" : "fewest", was);
		return true;
	}
	measure(s);
	return true;
}

/* < > and , .: the layer and the query head the panes show (wrapping). */
static bool select_layer_head(TuiServeState *s, int dl, int dh)
{
	if ((dl && s->layers == 1) || (dh && s->heads == 1)) {
		say(s, "this model has one %s", dl ? "layer" : "head per layer");
		return true;
	}
	s->layer = (s->layer - 1 + dl + s->layers) % s->layers + 1;
	s->head = (s->head - 1 + dh + s->heads) % s->heads + 1;
	tui_serve_cursor_clamp(s);
	return true;
}

static const Matrix cursor_order[] = { MAT_K, MAT_V, MAT_S, MAT_A, MAT_Z };
enum { N_CURSOR_MATS = sizeof cursor_order / sizeof cursor_order[0] };

static bool next_matrix(TuiServeState *s, int d)
{
	int at = 0;
	for (int i = 0; i < N_CURSOR_MATS; i++)
		if (cursor_order[i] == s->cur_mat)
			at = i;
	at = (at + d + N_CURSOR_MATS) % N_CURSOR_MATS;
	s->cur_mat = cursor_order[at];
	tui_serve_cursor_clamp(s);
	return true;
}

static bool move_cursor(TuiServeState *s, int dr, int dc)
{
	int r = s->cur_row, c = s->cur_col;
	s->cur_row += dr;
	s->cur_col += dc;
	tui_serve_cursor_clamp(s);
	if (s->cur_row == r && s->cur_col == c)
		say(s, "the cursor is at the edge of %s", matrix_name(s->cur_mat));
	return true;
}

/* Keys of this screen alone, before the shared table: false when `ch`
 * is not one of them. */
static bool own_key(TuiServeState *s, int ch)
{
	if (ch >= '1' && ch <= '9') {
		select_req(s, ch - '0');
		return true;
	}
	if (ch == '\t' || ch == KEY_BTAB) {
		int k = s->req + (ch == '\t' ? 1 : -1);
		select_req(s, k > s->reqs ? 1 : k < 1 ? s->reqs : k);
		return true;
	}
	if (ch == 'c' && s->wide) {
		s->compare = !s->compare;
		say(s, "comparison panel %s (c)", s->compare ? "shown" : "hidden");
		return true;
	}
	if (ch == 'c') {
		s->panel = s->panel == TUI_SERVE_COMPARE ? TUI_SERVE_BLOCKS
							  : TUI_SERVE_COMPARE;
		return true;
	}
	if (ch == 'v') {
		if (s->wide)
			say(s, "every panel is on screen at this size");
		else
			s->panel = (TuiServePanel)((s->panel + 1) % TUI_SERVE_PANELS);
		return true;
	}
	return false;
}

static bool apply(TuiServeState *s, Action a, int ch)
{
	switch ((int)a) { /* int: the other actions all fall to the message */
	case ACT_NEXT: return go_iter(s, s->iter + 1);
	case ACT_PREV: return go_iter(s, s->iter - 1);
	case ACT_FIRST: return go_iter(s, 1);
	case ACT_LAST: return go_iter(s, s->iters);
	case ACT_JUMP:
		s->jumping = true;
		s->jump = 0;
		s->jump_len = 0;
		say_jump(s);
		return true;
	case ACT_PLAY: return set_play(s, !s->playing);
	case ACT_FASTER: return pace(s, 1);
	case ACT_SLOWER: return pace(s, -1);
	case ACT_DIGITS_MORE: return digits(s, 1);
	case ACT_DIGITS_LESS: return digits(s, -1);
	case ACT_INSPECT:
		s->inspect = !s->inspect;
		s->panel = s->inspect ? TUI_SERVE_ATTN : s->panel;
		return true;
	case ACT_CUR_LEFT: return move_cursor(s, 0, -1);
	case ACT_CUR_RIGHT: return move_cursor(s, 0, 1);
	case ACT_CUR_UP: return move_cursor(s, -1, 0);
	case ACT_CUR_DOWN: return move_cursor(s, 1, 0);
	case ACT_MAT_NEXT: return next_matrix(s, 1);
	case ACT_MAT_PREV: return next_matrix(s, -1);
	case ACT_LAYER_NEXT: return select_layer_head(s, 1, 0);
	case ACT_LAYER_PREV: return select_layer_head(s, -1, 0);
	case ACT_HEAD_NEXT: return select_layer_head(s, 0, 1);
	case ACT_HEAD_PREV: return select_layer_head(s, 0, -1);
	case ACT_HELP: s->help = true; return true;
	case ACT_CLOSE:
		if (s->inspect)
			s->inspect = false;
		else if (s->playing)
			s->playing = false;
		return true;
	case ACT_REDRAW: return true;
	case ACT_QUIT: s->quit = true; return true;
	default: break;
	}
	char name[32];
	tui_key_name(ch, name, sizeof name);
	if (a == ACT_NONE)
		say(s, "unknown key: %s (? lists the keys)", name);
	else
		say(s, "%s does nothing in the serving view (? lists the keys)", name);
	return true;
}

bool tui_serve_key(TuiServeState *s, int ch)
{
	if (s->help) {
		s->help = false; /* any key closes the help, q and Esc too */
		return true;
	}
	if (s->jumping)
		return jump_key(s, ch);
	s->msg[0] = '\0';
	if (own_key(s, ch))
		return true;
	Action a = tui_key_action(ch, s->inspect);
	if (s->playing && a != ACT_PLAY && a != ACT_FASTER && a != ACT_SLOWER &&
	    a != ACT_REDRAW && a != ACT_HELP)
		s->playing = false; /* stepping by hand stops auto-play */
	apply(s, a, ch);
	return true; /* a key that does nothing still says so on the bottom row */
}

bool tui_serve_tick(TuiServeState *s, long now_ms)
{
	if (!s->playing) {
		s->played_ms = now_ms;
		return false;
	}
	if (now_ms - s->played_ms < tui_pace_ms[s->pace])
		return false;
	s->played_ms = now_ms;
	if (s->iter >= s->iters) {
		s->playing = false;
		say(s, "auto-play stopped at the last iteration (a plays again from 1)");
		return true;
	}
	go_iter(s, s->iter + 1);
	if (s->iter == s->iters) {
		s->playing = false;
		say(s, "auto-play stopped at the last iteration (a plays again from 1)");
	}
	return true;
}

bool tui_serve_click(TuiServeState *s, const TuiBuf *b, int x, int y)
{
	if (x < 0 || y < 0 || x >= b->w || y >= b->h)
		return false;
	TuiServeHit h;
	if (!tui_serve_hit_unpack(b->cells[(size_t)y * (size_t)b->w + (size_t)x].hit,
				  &h))
		return false;
	s->help = false;
	s->msg[0] = '\0';
	if (h.req != s->req)
		select_req(s, h.req);
	if (h.mat < 0)
		return true;
	s->cur_mat = (Matrix)h.mat;
	s->cur_row = h.row;
	s->cur_col = h.col;
	s->inspect = true;
	tui_serve_cursor_clamp(s);
	return true;
}
