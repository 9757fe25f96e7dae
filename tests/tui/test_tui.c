/*
 * The terminal UI without a terminal: key mapping, stepping, formatting,
 * the inspector's text, and whole frames of the default model rendered
 * into an off-screen buffer and compared as exact text.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <curses.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fixture.h"
#include "rows.h"
#include "run.h"
#include "tui_keys.h"
#include "tui_render.h"
#include "tui_state.h"
#include "tui_theme.h"

#include "expected_frames.h"

static void apply_n(Fixture *f, Action a, int n)
{
	for (int i = 0; i < n; i++)
		tui_state_apply(&f->s, f->t, a);
}

/* Renders the current state at w×h and returns the frame's text. */
static char *render(Fixture *f, int w, int h)
{
	assert_int_equal(tui_buf_resize(&f->b, w, h), 0);
	tui_render_frame(&f->b, &f->v, &f->s);
	char *txt = tui_buf_text(&f->b);
	assert_non_null(txt);
	return txt;
}

/*
 * On a mismatch, prints the frame rendered as C rows, ready to paste into
 * expected_frames.h once its numbers have been checked by hand.
 */
static void print_c_rows(const char *name, const char *txt)
{
	fprintf(stderr, "--- got %s ---\n", name);
	for (const char *p = txt; *p;) {
		const char *nl = strchr(p, '\n');
		fputs("\t\"", stderr);
		for (const char *q = p; q < nl; q++) {
			if (*q == '"' || *q == '\\')
				fputc('\\', stderr);
			fputc(*q, stderr);
		}
		fputs("\",\n", stderr);
		p = nl + 1;
	}
	fprintf(stderr, "--- end %s ---\n", name);
}

static void check_frame_named(Fixture *f, int w, int h,
			      const char *const *rows, const char *name)
{
	char *got = render(f, w, h);
	char *want = join_rows(rows);
	if (strcmp(got, want) != 0)
		print_c_rows(name, got);
	assert_string_equal(got, want);
	free(want);
	free(got);
}

#define check_frame(f, w, h, rows) check_frame_named(f, w, h, rows, #rows)

/* ---- keys ---- */

static void test_keys_steps(void **state)
{
	(void)state;
	assert_int_equal(tui_key_action(KEY_RIGHT, false), ACT_NEXT);
	assert_int_equal(tui_key_action('l', false), ACT_NEXT);
	assert_int_equal(tui_key_action(' ', false), ACT_NEXT);
	assert_int_equal(tui_key_action(KEY_LEFT, false), ACT_PREV);
	assert_int_equal(tui_key_action('h', false), ACT_PREV);
	assert_int_equal(tui_key_action(KEY_HOME, false), ACT_FIRST);
	assert_int_equal(tui_key_action(KEY_END, false), ACT_LAST);
	assert_int_equal(tui_key_action('g', false), ACT_FIRST);
	assert_int_equal(tui_key_action('G', false), ACT_LAST);
	assert_int_equal(tui_key_action('p', false), ACT_PROMPT_END);
	assert_int_equal(tui_key_action('\t', false), ACT_FOCUS_NEXT);
	assert_int_equal(tui_key_action('1', false), ACT_SHOW_NOCACHE);
	assert_int_equal(tui_key_action('2', false), ACT_SHOW_CACHE);
	assert_int_equal(tui_key_action('3', false), ACT_SHOW_PREFILL);
	assert_int_equal(tui_key_action('0', false), ACT_SHOW_ALL);
	assert_int_equal(tui_key_action('+', false), ACT_DIGITS_MORE);
	assert_int_equal(tui_key_action('-', false), ACT_DIGITS_LESS);
	assert_int_equal(tui_key_action('?', false), ACT_HELP);
	assert_int_equal(tui_key_action('q', false), ACT_QUIT);
	assert_int_equal(tui_key_action(27, false), ACT_CLOSE); /* never quits */
	assert_int_equal(tui_key_action('x', false), ACT_NONE);
	assert_int_equal(tui_key_action(KEY_RESIZE, false), ACT_NONE);
}

/* hjkl step outside inspector mode and move the cursor inside it. */
static void test_keys_inspector(void **state)
{
	(void)state;
	assert_int_equal(tui_key_action('h', true), ACT_CUR_LEFT);
	assert_int_equal(tui_key_action('l', true), ACT_CUR_RIGHT);
	assert_int_equal(tui_key_action('k', true), ACT_CUR_UP);
	assert_int_equal(tui_key_action('j', true), ACT_CUR_DOWN);
	assert_int_equal(tui_key_action('j', false), ACT_NONE);
	assert_int_equal(tui_key_action(KEY_UP, true), ACT_CUR_UP);
	assert_int_equal(tui_key_action(KEY_UP, false), ACT_NONE);
	assert_int_equal(tui_key_action(KEY_SRIGHT, false), ACT_CUR_RIGHT);
	assert_int_equal(tui_key_action(KEY_SLEFT, false), ACT_CUR_LEFT);
	assert_int_equal(tui_key_action(KEY_SF, false), ACT_CUR_DOWN);
	assert_int_equal(tui_key_action(KEY_SR, false), ACT_CUR_UP);
	/* arrows keep stepping in inspector mode; Esc leaves it, q quits */
	assert_int_equal(tui_key_action(KEY_RIGHT, true), ACT_NEXT);
	assert_int_equal(tui_key_action(27, true), ACT_CLOSE);
	assert_int_equal(tui_key_action('q', true), ACT_QUIT);
	assert_int_equal(tui_key_action('i', false), ACT_INSPECT);
}

static void test_help_from_table(void **state)
{
	Fixture *f = *state;
	char keys[128];
	tui_action_keys(ACT_NEXT, false, false, keys, sizeof keys);
	assert_string_equal(keys, "→ l space");
	tui_action_keys(ACT_NEXT, true, false, keys, sizeof keys);
	assert_string_equal(keys, "Right l space");
	/* keys only for inspector mode are listed apart, unbracketed */
	tui_action_keys(ACT_CUR_RIGHT, false, false, keys, sizeof keys);
	assert_string_equal(keys, "Shift-→");
	tui_action_keys(ACT_CUR_RIGHT, false, true, keys, sizeof keys);
	assert_string_equal(keys, "l");
	tui_action_keys(ACT_CUR_DOWN, true, true, keys, sizeof keys);
	assert_string_equal(keys, "Down j");
	tui_action_keys(ACT_INSPECT, false, false, keys, sizeof keys);
	assert_string_equal(keys, "i Enter");
	tui_action_keys(ACT_QUIT, false, false, keys, sizeof keys);
	assert_string_equal(keys, "q");
	assert_int_equal(tui_action_keys(ACT_QUIT, false, true, keys,
					 sizeof keys), 0);
	/* every action has at least one key and a help text of ≤ 20 */
	for (int a = 1; a < ACT_COUNT; a++) {
		assert_true(tui_action_keys((Action)a, false, false, keys,
					    sizeof keys) > 0);
		assert_true(strlen(tui_action_help((Action)a)) > 0);
		assert_true(tui_text_width(tui_action_help((Action)a)) <= 20);
	}
	f->s.help = true;
	char *txt = render(f, 80, 24);
	assert_non_null(strstr(txt, "│ keys          in inspector             keys"));
	assert_non_null(strstr(txt, "│ → l space         next step            "));
	assert_non_null(strstr(txt, "│ p                 end of the prompt    "));
	assert_non_null(strstr(txt, "│ Shift-↑       ↑ k cursor up            "));
	free(txt);
	/* any key closes the help without acting */
	assert_true(tui_state_apply(&f->s, f->t, ACT_NEXT));
	assert_false(f->s.help);
	assert_int_equal(f->s.step, 1);
}

