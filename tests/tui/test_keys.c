/*
 * Keys as terminals send them, and the classroom controls, without a
 * terminal: raw bytes (CR for Enter, ^H and ^? for Backspace, ESC b for
 * Alt-b, PuTTY's ESC [ 1 ~ for Home, mouse reports) go through the same
 * decoder and key-to-action mapping the UI uses, and the state and the
 * rendered screen are checked exactly.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <curses.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fixture.h"
#include "run.h"
#include "tui_keys.h"
#include "tui_mouse.h"
#include "tui_render.h"
#include "tui_screen.h"
#include "tui_state.h"

/* ---- the escape decoder, fed from a byte string ---- */

typedef struct Bytes {
	const char *p;
	size_t n;
} Bytes;

static int next_of(void *ctx)
{
	Bytes *b = ctx;
	if (b->n == 0)
		return -1;
	b->n--;
	return (unsigned char)*b->p++;
}

/* Decodes `rest` (what followed an ESC); *left: bytes not consumed. */
static int decode(const char *rest, size_t *left)
{
	Bytes b = { rest, strlen(rest) };
	int k = tui_key_decode_esc(next_of, &b);
	*left = b.n;
	return k;
}

static void test_decode_known(void **state)
{
	(void)state;
	static const struct {
		const char *rest;
		int key;
	} cases[] = {
		{ "", TUI_KEY_ESC },          /* a lone Esc */
		{ "\x1b", TUI_KEY_ESC },      /* Esc twice in one read */
		{ "[1~", KEY_HOME },          /* PuTTY, tmux */
		{ "[4~", KEY_END },
		{ "[7~", KEY_HOME },          /* rxvt */
		{ "[8~", KEY_END },
		{ "[5~", KEY_PPAGE },
		{ "[6~", KEY_NPAGE },
		{ "[H", KEY_HOME },           /* xterm, normal mode */
		{ "[F", KEY_END },
		{ "OH", KEY_HOME },           /* xterm, application mode */
		{ "OF", KEY_END },
		{ "[A", KEY_UP },
		{ "OD", KEY_LEFT },
		{ "[1;2A", KEY_SR },          /* Shift-Up */
		{ "[1;2B", KEY_SF },
		{ "[1;2C", KEY_SRIGHT },
		{ "[1;2D", KEY_SLEFT },
		{ "OP", KEY_F(1) },
		{ "b", TUI_KEY_ALT + 'b' },   /* Alt-b: macOS Option-Left */
		{ "f", TUI_KEY_ALT + 'f' },
		{ "x", TUI_KEY_ALT + 'x' },
		{ "O", TUI_KEY_ALT + 'O' },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		size_t left;
		int k = decode(cases[i].rest, &left);
		if (k != cases[i].key)
			fail_msg("ESC %s: got %d, want %d", cases[i].rest, k,
				 cases[i].key);
		assert_int_equal(left, 0);
	}
}

