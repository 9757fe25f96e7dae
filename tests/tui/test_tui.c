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
#include <stdlib.h>
#include <string.h>

#include "run.h"
#include "tui_keys.h"
#include "tui_render.h"
#include "tui_state.h"
#include "tui_theme.h"

#include "expected_frames.h"

typedef struct Fixture {
	Model *m;
	Trace *t;
	TuiView v;
	TuiState s;
	TuiBuf b;
} Fixture;

static int setup(void **state)
{
	Fixture *f = calloc(1, sizeof *f);
	KvError err;
	kv_error_clear(&err);
	f->m = model_load_default(&err);
	assert_non_null(f->m);
	RunConfig cfg = run_config_default(f->m);
	f->t = run_trace(f->m, &cfg, &err);
	assert_non_null(f->t);
	tui_state_init(&f->s, f->t, -1);
	tui_view_init(&f->v, f->t, false, f->s.digits);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	Fixture *f = *state;
	tui_buf_free(&f->b);
	trace_free(f->t);
	model_free(f->m);
	free(f);
	return 0;
}

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

/* Joins NULL-terminated rows into one string, a newline after each. */
static char *join_rows(const char *const *rows)
{
	size_t n = 1;
	for (int i = 0; rows[i]; i++)
		n += strlen(rows[i]) + 1;
	char *s = malloc(n), *p = s;
	assert_non_null(s);
	for (int i = 0; rows[i]; i++) {
		size_t len = strlen(rows[i]);
		memcpy(p, rows[i], len);
		p[len] = '\n';
		p += len + 1;
	}
	*p = '\0';
	return s;
}

static void check_frame(Fixture *f, int w, int h, const char *const *rows)
{
	char *got = render(f, w, h);
	char *want = join_rows(rows);
	assert_string_equal(got, want);
	free(want);
	free(got);
}

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
	assert_int_equal(tui_key_action(27, false), ACT_QUIT);
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
	assert_int_equal(tui_key_action(27, true), ACT_INSPECT);
	assert_int_equal(tui_key_action('q', true), ACT_QUIT);
	assert_int_equal(tui_key_action('i', false), ACT_INSPECT);
}