/*
 * "any key closes this", q and Esc included: from the key through its
 * action to the state, the help closes and the program keeps running.
 */
static void test_help_close_keys(void **state)
{
	Fixture *f = *state;
	static const int keys[] = { 27, 'q', 'x', KEY_F(1), '?', KEY_RIGHT };
	for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
		assert_true(tui_state_apply(&f->s, f->t,
					    tui_key_action('?', false)));
		assert_true(f->s.help);
		Action a = tui_key_action(keys[i], f->s.inspect);
		assert_true(tui_state_apply(&f->s, f->t, a));
		assert_false(f->s.help);
		assert_false(f->s.quit);
		assert_int_equal(f->s.step, 1);
	}
	/* with the help closed, Esc still does not quit; q does */
	tui_state_apply(&f->s, f->t, tui_key_action(27, false));
	assert_false(f->s.quit);
	tui_state_apply(&f->s, f->t, tui_key_action('q', false));
	assert_true(f->s.quit);
}

/* ---- stepping ---- */

static void test_stepping(void **state)
{
	Fixture *f = *state;
	TuiState *s = &f->s;
	assert_int_equal(s->step, 1);
	assert_int_equal(s->steps, 6);
	assert_false(tui_state_apply(s, f->t, ACT_PREV)); /* already at 1 */
	assert_true(tui_state_apply(s, f->t, ACT_NEXT));
	assert_int_equal(s->step, 2);
	apply_n(f, ACT_NEXT, 10);
	assert_int_equal(s->step, 6);
	assert_false(tui_state_apply(s, f->t, ACT_NEXT));
	tui_state_apply(s, f->t, ACT_PREV);
	assert_int_equal(s->step, 5);
	tui_state_apply(s, f->t, ACT_PROMPT_END);
	assert_int_equal(s->step, 3);
	tui_state_apply(s, f->t, ACT_FIRST);
	assert_int_equal(s->step, 1);
	tui_state_apply(s, f->t, ACT_LAST);
	assert_int_equal(s->step, 6);
	assert_false(s->quit);
	tui_state_apply(s, f->t, ACT_QUIT);
	assert_true(s->quit);
}

static void test_panes_and_digits(void **state)
{
	Fixture *f = *state;
	TuiState *s = &f->s;
	assert_int_equal(s->solo, -1);
	tui_state_apply(s, f->t, ACT_FOCUS_NEXT);
	assert_int_equal(s->focus, MODE_CACHE);
	assert_int_equal(s->solo, -1);
	tui_state_apply(s, f->t, ACT_SHOW_PREFILL);
	assert_int_equal(s->solo, MODE_PREFILL);
	assert_int_equal(s->focus, MODE_PREFILL);
	tui_state_apply(s, f->t, ACT_FOCUS_NEXT); /* wraps, solo follows */
	assert_int_equal(s->focus, MODE_NOCACHE);
	assert_int_equal(s->solo, MODE_NOCACHE);
	tui_state_apply(s, f->t, ACT_SHOW_ALL);
	assert_int_equal(s->solo, -1);
	assert_int_equal(s->digits, 2);
	apply_n(f, ACT_DIGITS_MORE, 10);
	assert_int_equal(s->digits, TUI_DIGITS_MAX);
	apply_n(f, ACT_DIGITS_LESS, 10);
	assert_int_equal(s->digits, 1); /* never 0: 12.5 must not read 12 */
	TuiState s0;
	tui_state_init(&s0, f->t, 0); /* --digits 0 */
	assert_int_equal(s0.digits, 1);
}

/* The cursor on the newest column follows it; elsewhere it stays put. */
static void test_cursor(void **state)
{
	Fixture *f = *state;
	TuiState *s = &f->s;
	assert_int_equal(s->cur_mat, MAT_S);
	apply_n(f, ACT_NEXT, 2);
	assert_int_equal(s->cur_col, 3);
	apply_n(f, ACT_CUR_DOWN, 5); /* S has 3 key rows at step 3 */
	assert_int_equal(s->cur_row, 3);
	tui_state_apply(s, f->t, ACT_CUR_LEFT);
	assert_int_equal(s->cur_col, 2);
	tui_state_apply(s, f->t, ACT_NEXT); /* not on the newest: stays */
	assert_int_equal(s->cur_col, 2);
	tui_state_apply(s, f->t, ACT_FIRST); /* clamped into 1x1 */
	assert_int_equal(s->cur_row, 1);
	assert_int_equal(s->cur_col, 1);
	tui_state_apply(s, f->t, ACT_MAT_NEXT);
	assert_int_equal(s->cur_mat, MAT_A);
	tui_state_apply(s, f->t, ACT_MAT_PREV);
	tui_state_apply(s, f->t, ACT_MAT_PREV);
	assert_int_equal(s->cur_mat, MAT_V);
	apply_n(f, ACT_MAT_NEXT, 4);
	assert_int_equal(s->cur_mat, MAT_LOGITS);
	tui_state_apply(s, f->t, ACT_MAT_NEXT);
	assert_int_equal(s->cur_mat, MAT_X); /* wraps after logits */
}

/* ---- formatting ---- */