/* Anything else is read to its final byte and swallowed whole. */
static void test_decode_unknown_swallowed(void **state)
{
	(void)state;
	static const char *const unknown[] = {
		"[1;5P",          /* Ctrl-F1 */
		"[1;3D",          /* Alt-Left */
		"[15;2~",         /* Shift-F5 */
		"[<0;10;5M",      /* an SGR mouse report, mouse off */
		"[?1;2c",         /* a device attributes answer */
		"[99~",
		"[ q",            /* an intermediate byte */
		"\x1b[A",         /* Alt-Up as ESC ESC [ A */
	};
	for (size_t i = 0; i < sizeof unknown / sizeof unknown[0]; i++) {
		size_t left;
		assert_int_equal(decode(unknown[i], &left), TUI_KEY_UNKNOWN);
		assert_int_equal(left, 0);
	}
	/* the sequence ends at its final byte: what follows is a new key */
	size_t left;
	assert_int_equal(decode("[1~q", &left), KEY_HOME);
	assert_int_equal(left, 1);
	assert_int_equal(decode("[1;5Pq", &left), TUI_KEY_UNKNOWN);
	assert_int_equal(left, 1);
	/* a sequence cut short is dropped, never read as Esc + letters */
	assert_int_equal(decode("[1;", &left), TUI_KEY_UNKNOWN);
	assert_int_equal(left, 0);
	/* an X10 mouse report: ESC [ M and three raw bytes, a space first */
	assert_int_equal(decode("[M K&q", &left), TUI_KEY_UNKNOWN);
	assert_int_equal(left, 1);
	/* a runaway sequence stops after TUI_ESC_SEQ_MAX bytes */
	char longseq[80];
	memset(longseq, '1', sizeof longseq - 1);
	longseq[0] = '[';
	longseq[sizeof longseq - 1] = '\0';
	assert_int_equal(decode(longseq, &left), TUI_KEY_UNKNOWN);
	assert_int_equal(left, sizeof longseq - 2 - TUI_ESC_SEQ_MAX);
}

static void test_key_names(void **state)
{
	(void)state;
	char buf[32];
	tui_key_name(TUI_KEY_ALT + 'b', buf, sizeof buf);
	assert_string_equal(buf, "M-b");
	tui_key_name(TUI_KEY_UNKNOWN, buf, sizeof buf);
	assert_string_equal(buf, "escape sequence");
	tui_key_name(24, buf, sizeof buf);
	assert_string_equal(buf, "^X");
	tui_key_name('x', buf, sizeof buf);
	assert_string_equal(buf, "x");
	tui_key_name(KEY_F(5), buf, sizeof buf);
	assert_string_equal(buf, "F5");
	tui_key_name(KEY_IC, buf, sizeof buf);
	assert_string_equal(buf, "KEY_IC");
}

/* ---- keys through the state, as the UI's loop passes them ---- */

/*
 * Feeds raw terminal bytes as the loop does: ESC starts a sequence for
 * the decoder, any other byte is a key. Curses codes (KEY_*) are passed
 * with feed_key().
 */
static void feed(Fixture *f, const char *bytes, size_t n)
{
	Bytes b = { bytes, n };
	int c;
	while ((c = next_of(&b)) >= 0) {
		if (c == TUI_KEY_ESC)
			c = tui_key_decode_esc(next_of, &b);
		tui_state_key(&f->s, f->t, c);
	}
}

#define FEED(f, lit) feed((f), (lit), sizeof(lit) - 1)

static void test_enter_opens_inspector(void **state)
{
	Fixture *f = *state;
	static const int enters[] = { '\r', '\n', KEY_ENTER };
	for (size_t i = 0; i < 3; i++) {
		assert_false(f->s.inspect);
		tui_state_key(&f->s, f->t, enters[i]);
		assert_true(f->s.inspect);
		FEED(f, "\x1b"); /* Esc leaves the inspector */
		assert_false(f->s.inspect);
		assert_false(f->s.quit);
	}
}