static void test_help_from_table(void **state)
{
	Fixture *f = *state;
	char keys[128];
	tui_action_keys(ACT_NEXT, false, keys, sizeof keys);
	assert_string_equal(keys, "→ l space");
	tui_action_keys(ACT_NEXT, true, keys, sizeof keys);
	assert_string_equal(keys, "Right l space");
	tui_action_keys(ACT_CUR_RIGHT, false, keys, sizeof keys);
	assert_string_equal(keys, "Shift-→ [l]");
	tui_action_keys(ACT_QUIT, false, keys, sizeof keys);
	assert_string_equal(keys, "q Esc");
	/* every action with a help text has at least one key */
	for (int a = 1; a < ACT_COUNT; a++) {
		assert_true(tui_action_keys((Action)a, false, keys, sizeof keys) > 0);
		assert_true(strlen(tui_action_help((Action)a)) > 0);
	}
	f->s.help = true;
	char *txt = render(f, 80, 24);
	assert_non_null(strstr(txt, "│ → l space       next step              "));
	assert_non_null(strstr(txt, "│ p               end of prompt/prefill  "));
	free(txt);
	/* any key closes the help without acting */
	assert_true(tui_state_apply(&f->s, f->t, ACT_NEXT));
	assert_false(f->s.help);
	assert_int_equal(f->s.step, 1);
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
	assert_int_equal(s->digits, 0);
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
	tui_format_value(2.5, 0, b, sizeof b);
	assert_string_equal(b, "2");
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

/* Role of the first cell at or after column x0 on row y that starts `s`. */
static Role role_of(Fixture *f, int y, int x0, const char *s)
{
	char *txt = tui_buf_text(&f->b);
	const char *line = txt;
	for (int i = 0; i < y; i++)
		line = strchr(line, '\n') + 1;
	/* columns count code points, not bytes */
	int col = 0;
	const char *p = line;
	Role r = ROLE_COUNT;
	while (*p && *p != '\n') {
		if (col >= x0 && strncmp(p, s, strlen(s)) == 0) {
			r = (Role)tui_buf_at(&f->b, col, y)->role;
			break;
		}
		do
			p++;
		while (((unsigned char)*p & 0xC0) == 0x80);
		col++;
	}
	free(txt);
	return r;
}

static void test_frame_roles(void **state)
{
	Fixture *f = *state;
	apply_n(f, ACT_NEXT, 2);
	free(render(f, 200, 60));
	/* row 4 is X row 1, row 11 K row 1; panes start at 0, 67 and 134 */
	assert_int_equal(role_of(f, 4, 0, "0!"), ROLE_RECOMPUTED);
	assert_int_equal(role_of(f, 4, 0, "1*"), ROLE_COMPUTED);
	assert_int_equal(role_of(f, 11, 67, "1="), ROLE_REUSED);
	assert_int_equal(role_of(f, 11, 67, "-1*"), ROLE_COMPUTED);
	assert_int_equal(role_of(f, 4, 134, "0*"), ROLE_COMPUTED);
	/* S[2,1] is masked; S[1,3] is under the focused cursor */
	assert_int_equal(role_of(f, 18, 0, "·"), ROLE_MASKED);
	assert_int_equal(role_of(f, 17, 0, "-1.5*"), ROLE_CURSOR);
	assert_int_equal(role_of(f, 17, 67, "-1.5*"), ROLE_COMPUTED);
	assert_int_equal(role_of(f, 1, 0, "[3:sat]"), ROLE_CURRENT);
}

static void test_too_small(void **state)
{
	Fixture *f = *state;
	static const char *const want[] = {
		" terminal too small",
		"     need 60x18",
		"      now 20x6",
		"",
		"      q quits",
		"",
		NULL,
	};
	check_frame(f, 20, 6, want);
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
		      "S[2,3] = k2·q3/√4 = (1·2 + (-1)·6 + (-1)·0 + 2·5)/2 = 3"
		      "   computed in pass 3, k2 reused from cache");
	check_inspect(f, MODE_NOCACHE, MAT_S, 2, 2,
		      "S[2,2] = k2·q2/√4 = (1·1 + (-1)·0 + (-1)·(-1) + 2·2)/2"
		      " = 3   recomputed: an earlier pass already had it");
	check_inspect(f, MODE_NOCACHE, MAT_S, 3, 2,
		      "S[3,2] is masked: key 3 comes after query 2, so it is "
		      "never computed");
	check_inspect(f, MODE_CACHE, MAT_K, 1, 1,
		      "K[1,1] = W_K row 1 · x1 = ((-1)·0 + (-1)·0 + 1·1 + 1·0 + "
		      "(-1)·0) = 1   k1 reused from cache");
	check_inspect(f, MODE_CACHE, MAT_Q, 1, 2,
		      "Q[1,2]: not held by KV cache at step 3 (Q is never "
		      "cached: only the new query is needed)");
	check_inspect(f, MODE_PREFILL, MAT_A, 3, 3,
		      "A[3,3] = softmax down column 3 of S = e^12.5 / "
		      "(e^(-1.5) + e^3 + e^12.5) = 1.00   computed in pass 1");
	check_inspect(f, MODE_CACHE, MAT_Z, 2, 3,
		      "Z[2,3] = V row 2 · A column 3 = (2·0.00 + 0·0.00 + "
		      "4·1.00) = 4.00   computed in pass 3, v1..v2 reused from "
		      "cache");
	check_inspect(f, MODE_CACHE, MAT_LOGITS, 5, 3,
		      "logit \"on\" = W_out row 5 · z3 = (0·1.00 + 2·4.00 + "
		      "(-2)·1.00) = 6.00   the largest: next token \"on\"   "
		      "computed in pass 3");
	check_inspect(f, MODE_NOCACHE, MAT_X, 3, 1,
		      "X[3,1] = embedding of \"the\", row 3 = 1   recomputed: an "
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
			    CELL_MASKED };
	for (int i = 0; i < 4; i++) {
		TuiStyle a = tui_theme_style(tui_status_role(st[i]), true);
		assert_int_equal(a.fg, TC_DEFAULT);
		assert_int_equal(a.bg, TC_DEFAULT);
		for (int j = i + 1; j < 4; j++) {
			TuiStyle b = tui_theme_style(tui_status_role(st[j]), true);
			assert_true(a.attrs != b.attrs);
			assert_string_not_equal(tui_status_glyph(st[i], false),
						tui_status_glyph(st[j], false));
		}
	}
	assert_int_equal(tui_theme_style(ROLE_COMPUTED, true).attrs, TA_BOLD);
	assert_int_equal(tui_theme_style(ROLE_REUSED, true).attrs, TA_REVERSE);
	assert_int_equal(tui_theme_style(ROLE_COMPUTED, false).bg, TC_GREEN);
	assert_int_equal(tui_theme_style(ROLE_NORMAL, false).bg, TC_DEFAULT);
	assert_string_equal(tui_status_glyph(CELL_MASKED, true), ".");
	assert_false(tui_theme_wants_mono(false, NULL));
	assert_false(tui_theme_wants_mono(false, ""));
	assert_true(tui_theme_wants_mono(false, "1"));
	assert_true(tui_theme_wants_mono(true, NULL));
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_keys_steps),
		T(test_keys_inspector),
		T(test_help_from_table),
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
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