static void test_format(void **state)
{
	(void)state;
	char b[64];
	tui_format_value(3.0, 2, b, sizeof b);
	assert_string_equal(b, "3");
	tui_format_value(-1.5, 2, b, sizeof b);
	assert_string_equal(b, "-1.5");
	tui_format_value(12.5, 2, b, sizeof b);
	assert_string_equal(b, "12.5");
	tui_format_value(0.017986209962091555, 2, b, sizeof b);
	assert_string_equal(b, "0.02");
	tui_format_value(0.9999243223689305, 2, b, sizeof b);
	assert_string_equal(b, "1.00"); /* not "1": it is not exactly one */
	tui_format_value(-0.001, 2, b, sizeof b);
	assert_string_equal(b, "0.00");
	tui_format_value(0.017986209962091555, 4, b, sizeof b);
	assert_string_equal(b, "0.0180");
	/* at least one decimal for a fraction; integers stay integers */
	tui_format_value(2.5, 0, b, sizeof b);
	assert_string_equal(b, "2.5");
	tui_format_value(12.5, 1, b, sizeof b);
	assert_string_equal(b, "12.5");
	tui_format_value(-1.5, 0, b, sizeof b);
	assert_string_equal(b, "-1.5");
	tui_format_value(0.9999243223689305, 1, b, sizeof b);
	assert_string_equal(b, "1.0");
	tui_format_value(0.017986209962091555, 0, b, sizeof b);
	assert_string_equal(b, "0.0");
	tui_format_value(4.0, 0, b, sizeof b);
	assert_string_equal(b, "4");
}

/* ---- frames ---- */

static void test_frame_step1(void **state)
{
	Fixture *f = *state;
	check_frame(f, 80, 24, frame_80x24_step1);
}

static void test_frame_step3_cache(void **state)
{
	Fixture *f = *state;
	apply_n(f, ACT_NEXT, 2);
	tui_state_apply(&f->s, f->t, ACT_SHOW_CACHE);
	check_frame(f, 80, 24, frame_80x24_step3_cache);
}

static void test_frame_last_nocache(void **state)
{
	Fixture *f = *state;
	tui_state_apply(&f->s, f->t, ACT_LAST);
	tui_state_apply(&f->s, f->t, ACT_SHOW_NOCACHE);
	check_frame(f, 80, 24, frame_80x24_step6_nocache);
}

static void test_frame_wide_step3(void **state)
{
	Fixture *f = *state;
	apply_n(f, ACT_NEXT, 2);
	check_frame(f, 200, 60, frame_200x60_step3);
}

/* The first cell at or after column x0 on row y that starts `s`. */
static TuiCell *cell_of(Fixture *f, int y, int x0, const char *s)
{
	char *txt = tui_buf_text(&f->b);
	const char *line = txt;
	for (int i = 0; i < y; i++)
		line = strchr(line, '\n') + 1;
	/* columns count code points, not bytes */
	int col = 0;
	const char *p = line;
	TuiCell *c = NULL;
	while (*p && *p != '\n') {
		if (col >= x0 && strncmp(p, s, strlen(s)) == 0) {
			c = tui_buf_at(&f->b, col, y);
			break;
		}
		do
			p++;
		while (((unsigned char)*p & 0xC0) == 0x80);
		col++;
	}
	free(txt);
	return c;
}

/* Role of the first cell at or after column x0 on row y that starts `s`. */
static Role role_of(Fixture *f, int y, int x0, const char *s)
{
	TuiCell *c = cell_of(f, y, x0, s);
	return c ? (Role)c->role : ROLE_COUNT;
}

static void test_frame_roles(void **state)
{
	Fixture *f = *state;
	apply_n(f, ACT_NEXT, 2);
	free(render(f, 200, 60));
	/* row 4 is X row 1, row 11 K row 1; panes start at 0, 67 and 134 */
	assert_int_equal(role_of(f, 4, 0, "1!"), ROLE_RECOMPUTED);
	assert_int_equal(role_of(f, 4, 0, "0*"), ROLE_COMPUTED);
	assert_int_equal(role_of(f, 11, 67, "-2="), ROLE_REUSED);
	assert_int_equal(role_of(f, 11, 67, "-2*"), ROLE_COMPUTED);
	assert_int_equal(role_of(f, 4, 134, "0*"), ROLE_COMPUTED);
	/* S[2,1] is masked; S[1,3] is under the focused cursor */
	assert_int_equal(role_of(f, 18, 0, "·"), ROLE_MASKED);
	/* the cursor keeps the status role and flips reverse over the whole
	 * cell, its marker included, in the focused pane only */
	assert_int_equal(role_of(f, 17, 0, "-2*"), ROLE_COMPUTED);
	assert_int_equal(cell_of(f, 17, 0, "-2*")->mark, TUI_CURSOR_MARK);
	assert_int_equal(cell_of(f, 17, 0, "▶-2*")->mark, TUI_CURSOR_MARK);
	assert_int_equal(cell_of(f, 17, 0, "!  ▶")->mark, 0); /* the neighbour */
	assert_int_equal(role_of(f, 17, 67, "-2*"), ROLE_COMPUTED);
	assert_int_equal(cell_of(f, 17, 67, "-2*")->mark, 0);
	assert_int_equal(role_of(f, 1, 0, "[3:sat]"), ROLE_CURRENT);
}

static void test_too_small(void **state)
{
	Fixture *f = *state;
	static const char *const want[] = {
		" terminal too small",
		"     need 80x24",
		"      now 20x6",
		"",
		"      q quits",
		"",
		NULL,
	};
	check_frame(f, 20, 6, want);
	/* one column or one row short is too small; 80x24 is the frame */
	char *txt = render(f, 79, 24);
	assert_non_null(strstr(txt, "need 80x24"));
	assert_non_null(strstr(txt, "now 79x24"));
	free(txt);
	txt = render(f, 80, 23);
	assert_non_null(strstr(txt, "now 80x23"));
	free(txt);
	txt = render(f, 80, 24);
	assert_null(strstr(txt, "terminal too small"));
	free(txt);
}

/* ---- inspector ---- */

static void check_inspect(Fixture *f, Mode focus, Matrix mat, int r, int c,
			  const char *want)
{
	f->s.focus = focus;
	f->s.cur_mat = mat;
	f->s.cur_row = r;
	f->s.cur_col = c;
	char buf[1024];
	tui_inspect_text(&f->v, &f->s, buf, sizeof buf);
	assert_string_equal(buf, want);
}