static void test_escape_never_quits(void **state)
{
	Fixture *f = *state;
	TuiState *s = &f->s;
	FEED(f, "\x1b");
	assert_false(s->quit);
	assert_string_equal(s->msg, "nothing to close (q quits)");
	FEED(f, "\x1b\x1b");             /* Esc twice */
	FEED(f, "\x1b" "b");             /* Alt-b at step 1: a limit */
	assert_string_equal(s->msg, "already at the first step");
	FEED(f, "\x1b" "x");             /* Alt-x: unbound */
	assert_string_equal(s->msg, "unknown key: M-x (? lists the keys)");
	FEED(f, "\x1b[1;5P");            /* Ctrl-F1: swallowed whole */
	assert_string_equal(s->msg,
			    "unknown key: escape sequence (? lists the keys)");
	assert_int_equal(s->step, 1);    /* no 'P' or '5' acted */
	assert_int_equal(s->digits, TUI_DIGITS_DEFAULT);
	FEED(f, "\x1b[<0;10;5M\x1b[<0;10;5m"); /* mouse report, mouse off */
	assert_false(s->quit);
	assert_int_equal(s->step, 1);
	assert_false(s->inspect);
	/* PuTTY's End and Home; then vt100-style PgDn, PgUp, Shift-Up */
	FEED(f, "\x1b[4~");
	assert_int_equal(s->step, s->steps);
	FEED(f, "\x1b[1~");
	assert_int_equal(s->step, 1);
	FEED(f, "\x1b[6~");
	assert_int_equal(s->cur_mat, MAT_A);
	FEED(f, "\x1b[5~\x1b[1;2A\x1bOH\x1bOF");
	assert_int_equal(s->cur_mat, MAT_S);
	assert_int_equal(s->step, s->steps);
	/* Backspace as ^? and as ^H steps back; Alt-f forward */
	FEED(f, "\x7f");
	assert_int_equal(s->step, s->steps - 1);
	FEED(f, "\x08");
	assert_int_equal(s->step, s->steps - 2);
	FEED(f, "\x1b" "f");
	assert_int_equal(s->step, s->steps - 1);
	assert_false(s->quit);
	/* only q quits */
	FEED(f, "q");
	assert_true(s->quit);
	/* no binding but q's leads to ACT_QUIT */
	int n;
	const KeyBinding *kb = tui_key_table(&n);
	for (int i = 0; i < n; i++)
		if (kb[i].action == ACT_QUIT)
			assert_int_equal(kb[i].key, 'q');
}

static void test_limits_say_so(void **state)
{
	Fixture *f = *state;
	TuiState *s = &f->s;
	FEED(f, "G");
	assert_string_equal(s->msg, "");
	FEED(f, "l");
	assert_string_equal(s->msg, "already at the last step");
	FEED(f, "x");                    /* any key clears the message... */
	assert_string_equal(s->msg, "unknown key: x (? lists the keys)");
	FEED(f, "h");
	assert_string_equal(s->msg, "");
	FEED(f, ">");                    /* ...or sets its own */
	assert_string_equal(s->msg, "this model has one layer");
	FEED(f, "++++++");
	assert_string_equal(s->msg, "already at the most digits (6)");
	FEED(f, "--------");
	assert_string_equal(s->msg, "already at the fewest digits (1)");
	/* on screen, in the legend's row, until the next key */
	assert_int_equal(tui_buf_resize(&f->b, 80, 24), 0);
	tui_render_screen(&f->b, &f->v, s);
	char *txt = tui_buf_text(&f->b);
	assert_non_null(strstr(txt, "\nalready at the fewest digits (1)\n"));
	free(txt);
	FEED(f, "+");
	tui_render_screen(&f->b, &f->v, s);
	txt = tui_buf_text(&f->b);
	assert_null(strstr(txt, "already at"));
	assert_non_null(strstr(txt, "\nlegend "));
	free(txt);
}

/* ---- jump to step N ---- */