static void test_inspector(void **state)
{
	Fixture *f = *state;
	apply_n(f, ACT_NEXT, 2);
	check_inspect(f, MODE_CACHE, MAT_S, 2, 3,
		      "S[2,3] = k2·q3/√4 = ((-1)·1 + 2·0 + 0·1 + (-1)·1)/2 = -1"
		      "   computed in pass 3, k2 reused from cache");
	check_inspect(f, MODE_NOCACHE, MAT_S, 2, 2,
		      "S[2,2] = k2·q2/√4 = ((-1)·1 + 2·1 + 0·1 + (-1)·(-1))/2"
		      " = 1   recomputed: an earlier pass already had it");
	check_inspect(f, MODE_NOCACHE, MAT_S, 3, 2,
		      "S[3,2] is masked: key 3 comes after query 2, so it is "
		      "never computed");
	check_inspect(f, MODE_CACHE, MAT_K, 1, 1,
		      "K[1,1] = W_K row 1 · x1 = ((-1)·1 + (-1)·1 + 0·0 + (-1)·0 + "
		      "(-1)·0) = -2   k1 reused from cache");
	check_inspect(f, MODE_CACHE, MAT_Q, 1, 2,
		      "Q[1,2]: not held by KV cache at step 3 (Q is never "
		      "cached: only the new query is needed)");
	check_inspect(f, MODE_PREFILL, MAT_A, 3, 3,
		      "A[3,3] = softmax down column 3 of S = e^(-0.5) / "
		      "(e^(-2) + e^(-1) + e^(-0.5)) = 0.55   computed in pass 1");
	check_inspect(f, MODE_CACHE, MAT_Z, 2, 3,
		      "Z[2,3] = V row 2 · A column 3 = (1·0.1220 + 3·0.3315 + "
		      "(-2)·0.5465) = 0.02   computed in pass 3, v1..v2 reused "
		      "from cache");
	check_inspect(f, MODE_CACHE, MAT_LOGITS, 5, 3,
		      "logit \"on\" = W_out row 5 · z3 = (0·1.7561 + 0·0.0233 + "
		      "1·1.7616) = 1.76   the largest: 3:sat predicts \"on\" "
		      "(next token)   computed in pass 3");
	check_inspect(f, MODE_NOCACHE, MAT_X, 3, 1,
		      "X[3,1] = embedding of \"the\", row 3 = 0   recomputed: an "
		      "earlier pass already had it");
}

/* ---- buffer and theme ---- */

static void test_buf(void **state)
{
	(void)state;
	TuiBuf b = { 0 };
	assert_int_equal(tui_buf_resize(&b, 6, 2), 0);
	assert_int_equal(tui_buf_puts(&b, 1, 0, ROLE_TITLE, "k·q→ab"), 6);
	tui_buf_put(&b, 0, 1, 3, ROLE_NORMAL, "abcdef");
	tui_buf_puts(&b, -1, 5, ROLE_NORMAL, "off the grid");
	char *txt = tui_buf_text(&b);
	assert_string_equal(txt, " k·q→a\nabc\n");
	assert_int_equal(tui_buf_at(&b, 2, 0)->role, ROLE_TITLE);
	assert_int_equal(tui_buf_at(&b, 2, 0)->ch, 0xB7);
	assert_null(tui_buf_at(&b, 6, 0));
	assert_int_equal(tui_text_width("√4·→"), 4);
	free(txt);
	tui_buf_free(&b);
}

/* Without colour, every status still differs in attributes and glyph. */
static void test_mono_theme(void **state)
{
	(void)state;
	CellStatus st[] = { CELL_COMPUTED, CELL_REUSED, CELL_RECOMPUTED,
			    CELL_MASKED, CELL_EVICTED };
	for (int i = 0; i < 5; i++) {
		TuiStyle a = tui_theme_style(tui_status_role(st[i]), true);
		assert_int_equal(a.fg, TC_DEFAULT);
		assert_int_equal(a.bg, TC_DEFAULT);
		for (int j = i + 1; j < 5; j++) {
			TuiStyle b = tui_theme_style(tui_status_role(st[j]), true);
			assert_true(a.attrs != b.attrs);
			assert_string_not_equal(tui_status_glyph(st[i], false),
						tui_status_glyph(st[j], false));
		}
	}
	assert_int_equal(tui_theme_style(ROLE_COMPUTED, true).attrs, TA_BOLD);
	assert_int_equal(tui_theme_style(ROLE_REUSED, true).attrs, TA_UNDERLINE);
	/*
	 * Under the cursor (reverse flipped) every status still differs from
	 * every other status, with or without the cursor: reverse never makes
	 * computed look reused, nor reused computed (NO_COLOR).
	 */
	for (int i = 0; i < 5; i++) {
		unsigned a = tui_theme_style(tui_status_role(st[i]), true).attrs;
		unsigned ac = a ^ TUI_CURSOR_MARK;
		for (int j = 0; j < 5; j++) {
			unsigned b = tui_theme_style(tui_status_role(st[j]), true).attrs;
			assert_true(ac != b);
			if (i != j)
				assert_true(ac != (b ^ TUI_CURSOR_MARK));
		}
	}
	assert_int_equal(tui_theme_style(ROLE_COMPUTED, false).bg, TC_GREEN);
	assert_int_equal(tui_theme_style(ROLE_NORMAL, false).bg, TC_DEFAULT);
	assert_string_equal(tui_status_glyph(CELL_MASKED, true), ".");
	assert_string_equal(tui_status_glyph(CELL_EVICTED, false), "x");
	assert_int_equal(tui_status_role(CELL_EVICTED), ROLE_EVICTED);
	assert_int_equal(tui_theme_style(ROLE_EVICTED, true).attrs, TA_DIM);
	/* colour: its own grey slot, unlike every other status */
	assert_int_equal(tui_theme_style(ROLE_EVICTED, false).bg, TC_WHITE);
	assert_false(tui_theme_wants_mono(false, NULL));
	assert_false(tui_theme_wants_mono(false, ""));
	assert_true(tui_theme_wants_mono(false, "1"));
	assert_true(tui_theme_wants_mono(true, NULL));
}


/* ---- layers, heads and sliding windows ---- */

static void test_keys_layers_heads(void **state)
{
	(void)state;
	for (int insp = 0; insp < 2; insp++) {
		assert_int_equal(tui_key_action('>', insp), ACT_LAYER_NEXT);
		assert_int_equal(tui_key_action('<', insp), ACT_LAYER_PREV);
		assert_int_equal(tui_key_action('.', insp), ACT_HEAD_NEXT);
		assert_int_equal(tui_key_action(',', insp), ACT_HEAD_PREV);
	}
	char keys[128];
	tui_action_keys(ACT_LAYER_NEXT, false, false, keys, sizeof keys);
	assert_string_equal(keys, ">");
	assert_string_equal(tui_action_help(ACT_HEAD_NEXT), "next query head");
	/* no binding is shadowed by another in the same scope */
	int n;
	const KeyBinding *kb = tui_key_table(&n);
	for (int i = 0; i < n; i++)
		for (int insp = 0; insp < 2; insp++)
			if (kb[i].scope == SCOPE_ANY ||
			    (kb[i].scope == SCOPE_INSPECT) == insp)
				assert_int_equal(tui_key_action(kb[i].key, insp),
						 kb[i].action);
}

/* The help lists the new keys even at 80x24, in two columns. */
static void test_help_80x24_complete(void **state)
{
	Fixture *f = *state;
	f->s.help = true;
	char *txt = render(f, 80, 24);
	assert_non_null(strstr(txt, "│ >                 next layer (wraps)   "));
	assert_non_null(strstr(txt, " t        tiled/standard view  │"));
	assert_non_null(strstr(txt, " ,        previous query head  │"));
	assert_non_null(strstr(txt, " i Enter  inspector on/off     │"));
	assert_non_null(strstr(txt, " Esc      close help/inspector │"));
	assert_non_null(strstr(txt, " q        quit                 │"));
	assert_non_null(strstr(txt, "│ status 1* computed  1= reused (cache)  1! recomputed   x evicted     │"));
	free(txt);
	/*
	 * --ascii or LANG=C: longer key names ("Left h Backspace"). The box
	 * still fits 80 columns, every row between its borders, and help
	 * texts wrap in their column instead of being cut.
	 */
	tui_view_init(&f->v, f->t, true, f->s.digits);
	txt = render(f, 80, 24);
	static const char *const want[] = {
		"+- keys ---------------------------------------------------------------------+",
		"| keys             in inspector                keys    in inspector          |",
		"| Right l space           next step            <        previous layer       |",
		"| Left h Backspace        previous step        .        next query head      |",
		"| Shift-Right      l      cursor right         t        tiled/standard view  |",
		"| >                       next layer (wraps)                                 |",
		"| Shift-Up         Up k   cursor up            Esc      close help/inspector |",
		"| Shift-Down       Down j cursor down          ? F1     this help            |",
		"| [ PgUp                  previous matrix      q        quit                 |",
		"| status 1* computed  1= reused (cache)  1! recomputed   x evicted           |",
		"|         . masked (later key)  blank: not held by this mode  > cursor       |",
		"| any key closes this help, q and Esc too                                    |",
		NULL,
	};
	/* the box is 78 wide: each row sits between two cells of the frame */
	for (int i = 0; want[i]; i++)
		assert_non_null(strstr(txt, want[i]));
	free(txt);
}

static void test_select_local_global(void **state)
{
	Fixture *f = *state;
	TuiState *s = &f->s;
	assert_true(s->selectors);
	assert_int_equal(s->layers, 3);
	assert_int_equal(s->heads, 2);
	assert_int_equal(s->layer, 1);
	assert_true(tui_state_apply(s, f->t, ACT_LAYER_NEXT));
	assert_int_equal(s->layer, 2);
	apply_n(f, ACT_LAYER_NEXT, 2); /* wraps after the last layer */
	assert_int_equal(s->layer, 1);
	tui_state_apply(s, f->t, ACT_LAYER_PREV);
	assert_int_equal(s->layer, 3);
	tui_state_apply(s, f->t, ACT_HEAD_NEXT);
	assert_int_equal(s->head, 2);
	/* one KV head: both query heads read it; logits have no layer */
	assert_int_equal(tui_state_head_of(s, f->t, MAT_K), 1);
	assert_int_equal(tui_state_head_of(s, f->t, MAT_S), 2);
	assert_int_equal(tui_state_head_of(s, f->t, MAT_H), 1);
	assert_int_equal(tui_state_layer_of(s, MAT_LOGITS), 1);
	assert_int_equal(tui_state_layer_of(s, MAT_H), 3);
	tui_state_apply(s, f->t, ACT_HEAD_PREV);
	assert_int_equal(s->head, 1);
	/* H is shown between Z and the logits */
	const Matrix *list;
	assert_int_equal(tui_shown_matrices(f->t, &list), 9);
	assert_int_equal(list[7], MAT_H);
	s->cur_mat = MAT_Z;
	tui_state_apply(s, f->t, ACT_MAT_NEXT);
	assert_int_equal(s->cur_mat, MAT_H);
}

static void test_select_gqa(void **state)
{
	Fixture *f = *state;
	TuiState *s = &f->s;
	assert_int_equal(s->heads, 4);
	assert_false(tui_state_apply(s, f->t, ACT_LAYER_NEXT)); /* one layer */
	int want_kv[] = { 1, 1, 2, 2 };
	for (int h = 1; h <= 4; h++) {
		assert_int_equal(s->head, h);
		assert_int_equal(tui_state_head_of(s, f->t, MAT_V), want_kv[h - 1]);
		assert_int_equal(tui_state_head_of(s, f->t, MAT_Q), h);
		tui_state_apply(s, f->t, ACT_HEAD_NEXT);
	}
	assert_int_equal(s->head, 1);
}

/* A classic model has no selectors: the keys do nothing, no H block. */
static void test_select_classic(void **state)
{
	Fixture *f = *state;
	assert_false(f->s.selectors);
	assert_false(tui_state_apply(&f->s, f->t, ACT_LAYER_NEXT));
	assert_false(tui_state_apply(&f->s, f->t, ACT_HEAD_PREV));
	assert_int_equal(f->s.layer, 1);
	assert_int_equal(f->s.head, 1);
	const Matrix *list;
	assert_int_equal(tui_shown_matrices(f->t, &list), 8);
	char *txt = render(f, 200, 60);
	assert_null(strstr(txt, "layer 1/1"));
	assert_null(strstr(txt, "evicted"));
	assert_null(strstr(txt, "cache 0 cells: a column"));
	free(txt);
}

static void test_frame_lg_step4_cache(void **state)
{
	Fixture *f = *state;
	apply_n(f, ACT_NEXT, 3);
	tui_state_apply(&f->s, f->t, ACT_SHOW_CACHE);
	check_frame(f, 80, 24, frame_lg_80x24_step4_cache);
	/* evicted K cells: grey, an "x" and no value; the legend says so */
	assert_int_equal(role_of(f, 23, 40, "x"), ROLE_EVICTED);
	assert_int_equal(role_of(f, 12, 21, "2x"), ROLE_EVICTED);
	assert_int_equal(role_of(f, 12, 0, "L1"), ROLE_TAB_ACTIVE);
	assert_int_equal(role_of(f, 14, 0, "L3"), ROLE_TITLE);
	/* 6 rows more show K and V above S, k1 and k2 evicted (x, no value) */
	free(render(f, 80, 30));
	assert_int_equal(role_of(f, 10, 0, "x"), ROLE_EVICTED);
}

static void test_frame_lg_wide_layer3(void **state)
{
	Fixture *f = *state;
	apply_n(f, ACT_NEXT, 4);
	tui_state_apply(&f->s, f->t, ACT_SHOW_CACHE);
	apply_n(f, ACT_LAYER_NEXT, 2);
	check_frame(f, 120, 40, frame_lg_120x40_step5_layer3);
}