static void test_jump_prompt(void **state)
{
	Fixture *f = *state;
	TuiState *s = &f->s;
	FEED(f, ":");
	assert_true(s->jumping);
	assert_string_equal(s->msg,
			    "jump to step: _  (1-6, Enter goes, Esc cancels)");
	FEED(f, "5");
	assert_string_equal(s->msg,
			    "jump to step: 5_  (1-6, Enter goes, Esc cancels)");
	FEED(f, "\r");                   /* Enter as the terminal sends it */
	assert_false(s->jumping);
	assert_int_equal(s->step, 5);
	assert_false(s->inspect);        /* Enter went to the prompt */
	/* digits in the prompt are not the 1 2 3 0 pane keys */
	assert_int_equal(s->solo, -1);
	FEED(f, ":9\r");
	assert_string_equal(s->msg, "no step 9: the steps are 1-6");
	assert_int_equal(s->step, 5);
	FEED(f, ":12\x7f\r");            /* ^? erases the 2 */
	assert_int_equal(s->step, 1);
	FEED(f, ":3\x1b");               /* Esc cancels */
	assert_false(s->jumping);
	assert_int_equal(s->step, 1);
	FEED(f, ":4q");                  /* q cancels the prompt, no quit */
	assert_false(s->jumping);
	assert_false(s->quit);
	assert_int_equal(s->step, 1);
	FEED(f, ":06\r");                /* a leading zero is ignored */
	assert_int_equal(s->step, 6);
	FEED(f, ":\r");                  /* nothing typed: just closes */
	assert_false(s->jumping);
	assert_int_equal(s->step, 6);
	/* the prompt shows in the bottom row */
	FEED(f, ":2");
	assert_int_equal(tui_buf_resize(&f->b, 80, 24), 0);
	tui_render_screen(&f->b, &f->v, s);
	char *txt = tui_buf_text(&f->b);
	assert_non_null(strstr(txt, "\njump to step: 2_  (1-6, Enter goes, "
				    "Esc cancels)\n"));
	free(txt);
}

/* ---- auto-play ---- */

static void test_auto_play(void **state)
{
	Fixture *f = *state;
	TuiState *s = &f->s;
	assert_false(tui_state_play_due(s, 100000));
	FEED(f, "a");
	assert_true(s->playing);
	assert_int_equal(tui_pace_ms[s->pace], 1000);
	assert_string_equal(s->msg, "auto-play: a step every 1 s (a pauses, "
				    "f faster, s slower)");
	assert_false(tui_state_play_due(s, 999));
	assert_true(tui_state_play_due(s, 1000));
	FEED(f, "f");
	assert_int_equal(tui_pace_ms[s->pace], 500);
	assert_false(tui_state_play_due(s, 499));
	assert_true(tui_state_play_due(s, 500));
	FEED(f, "ff");
	assert_string_equal(s->msg,
			    "already the fastest pace: a step every 0.25 s");
	FEED(f, "ssssss");
	assert_string_equal(s->msg,
			    "already the slowest pace: a step every 4 s");
	/* steps 1 -> 6, then it stops and says so */
	for (int want = 2; want <= 6; want++) {
		assert_true(tui_state_play_step(s, f->t));
		assert_int_equal(s->step, want);
	}
	assert_false(s->playing);
	assert_string_equal(s->msg, "auto-play stopped at the last step "
				    "(a plays again from step 1)");
	assert_false(tui_state_play_step(s, f->t));
	FEED(f, "a");                    /* plays again from step 1 */
	assert_true(s->playing);
	assert_int_equal(s->step, 1);
	FEED(f, "l");                    /* keys still step while playing */
	assert_int_equal(s->step, 2);
	assert_true(s->playing);
	/* while playing, the bottom row shows the pace */
	assert_int_equal(tui_buf_resize(&f->b, 80, 24), 0);
	tui_render_screen(&f->b, &f->v, s);
	char *txt = tui_buf_text(&f->b);
	assert_non_null(strstr(txt, "\nauto-play: a step every 4 s  a pauses  "
				    "f faster  s slower\n"));
	free(txt);
	FEED(f, "a");
	assert_false(s->playing);
	assert_string_equal(s->msg, "auto-play paused at step 2");
	/* the help pauses the clock: no step under the overlay */
	FEED(f, "a?");
	assert_false(tui_state_play_due(s, 100000));
}

/* ---- the cache-memory view ---- */

static void test_memory_view(void **state)
{
	Fixture *f = *state;
	TuiState *s = &f->s;
	const Trace *t = f->t;
	FEED(f, "llm");
	assert_true(s->memory);
	assert_int_equal(s->step, 3);
	assert_int_equal(tui_buf_resize(&f->b, 80, 24), 0);
	tui_render_screen(&f->b, &f->v, s);
	char *txt = tui_buf_text(&f->b);
	assert_non_null(strstr(txt, "cache memory: K and V bytes held after "
				    "each step"));
	/* one row per step so far, each the trace's own counters */
	uint64_t col = trace_step(t, 1, MODE_CACHE)->total.cache_bytes;
	assert_true(col > 0);
	for (int st = 1; st <= 4; st++) {
		char row[96];
		uint64_t b[MODE_COUNT];
		for (int m = 0; m < MODE_COUNT; m++)
			b[m] = trace_step(t, st, (Mode)m)->total.cache_bytes;
		snprintf(row, sizeof row, "%4d %-8s%8" PRIu64 " B%8" PRIu64
			 " B%8" PRIu64 " B", st,
			 trace_model(t)->vocab[trace_token(t, st)], b[0], b[1],
			 b[2]);
		if (st <= 3)
			assert_non_null(strstr(txt, row));
		else
			assert_null(strstr(txt, row)); /* not reached yet */
		/* closed forms: no cache keeps nothing, the KV cache one
		 * column a step, prefill the whole prompt from step 1 */
		assert_int_equal(b[MODE_NOCACHE], 0);
		assert_int_equal(b[MODE_CACHE], (uint64_t)st * col);
		assert_int_equal(b[MODE_PREFILL],
				 (uint64_t)(st > s->prompt_n ? st : s->prompt_n) *
					 col);
	}
	/* a column: d_k + d_v cells of 4 bytes in the one-layer model */
	const Model *m = trace_model(t);
	assert_int_equal(col, (uint64_t)(m->d_k + m->d_v) * 4);
	char note[96];
	snprintf(note, sizeof note, "a column: 1 layer × 1 KV head × (%d+%d) "
		 "cells of 4 B", m->d_k, m->d_v);
	assert_non_null(strstr(txt, note));
	free(txt);
	/* the view follows the steps; Esc closes it, then Esc says so */
	FEED(f, "l");
	assert_true(s->memory);
	FEED(f, "\x1b");
	assert_false(s->memory);
	FEED(f, "\x1b");
	assert_string_equal(s->msg, "nothing to close (q quits)");
}

/* ---- the help's status legend ---- */

static void test_help_legend(void **state)
{
	Fixture *f = *state;
	f->s.help = true;
	for (int ascii = 0; ascii < 2; ascii++) {
		tui_view_init(&f->v, f->t, ascii, f->s.digits);
		assert_int_equal(tui_buf_resize(&f->b, 80, 24), 0);
		tui_render_screen(&f->b, &f->v, &f->s);
		char *txt = tui_buf_text(&f->b);
		assert_non_null(strstr(txt, "status 1* computed  1= reused"
					    " (cache)  1! recomputed   x "
					    "evicted"));
		assert_non_null(strstr(txt, ascii ? "         . masked (later "
						    "key)  blank: not held by "
						    "this mode  > cursor"
						  : "         · masked (later "
						    "key)  blank: not held by "
						    "this mode  ▶ cursor"));
		static const char *const actions[] = {
			"jump: type N, Enter", "close help/inspector",
			"auto-play on/off", "auto-play faster",
			"auto-play slower", "cache memory view",
		};
		/* every new action is listed whole, in ASCII too */
		for (size_t i = 0; i < 6; i++)
			assert_non_null(strstr(txt, actions[i]));
		assert_non_null(strstr(txt, " :        jump: type N, Enter"));
		assert_non_null(strstr(txt, " Esc      close help/inspector"));
		free(txt);
	}
}

/* ---- the mouse: a click selects the cell drawn there ---- */

/* The screen position of the first cell tagged `tag`; false if none. */
static bool find_tag(const TuiBuf *b, uint32_t tag, int *x, int *y)
{
	for (*y = 0; *y < b->h; (*y)++)
		for (*x = 0; *x < b->w; (*x)++)
			if (tui_mouse_hit(b, *x, *y) == tag)
				return true;
	return false;
}