static void test_frame_gqa_head3(void **state)
{
	Fixture *f = *state;
	apply_n(f, ACT_NEXT, 3);
	tui_state_apply(&f->s, f->t, ACT_SHOW_CACHE);
	apply_n(f, ACT_HEAD_NEXT, 2);
	check_frame(f, 80, 24, frame_gqa_80x24_step4_head3);
}

/* Below the minimum a stacked model also gets the too-small screen. */
static void test_too_small_stacked(void **state)
{
	Fixture *f = *state;
	char *txt = render(f, 79, 30);
	assert_non_null(strstr(txt, "need 80x24"));
	assert_null(strstr(txt, "layer 1/3"));
	free(txt);
}

/* The bundled models, by the names -m takes. */
static const char *const bundled[] = { "default", "gqa", "mqa", "local-global" };
enum { N_BUNDLED = sizeof bundled / sizeof bundled[0] };

/*
 * The cache panel's per-layer cells add up to the trace's counters in
 * every bundled model, step and mode.
 */
static void test_cache_totals(void **state)
{
	(void)state;
	for (size_t i = 0; i < N_BUNDLED; i++) {
		Fixture *f;
		setup_named((void **)&f, bundled[i]);
		for (int step = 1; step <= trace_steps(f->t); step++) {
			for (int m = 0; m < MODE_COUNT; m++) {
				const Counters *c =
					&trace_step(f->t, step, (Mode)m)->total;
				uint64_t cells = 0, bytes = 0;
				for (int l = 1; l <= trace_layers(f->t); l++) {
					TuiLayerCache lc;
					tui_cache_layer(f->t, step, (Mode)m, l,
							&lc);
					cells += lc.cells;
					bytes += lc.bytes;
				}
				assert_int_equal(cells, c->cache_cells);
				assert_int_equal(bytes, c->cache_bytes);
			}
		}
		void *p = f;
		teardown(&p);
	}
}

static void test_cache_layers(void **state)
{
	Fixture *f = *state;
	TuiLayerCache lc;
	/* step 4, KV cache: local layer 1 holds 3-4, column 2 just left */
	tui_cache_layer(f->t, 4, MODE_CACHE, 1, &lc);
	assert_int_equal(lc.window, 2);
	assert_int_equal(lc.lo, 3);
	assert_int_equal(lc.hi, 4);
	assert_int_equal(lc.evicted, 2);
	assert_int_equal(lc.cells, 8);
	assert_int_equal(lc.bytes, 32);
	/* the global layer grows: 1-4, nothing evicted */
	tui_cache_layer(f->t, 4, MODE_CACHE, 3, &lc);
	assert_int_equal(lc.window, 0);
	assert_int_equal(lc.lo, 1);
	assert_int_equal(lc.hi, 4);
	assert_int_equal(lc.evicted, 0);
	assert_int_equal(lc.cells, 16);
	/* flat: local layers hold 8 cells from step 2 on */
	for (int step = 2; step <= 6; step++) {
		tui_cache_layer(f->t, step, MODE_CACHE, 2, &lc);
		assert_int_equal(lc.cells, 8);
		assert_int_equal(lc.evicted, step > 2 ? step - 2 : 0);
		tui_cache_layer(f->t, step, MODE_CACHE, 3, &lc);
		assert_int_equal(lc.cells, (uint64_t)(4 * step));
	}
	/* prefill's first pass covers 1-3 and already pushed 1 out */
	tui_cache_layer(f->t, 2, MODE_PREFILL, 1, &lc);
	assert_int_equal(lc.lo, 2);
	assert_int_equal(lc.hi, 3);
	assert_int_equal(lc.evicted, 1);
	/* no cache keeps nothing */
	tui_cache_layer(f->t, 4, MODE_NOCACHE, 3, &lc);
	assert_true(lc.lo > lc.hi);
	assert_int_equal(lc.cells, 0);
}

static void check_inspect_lh(Fixture *f, int layer, int head, Mode focus,
			     Matrix mat, int r, int c, const char *want)
{
	f->s.layer = layer;
	f->s.head = head;
	check_inspect(f, focus, mat, r, c, want);
}

/*
 * Values checked against `kvstep -m local-global export`: step 4 cache,
 * layer 3: H[1,4] = 1.12 (1.1214100718046032), logits of "mat" at 4 read
 * h4 of layer 3.
 */
static void test_inspector_stacked(void **state)
{
	Fixture *f = *state;
	apply_n(f, ACT_NEXT, 3);
	check_inspect_lh(f, 1, 1, MODE_CACHE, MAT_K, 1, 2,
			 "L1.KV1 K[1,2] evicted: layer 1 caches only the last 2 "
			 "columns; column 2 left slot 2, which now holds column "
			 "4");
	check_inspect_lh(f, 1, 1, MODE_CACHE, MAT_S, 2, 4,
			 "L1.H1 S[2,4] is masked: key 2 is outside query 4's "
			 "window of 2 (keys 3-4), so it is never computed");
	check_inspect_lh(f, 1, 2, MODE_CACHE, MAT_A, 4, 4,
			 "L1.H2 A[4,4] = softmax down column 4 of S = e^(-1.4142)"
			 " / (e^2.8284 + e^(-1.4142)) = 0.01   computed in pass 4");
	check_inspect_lh(f, 1, 2, MODE_CACHE, MAT_Z, 2, 4,
			 "L1.H2 Z[2,4] = V row 2 · A column 4 = (1·0.9858 + "
			 "1·0.0142) = 1   computed in pass 4, v3 reused from cache");
	check_inspect_lh(f, 2, 2, MODE_CACHE, MAT_Q, 1, 4,
			 "L2.H2 Q[1,4] = W_Q of head 2 row 1 · x4 = (1·(-1) + 0·0 "
			 "+ 0·(-2) + 1·0) = -1   computed in pass 4");
	check_inspect_lh(f, 2, 1, MODE_NOCACHE, MAT_V, 2, 3,
			 "L2.KV1 V[2,3] = W_V of KV head 1 row 2 · x3 = "
			 "(1·(-1.1956) + 1·0 + 1·(-1.2514) + 1·(-1.0558)) = -3.50"
			 "   recomputed: an earlier pass already had it");
	check_inspect_lh(f, 2, 1, MODE_CACHE, MAT_X, 2, 4,
			 "L2 X[2,4] = H[2,4] of layer 1, the layer below = 0   "
			 "computed in pass 4");
	check_inspect_lh(f, 1, 1, MODE_CACHE, MAT_X, 4, 4,
			 "L1 X[4,4] = embedding of \"on\", row 4 = 1   computed "
			 "in pass 4");
	check_inspect_lh(f, 3, 1, MODE_CACHE, MAT_H, 1, 4,
			 "L3 H[1,4] = x4 + W_O row 1 · concat(z heads 1-2) = "
			 "(-1) + ((-1)·(-2.1214) + 0·(-0.6600) + 0·(-2.0237) + "
			 "0·(-3.0629)) = 1.12   computed in pass 4");
	check_inspect_lh(f, 3, 2, MODE_CACHE, MAT_LOGITS, 1, 4,
			 "logit \"the\" = W_out row 1 · h4 of layer 3 = "
			 "(0·1.1214 + 2·2.6305 + 1·0.7814 + 0·(-4.5242)) = 6.04"
			 "   the largest: 4:on predicts \"the\" (next token)   "
			 "computed in pass 4");
	/*
	 * Prefill's pass 1 over the 3-token prompt at step 2: layer 1 keeps
	 * 2 columns, so k1 and v1 were computed, used by queries 1-2, then
	 * evicted. Their values are still the trace's (export: K[2,1] = 1).
	 */
	tui_state_apply(&f->s, f->t, ACT_FIRST);
	tui_state_apply(&f->s, f->t, ACT_NEXT);
	check_inspect_lh(f, 1, 1, MODE_PREFILL, MAT_K, 2, 1,
			 "L1.KV1 K[2,1] = W_K of KV head 1 row 2 · x1 = (1·1 + "
			 "0·0 + 2·0 + (-1)·0) = 1   k1 was used by this pass, "
			 "then evicted (window 2)");
	/* the cache mode at step 4 never used k2 again: no value */
	apply_n(f, ACT_NEXT, 2);
	check_inspect_lh(f, 1, 1, MODE_CACHE, MAT_K, 2, 2,
			 "L1.KV1 K[2,2] evicted: layer 1 caches only the last 2 "
			 "columns; column 2 left slot 2, which now holds column "
			 "4");
}