/* The text of row y, columns x..x+n-1, as UTF-8. */
static void text_at(const TuiBuf *b, int x, int y, int n, char *out)
{
	char *p = out;
	for (int i = 0; i < n && x + i < b->w; i++) {
		uint32_t c = b->cells[(size_t)y * (size_t)b->w + (size_t)(x + i)].ch;
		if (c < 0x80) {
			*p++ = (char)c;
		} else if (c < 0x800) {
			*p++ = (char)(0xC0 | (c >> 6));
			*p++ = (char)(0x80 | (c & 0x3F));
		} else {
			*p++ = (char)(0xE0 | (c >> 12));
			*p++ = (char)(0x80 | ((c >> 6) & 0x3F));
			*p++ = (char)(0x80 | (c & 0x3F));
		}
	}
	*p = '\0';
}

/*
 * Every tagged screen cell lies over the value the trace holds for the
 * cell its tag names, in a mode and matrix the frame shows.
 */
static void check_tags_match_values(Fixture *f)
{
	const TuiBuf *b = &f->b;
	int tagged = 0;
	for (int y = 0; y < b->h; y++) {
		for (int x = 0; x < b->w; x++) {
			TuiHit h;
			uint32_t tag = tui_mouse_hit(b, x, y);
			if (!tag || (x > 0 && tui_mouse_hit(b, x - 1, y) == tag))
				continue;
			assert_true(tui_hit_unpack(tag, &h));
			tagged++;
			int rows, lo, hi;
			tui_state_extent(&f->s, f->t, h.mode, h.mat, &rows, &lo,
					 &hi);
			assert_in_range(h.row, 1, rows);
			assert_in_range(h.col, lo, hi);
			double v;
			char want[64], got[160];
			int layer = tui_state_layer_of(&f->s, h.mat);
			if (trace_status_at(f->t, f->s.step, h.mode, layer,
					    h.mat, h.row, h.col) == CELL_MASKED ||
			    !trace_value_at(f->t, layer,
					    tui_state_head_of(&f->s, f->t, h.mat),
					    h.mat, h.row, h.col, &v))
				continue;
			tui_format_value(v, f->s.digits, want, sizeof want);
			int n = 1;
			while (tui_mouse_hit(b, x + n, y) == tag)
				n++;
			text_at(b, x, y, n, got);
			if (!strstr(got, want))
				fail_msg("cell at %d,%d shows \"%s\", tag says "
					 "%s", x, y, got, want);
		}
	}
	assert_true(tagged > 20);
}

static void click_at(Fixture *f, Mode mode, Matrix mat, int row, int col)
{
	int x = 0, y = 0;
	uint32_t tag = tui_hit_pack(mode, mat, row, col);
	assert_true(tag != 0);
	if (!find_tag(&f->b, tag, &x, &y))
		fail_msg("cell %d,%d of matrix %d in mode %d not drawn", row,
			 col, mat, mode);
	/* the click lands on the last column the cell covers (its glyph) */
	while (tui_mouse_hit(&f->b, x + 1, y) == tag)
		x++;
	assert_true(tui_state_apply_arg(&f->s, f->t, ACT_CLICK,
					(int)tui_mouse_hit(&f->b, x, y)));
}