/*
 * local-global, prefill at step 2: its pass 1 covered 1-3, so layer 1's
 * column 1 was computed, used, then pushed out of the window of 2. The
 * pane keeps the values (export: V[1,1] = 0, V[2,1] = 0) dimmed with "x",
 * and S[1,2], built from k1, says so.
 */
static void test_prefill_evicted_values(void **state)
{
	Fixture *f = *state;
	tui_state_apply(&f->s, f->t, ACT_NEXT);
	tui_state_apply(&f->s, f->t, ACT_SHOW_PREFILL);
	char *txt = render(f, 80, 24);
	assert_non_null(strstr(txt, "\n1      0x     0*     0*   k1   0.71* "
				    "▶1.41*      ·"));
	assert_non_null(strstr(txt, "\n2      0x     2*     1*   k2"));
	free(txt);
	assert_int_equal(role_of(f, 5, 0, "0x"), ROLE_EVICTED);
	char buf[1024];
	tui_inspect_text(&f->v, &f->s, buf, sizeof buf);
	assert_string_equal(buf, "L1.H1 S[1,2] = k1·q2/√2 = (0·(-1) + 1·2)/√2 = "
			    "1.41   computed in pass 1, k1 was used by this "
			    "pass, then evicted (window 2)");
	/* the KV cache pane at step 4 holds no value for evicted k1 */
	apply_n(f, ACT_NEXT, 2);
	tui_state_apply(&f->s, f->t, ACT_SHOW_CACHE);
	txt = render(f, 80, 30);
	assert_non_null(strstr(txt, "\n1       x      x     0=    -1*"));
	free(txt);
}

/*
 * `0` on a screen too narrow for three panes says why nothing changed,
 * until the next key; side by side, the inspector names its pane.
 */
static void test_show_all_narrow(void **state)
{
	Fixture *f = *state;
	tui_state_apply(&f->s, f->t, ACT_SHOW_CACHE);
	tui_state_apply(&f->s, f->t, ACT_SHOW_ALL);
	char *txt = render(f, 80, 24);
	assert_non_null(strstr(txt, "\nall three panes need 146 columns (this "
				    "terminal has 80); Tab or 1 2 3 pick one\n"));
	assert_null(strstr(txt, "legend"));
	free(txt);
	txt = render(f, 146, 40); /* fits: no message, the panes say it */
	assert_null(strstr(txt, "all three panes need"));
	assert_non_null(strstr(txt, "\nKV cache: S[1,1] = k1·q1/√4"));
	free(txt);
	tui_state_apply(&f->s, f->t, ACT_NEXT);
	txt = render(f, 80, 24);
	assert_null(strstr(txt, "all three panes need"));
	assert_non_null(strstr(txt, "\nlegend "));
	/* one pane with tabs: the tab names the mode, the line does not */
	assert_non_null(strstr(txt, "\nS[1,2] = k1·q2/√4"));
	free(txt);
}

/* The header keeps a help hint at 80 columns on every step and model. */
static void test_header_hint(void **state)
{
	(void)state;
	for (size_t i = 0; i < N_BUNDLED; i++) {
		Fixture *f;
		setup_named((void **)&f, bundled[i]);
		for (int step = 1; step <= trace_steps(f->t); step++) {
			f->s.step = step;
			char *txt = render(f, 80, 24);
			char *eol = strchr(txt, '\n');
			*eol = '\0';
			char *hint = strstr(txt, "  ?:help");
			assert_non_null(hint);
			/* at the right edge: "?:help" or "?:help  q:quit" */
			assert_true(strcmp(hint, "  ?:help") == 0 ||
				    strcmp(hint, "  ?:help  q:quit") == 0);
			*eol = '\n';
			char say[64];
			snprintf(say, sizeof say, "  %d:", step);
			assert_non_null(strstr(txt, say));
			assert_non_null(strstr(txt, step < trace_prompt_len(f->t)
						    ? " (prompt: \""
						    : " (next token)"));
			free(txt);
		}
		void *p = f;
		teardown(&p);
	}
}

/*
 * Operands carry two more decimals than the result, so the sum checks
 * on paper (export: Z[2,4] = 1.5995, the shown operands give 1.602); a
 * logit read inside the prompt says what the prompt does instead.
 */
static void test_inspector_precision(void **state)
{
	Fixture *f = *state;
	apply_n(f, ACT_NEXT, 3);
	check_inspect(f, MODE_CACHE, MAT_Z, 2, 4,
		      "Z[2,4] = V row 2 · A column 4 = (1·0.1337 + 3·0.1337 + "
		      "(-2)·0.5990 + 0·0.1337) = -0.66   computed in pass 4, "
		      "v1..v3 reused from cache");
	tui_state_apply(&f->s, f->t, ACT_FIRST);
	check_inspect(f, MODE_CACHE, MAT_LOGITS, 2, 1,
		      "logit \"cat\" = W_out row 2 · z1 = ((-2)·0 + 1·1 + 1·1) "
		      "= 2   the largest: 1:the predicts \"cat\" (prompt: "
		      "\"cat\")   computed in pass 1");
	/*
	 * Z[2,6]: the shown operands give -0.8250 (rounds to -0.83), the
	 * trace -0.82495 (-0.82): "≈", not "=".
	 */
	apply_n(f, ACT_NEXT, 5);
	check_inspect(f, MODE_CACHE, MAT_Z, 2, 6,
		      "Z[2,6] = V row 2 · A column 6 = (1·0.0295 + 3·0.0487 + "
		      "(-2)·0.2183 + 0·0.0803 + 1·0.0295 + (-1)·0.5935) ≈ -0.82"
		      "   computed in pass 6, v1..v5 reused from cache");
}

/* GQA: K and V name their KV head; √2 stays a root, not 1.41. */
static void test_inspector_gqa(void **state)
{
	Fixture *f = *state;
	apply_n(f, ACT_NEXT, 2);
	check_inspect_lh(f, 1, 3, MODE_CACHE, MAT_K, 1, 3,
			 "L1.KV2 K[1,3] = W_K of KV head 2 row 1 · x3 = (1·0 + "
			 "0·0 + 1·1 + 0·0 + 1·0 + 1·0) = 1   computed in pass 3");
	check_inspect_lh(f, 1, 1, MODE_CACHE, MAT_S, 1, 3,
			 "L1.H1 S[1,3] = k1·q3/√2 = (0·2 + 1·2)/√2 = 1.41   "
			 "computed in pass 3, k1 reused from cache");
	/* head 2 shares KV head 1 but has its own W_Q: another score */
	check_inspect_lh(f, 1, 2, MODE_CACHE, MAT_S, 1, 3,
			 "L1.H2 S[1,3] = k1·q3/√2 = (0·2 + 1·0)/√2 = 0   "
			 "computed in pass 3, k1 reused from cache");
}

/* ---- the inspector fitted to its two rows ---- */

/* `s` with every run of spaces made one space, ends trimmed. */
static void squeeze(const char *s, char *out, size_t n)
{
	size_t k = 0;
	for (; *s && k + 1 < n; s++) {
		if (*s == ' ' && (k == 0 || out[k - 1] == ' '))
			continue;
		out[k++] = *s;
	}
	while (k > 0 && out[k - 1] == ' ')
		k--;
	out[k] = '\0';
}

/*
 * The inspector drawn in 2 rows of `w` columns, rows joined: either the
 * whole text, or a cut one where the part after the last "…" is how the
 * whole text ends (the result and status kept) or nothing (a cut end).
 */
static void check_fitted(Fixture *f, int w)
{
	char full[1024], want[1024], got[1024];
	tui_inspect_text(&f->v, &f->s, full, sizeof full);
	squeeze(full, want, sizeof want);
	assert_int_equal(tui_buf_resize(&f->b, w, 2), 0);
	tui_buf_clear(&f->b);
	tui_render_inspector(&f->b, &f->v, &f->s, (TuiRect){ 0, 0, w, 2 },
			     false);
	char *txt = tui_buf_text(&f->b);
	assert_non_null(txt);
	assert_memory_equal(txt, "INSPECT ", 8);
	for (char *p = txt; *p; p++)
		if (*p == '\n')
			*p = ' ';
	squeeze(txt + 8, got, sizeof got);
	free(txt);
	if (strcmp(got, want) == 0)
		return;
	const char *ell = f->v.ascii ? "..." : "…", *tail = NULL;
	for (const char *p = strstr(got, ell); p; p = strstr(p + 1, ell))
		tail = p + strlen(ell);
	if (!tail || (*tail && (strlen(tail) > strlen(want) ||
				strcmp(want + strlen(want) - strlen(tail),
				       tail) != 0)))
		fail_msg("cut without a mark at %d columns:\n  shown %s\n  "
			 "whole %s", w, got, want);
}

/* Every cell of every pane at every step and layer, for one model. */
static void check_model_fitted(const char *name)
{
	void *st;
	setup_named(&st, name);
	Fixture *f = st;
	f->s.inspect = true;
	for (int step = 1; step <= f->s.steps; step++) {
		for (int l = 1; l <= f->s.layers; l++)
			for (int m = 0; m < MODE_COUNT; m++) {
				f->s.layer = l;
				f->s.focus = (Mode)m;
				const Matrix *mats;
				int n = tui_state_matrices(&f->s, f->t, &mats);
				for (int i = 0; i < n; i++) {
					int rows, lo, hi;
					tui_state_extent(&f->s, f->t, (Mode)m,
							 mats[i], &rows, &lo,
							 &hi);
					f->s.cur_mat = mats[i];
					for (int r = 1; r <= rows; r++)
						for (int c = lo; c <= hi; c++) {
							f->s.cur_row = r;
							f->s.cur_col = c;
							f->v.ascii = false;
							check_fitted(f, 80);
							f->v.ascii = true;
							check_fitted(f, 80);
						}
				}
			}
		tui_state_apply(&f->s, f->t, ACT_NEXT);
	}
	teardown(&st);
}

static void test_inspector_cut_marked(void **state)
{
	(void)state;
	const char *names[] = { "default", "gqa", "local-global", "mqa",
				"rope", "streaming" };
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		check_model_fitted(names[i]);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
#define T_LG(fn) cmocka_unit_test_setup_teardown(fn, setup_lg, teardown)
#define T_GQA(fn) cmocka_unit_test_setup_teardown(fn, setup_gqa, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_keys_steps),
		cmocka_unit_test(test_inspector_cut_marked),
		T(test_keys_inspector),
		T(test_help_from_table),
		T(test_help_close_keys),
		T(test_stepping),
		T(test_panes_and_digits),
		T(test_cursor),
		T(test_format),
		T(test_frame_step1),
		T(test_frame_step3_cache),
		T(test_frame_last_nocache),
		T(test_frame_wide_step3),
		T(test_frame_roles),
		T(test_too_small),
		T(test_inspector),
		T(test_buf),
		T(test_mono_theme),
		T(test_keys_layers_heads),
		T(test_help_80x24_complete),
		T(test_select_classic),
		T_LG(test_select_local_global),
		T_GQA(test_select_gqa),
		T_LG(test_frame_lg_step4_cache),
		T_LG(test_frame_lg_wide_layer3),
		T_GQA(test_frame_gqa_head3),
		T_LG(test_too_small_stacked),
		T(test_cache_totals),
		T_LG(test_cache_layers),
		T_LG(test_inspector_stacked),
		T(test_inspector_precision),
		T_LG(test_prefill_evicted_values),
		T(test_show_all_narrow),
		T(test_header_hint),
		T_GQA(test_inspector_gqa),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