static void test_mouse_80x24(void **state)
{
	Fixture *f = *state;
	TuiState *s = &f->s;
	FEED(f, "ll");
	assert_int_equal(tui_buf_resize(&f->b, 80, 24), 0);
	tui_render_screen(&f->b, &f->v, s);
	check_tags_match_values(f);
	/* labels, the header and the legend are no cells */
	assert_int_equal(tui_mouse_hit(&f->b, 0, 0), 0);
	assert_int_equal(tui_mouse_hit(&f->b, 0, 23), 0);
	assert_int_equal(tui_mouse_hit(&f->b, -1, 5), 0);
	assert_int_equal(tui_mouse_hit(&f->b, 80, 5), 0);
	assert_false(tui_state_apply_arg(s, f->t, ACT_CLICK, 0));
	click_at(f, MODE_NOCACHE, MAT_S, 2, 3);
	assert_true(s->inspect);
	assert_int_equal(s->cur_mat, MAT_S);
	assert_int_equal(s->cur_row, 2);
	assert_int_equal(s->cur_col, 3);
	char txt[512];
	tui_inspect_text(&f->v, s, txt, sizeof txt);
	assert_memory_equal(txt, "S[2,3] = k2·q3", strlen("S[2,3] = k2·q3"));
	/* a click under an overlay reaches nothing */
	FEED(f, "?");
	tui_render_screen(&f->b, &f->v, s);
	assert_false(find_tag(&f->b, tui_hit_pack(MODE_NOCACHE, MAT_S, 2, 3),
			      &(int){ 0 }, &(int){ 0 }));
}

static void test_mouse_200x60(void **state)
{
	Fixture *f = *state;
	TuiState *s = &f->s;
	FEED(f, "ll");
	assert_int_equal(tui_buf_resize(&f->b, 200, 60), 0);
	tui_render_screen(&f->b, &f->v, s);
	check_tags_match_values(f);
	/* a click in the KV cache pane moves the focus there */
	click_at(f, MODE_CACHE, MAT_K, 1, 2);
	assert_int_equal(s->focus, MODE_CACHE);
	assert_int_equal(s->cur_mat, MAT_K);
	assert_int_equal(s->cur_col, 2);
	assert_true(s->inspect);
	click_at(f, MODE_PREFILL, MAT_V, 2, 1);
	assert_int_equal(s->focus, MODE_PREFILL);
	assert_int_equal(s->cur_mat, MAT_V);
	assert_int_equal(s->cur_row, 2);
}

static void test_mouse_gqa(void **state)
{
	Fixture *f = *state;
	FEED(f, "l.");
	assert_int_equal(tui_buf_resize(&f->b, 120, 40), 0);
	tui_render_screen(&f->b, &f->v, &f->s);
	check_tags_match_values(f);
}

static void test_hit_pack(void **state)
{
	(void)state;
	TuiHit h;
	uint32_t tag = tui_hit_pack(MODE_PREFILL, MAT_LOGITS, 64, 1024);
	assert_true(tag > 0 && tag < 0x80000000u);
	assert_true(tui_hit_unpack(tag, &h));
	assert_int_equal(h.mode, MODE_PREFILL);
	assert_int_equal(h.mat, MAT_LOGITS);
	assert_int_equal(h.row, 64);
	assert_int_equal(h.col, 1024);
	assert_int_equal(tui_hit_pack(MODE_CACHE, MAT_S, 0, 1), 0);
	assert_int_equal(tui_hit_pack(MODE_CACHE, MAT_S, 1, TUI_HIT_COL_MAX + 1),
			 0);
	assert_false(tui_hit_unpack(0, &h));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_decode_known),
		cmocka_unit_test(test_decode_unknown_swallowed),
		cmocka_unit_test(test_key_names),
		cmocka_unit_test(test_hit_pack),
		cmocka_unit_test_setup_teardown(test_enter_opens_inspector, setup, teardown),
		cmocka_unit_test_setup_teardown(test_escape_never_quits, setup, teardown),
		cmocka_unit_test_setup_teardown(test_limits_say_so, setup, teardown),
		cmocka_unit_test_setup_teardown(test_jump_prompt, setup, teardown),
		cmocka_unit_test_setup_teardown(test_auto_play, setup, teardown),
		cmocka_unit_test_setup_teardown(test_memory_view, setup, teardown),
		cmocka_unit_test_setup_teardown(test_help_legend, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mouse_80x24, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mouse_200x60, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mouse_gqa, setup_gqa, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
