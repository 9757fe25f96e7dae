/*
 * The tiles panel of a tiled run (--attention flash) rendered off-screen:
 * exact rows for a model checked by hand (tests/core/data/tiled.ini), no
 * S or A block, the panel's numbers equal to the trace's tile states, and
 * the inspector's text for Z.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "run.h"
#include "tui_render.h"
#include "tui_state.h"

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
	f->m = model_load(KV_TEST_DIR "/../core/data/tiled.ini", &err);
	assert_non_null(f->m);
	RunConfig cfg = run_config_default(f->m);
	cfg.tiled = true;
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

static char *render(Fixture *f, int w, int h)
{
	assert_int_equal(tui_buf_resize(&f->b, w, h), 0);
	tui_render_frame(&f->b, &f->v, &f->s);
	char *txt = tui_buf_text(&f->b);
	assert_non_null(txt);
	return txt;
}

/* True when some row of `txt` starts with `prefix`. */
static bool has_row(const char *txt, const char *prefix)
{
	size_t n = strlen(prefix);
	for (const char *p = txt; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL)
		if (strncmp(p, prefix, n) == 0)
			return true;
	return false;
}

/* Query 3 at step 3 (q = 1; keys 0, 1, 1; values 1, 1, 2), tiles of 2. */
static void test_panel_rows(void **state)
{
	Fixture *f = *state;
	for (int i = 0; i < 2; i++)
		tui_state_apply(&f->s, f->t, ACT_NEXT);
	tui_state_apply(&f->s, f->t, ACT_SHOW_CACHE);
	char *txt = render(f, 80, 24);
	assert_true(has_row(txt, "tiles of q3, B=2 (no S, no A held)  z vs standard: max |d| 0, 0 ULP"));
	assert_true(has_row(txt, "tile  keys               m       α       l       o"));
	assert_true(has_row(txt, "1     k1-k2              1       1    1.37    1.37"));
	assert_true(has_row(txt, "2     k3-k3              1       1    2.37    3.37"));
	assert_false(has_row(txt, "S "));
	assert_false(has_row(txt, "A "));
	assert_true(has_row(txt, "Z "));
	free(txt);
	/* 200x60 too */
	txt = render(f, 200, 60);
	assert_true(has_row(txt, "1     k1-k2              1       1    1.37    1.37"));
	free(txt);
}

static void row_of(const char *txt, int i, char *out, size_t n);

/* Renders only the tiles panel into a w x h rect at the last step. */
static char *render_panel(Fixture *f, int w, int h)
{
	assert_int_equal(tui_buf_resize(&f->b, w, h), 0);
	tui_buf_clear(&f->b);
	tui_render_tiles(&f->b, &f->v, &f->s, f->s.focus, (TuiRect){ 0, 0, w, h });
	char *txt = tui_buf_text(&f->b);
	assert_non_null(txt);
	return txt;
}

/*
 * A panel too short for every row keeps the last ones (z comes from the
 * last) under a row that counts the hidden ones: never a row dropped
 * without a mark. The height asked for counts every row.
 */
static void test_panel_hidden_rows(void **state)
{
	Fixture *f = *state;
	for (int i = 0; i < 2; i++)
		tui_state_apply(&f->s, f->t, ACT_NEXT);
	assert_int_equal(tui_tiles_height(&f->v, &f->s, f->s.focus, 40), 4);
	assert_int_equal(tui_tiles_height(&f->v, &f->s, f->s.focus, 3), 3);
	assert_int_equal(tui_tiles_height(&f->v, &f->s, f->s.focus, 2), 0);
	char row[160];
	char *txt = render_panel(f, 60, 3);
	row_of(txt, 2, row, sizeof row);
	assert_string_equal(row, "⋮ 2 earlier rows (taller window)");
	free(txt);
	txt = render_panel(f, 60, 4);
	row_of(txt, 2, row, sizeof row);
	assert_string_equal(row, "1     k1-k2              1       1    1.37    1.37");
	row_of(txt, 3, row, sizeof row);
	assert_string_equal(row, "2     k3-k3              1       1    2.37    3.37");
	free(txt);
	f->v.ascii = true;
	txt = render_panel(f, 60, 3);
	row_of(txt, 2, row, sizeof row);
	assert_string_equal(row, "... 2 earlier rows (taller window)");
	free(txt);
}

/*
 * A sink logit (tests/core/data/sink.ini, sink 0.5): the state starts
 * from it, m = 0.5, l = 1, o = 0, shown as a row before tile 1, so tile
 * 1's α = exp(0.5 - 1) reads as the step from the sink.
 */
static void test_panel_sink_row(void **state)
{
	Fixture *f = *state;
	trace_free(f->t);
	model_free(f->m);
	KvError err;
	kv_error_clear(&err);
	f->m = model_load(KV_TEST_DIR "/../core/data/sink.ini", &err);
	assert_non_null(f->m);
	RunConfig cfg = run_config_default(f->m);
	cfg.tiled = true;
	f->t = run_trace(f->m, &cfg, &err);
	assert_non_null(f->t);
	tui_state_init(&f->s, f->t, -1);
	tui_view_init(&f->v, f->t, false, f->s.digits);
	for (int i = 0; i < 2; i++)
		tui_state_apply(&f->s, f->t, ACT_NEXT);
	assert_int_equal(tui_tiles_height(&f->v, &f->s, f->s.focus, 40), 5);
	char row[160];
	char *txt = render_panel(f, 50, 5);
	row_of(txt, 2, row, sizeof row);
	assert_string_equal(row, "sink  start            0.5               1       0");
	row_of(txt, 3, row, sizeof row);
	assert_string_equal(row, "1     k1-k2              1    0.61    1.97    1.37");
	free(txt);
	/* the inspector on z1: tile 1 starts from the sink's state, with
	 * the real score s1 = q1·k1 = 0 and v1 = 1 */
	f->s.cur_mat = MAT_Z;
	f->s.cur_row = 1;
	f->s.cur_col = 1;
	char out[600];
	tui_inspect_text(&f->v, &f->s, out, sizeof out);
	assert_string_equal(out, "Z[1,1] = o1 / l = 0.6065 / 1.6065 = 0.38 after tile 1 (k1-k1) of q1: m = max(0.5, 0) = 0.5, α = exp(0.5 − 0.5) = 1, l = 1·1 + exp(0 − 0.5) = 1.6065, o1 = 1·0 + exp(0 − 0.5)·1 = 0.6065   (S and A never held)   recomputed: an earlier pass already had it");
	f->s.cur_col = 3;
	f->s.cur_mat = MAT_X;
	/* one row short: the sink row and tile 1 give way to the count */
	txt = render_panel(f, 50, 4);
	row_of(txt, 2, row, sizeof row);
	assert_string_equal(row, "⋮ 2 earlier rows (taller window)");
	row_of(txt, 3, row, sizeof row);
	assert_string_equal(row, "2     k3-k3              1       1    2.97    3.37");
	free(txt);
}

/*
 * Negative scores (tests/tui/data/tiled_neg.ini: s = -1, -1, -2 for q3):
 * the inspector writes the tile's real s and v, a negative subtrahend
 * in parentheses, α = exp(-1 − (-1)).
 */
static void test_inspector_negative(void **state)
{
	Fixture *f = *state;
	trace_free(f->t);
	model_free(f->m);
	KvError err;
	kv_error_clear(&err);
	f->m = model_load(KV_TEST_DIR "/data/tiled_neg.ini", &err);
	assert_non_null(f->m);
	RunConfig cfg = run_config_default(f->m);
	cfg.tiled = true;
	f->t = run_trace(f->m, &cfg, &err);
	assert_non_null(f->t);
	tui_state_init(&f->s, f->t, -1);
	tui_view_init(&f->v, f->t, false, f->s.digits);
	for (int i = 0; i < 2; i++)
		tui_state_apply(&f->s, f->t, ACT_NEXT);
	f->s.focus = MODE_NOCACHE;
	f->s.cur_mat = MAT_Z;
	f->s.cur_row = 1;
	f->s.cur_col = 3;
	char out[600];
	tui_inspect_text(&f->v, &f->s, out, sizeof out);
	assert_string_equal(out, "Z[1,3] = o1 / l = 2.7358 / 2.3679 = 1.16 after tile 2 (k3-k3) of q3: m = max(-1, -2) = -1, α = exp(-1 − (-1)) = 1, l = 1·2 + exp(-2 − (-1)) = 2.3679, o1 = 1·2 + exp(-2 − (-1))·2 = 2.7358   (S and A never held)   computed in pass 3");
	/* the ASCII form: "-" and " x " */
	f->v.ascii = true;
	tui_inspect_text(&f->v, &f->s, out, sizeof out);
	assert_string_equal(out, "Z[1,3] = o1 / l = 2.7358 / 2.3679 = 1.16 after tile 2 (k3-k3) of q3: m = max(-1, -2) = -1, alpha = exp(-1 - (-1)) = 1, l = 1 x 2 + exp(-2 - (-1)) = 2.3679, o1 = 1 x 2 + exp(-2 - (-1)) x 2 = 2.7358   (S and A never held)   computed in pass 3");
	/* the first tile: no earlier state, so no α */
	f->v.ascii = false;
	f->s.cur_col = 1;
	tui_inspect_text(&f->v, &f->s, out, sizeof out);
	assert_non_null(strstr(out, "after tile 1 (k1-k1) of q1: m = max(-1) = -1, l = exp(-1 − (-1)) = 1, o1 = exp(-1 − (-1))·1 = 1   (S and A never held)"));
}

/* The panel shows what the trace holds. */
static void test_panel_reads_trace(void **state)
{
	Fixture *f = *state;
	TileState ts;
	assert_int_equal(trace_tiles_count(trace_tiles(f->t), 1, 1, 3), 2);
	assert_true(trace_tiles_get(trace_tiles(f->t), 1, 1, 3, 2, &ts));
	assert_int_equal(ts.key_lo, 3);
	assert_true(ts.l == 2.0 + 0.36787944117144233);
	assert_true(ts.o[0] == 3.0 + 0.36787944117144233);
}

static void test_inspector(void **state)
{
	Fixture *f = *state;
	for (int i = 0; i < 2; i++)
		tui_state_apply(&f->s, f->t, ACT_NEXT);
	f->s.focus = MODE_CACHE;
	f->s.cur_mat = MAT_Z;
	f->s.cur_row = 1;
	f->s.cur_col = 3;
	char out[600];
	tui_inspect_text(&f->v, &f->s, out, sizeof out);
	assert_string_equal(out, "Z[1,3] = o1 / l = 3.3679 / 2.3679 = 1.42 after tile 2 (k3-k3) of q3: m = max(1, 1) = 1, α = exp(1 − 1) = 1, l = 1·1.3679 + exp(1 − 1) = 2.3679, o1 = 1·1.3679 + exp(1 − 1)·2 = 3.3679   (S and A never held)   computed in pass 3, v1..v2 reused from cache");
}

/* Rows of `txt` (a rendered frame) as an array; row i is NUL-ended. */
static void row_of(const char *txt, int i, char *out, size_t n)
{
	const char *p = txt;
	for (int k = 0; k < i && p; k++)
		p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL;
	size_t len = p ? strcspn(p, "\n") : 0;
	if (len >= n)
		len = n - 1;
	memcpy(out, p ? p : "", len);
	out[len] = '\0';
}

/*
 * At 80x24 the inspector has two rows above the legend: a derivation
 * longer than that ends in "…" on its second row, never on a third row
 * hidden under the legend.
 */
static void test_inspector_fits_80x24(void **state)
{
	Fixture *f = *state;
	for (int i = 0; i < 2; i++)
		tui_state_apply(&f->s, f->t, ACT_NEXT);
	tui_state_apply(&f->s, f->t, ACT_SHOW_CACHE);
	f->s.cur_mat = MAT_Z;
	f->s.cur_row = 1;
	f->s.cur_col = 3;
	tui_state_apply(&f->s, f->t, ACT_INSPECT);
	char *txt = render(f, 80, 24);
	char r21[256], r22[256], r23[256];
	row_of(txt, 21, r21, sizeof r21);
	row_of(txt, 22, r22, sizeof r22);
	row_of(txt, 23, r23, sizeof r23);
	assert_string_equal(r21, "INSPECT Z[1,3] = o1 / l = 3.3679 / 2.3679 = 1.42 after tile 2 (k3-k3) of q3: m =");
	assert_string_equal(r22, "  max(1, 1) = 1, α = exp(1 − 1) = 1, l = 1·1.3679 + exp(1 − 1) = 2.3679, o1 = …");
	assert_true(strncmp(r23, "legend ", 7) == 0);
	free(txt);
}

/*
 * t: the same step as the standard kernel computed it. S and A come
 * back with the standard kernel's values and statuses, the tiles panel
 * goes, the pane title names the view; t again returns.
 */
static void test_standard_view(void **state)
{
	Fixture *f = *state;
	for (int i = 0; i < 2; i++)
		tui_state_apply(&f->s, f->t, ACT_NEXT);
	tui_state_apply(&f->s, f->t, ACT_SHOW_CACHE);
	char *txt = render(f, 80, 24);
	assert_true(has_row(txt, " 1 no cache   2 KV cache   3 prefill   pass 3: columns 3-3  tiled"));
	free(txt);
	assert_true(tui_state_apply(&f->s, f->t, ACT_KERNEL));
	assert_true(f->s.standard);
	assert_string_equal(f->s.msg, "standard view: S and A as the standard kernel writes them (t: tiled view)");
	txt = render(f, 80, 24);
	assert_true(has_row(txt, " 1 no cache   2 KV cache   3 prefill   pass 3: columns 3-3  standard"));
	assert_false(has_row(txt, "tiles of q3"));
	/* q = 1 against keys 0, 1, 1 (scale none): S column 3 is 0 1 1 and
	 * A column 3 is 1, e, e over 1 + 2e: 0.16 0.42 0.42 */
	assert_true(has_row(txt, "S   q1  q2  q3    A     q1    q2    q3    Z    z1    z2    z3"));
	assert_true(has_row(txt, "k1           0*   k1              0.16*"));
	assert_true(has_row(txt, "k2           1*   k2              0.42*"));
	assert_true(has_row(txt, "k3           1*   k3              0.42*"));
	free(txt);
	double a, want = 1.0 / (1.0 + 2.0 * exp(1.0));
	assert_true(tui_state_value(&f->s, f->t, 1, 1, MAT_A, 1, 3, &a));
	assert_true(fabs(a - want) < 1e-15);
	assert_int_equal(tui_state_status(&f->s, f->t, MODE_CACHE, 1, MAT_A, 1, 3),
			 CELL_COMPUTED);
	assert_int_equal(tui_state_status(&f->s, f->t, MODE_NOCACHE, 1, MAT_A, 1, 2),
			 CELL_RECOMPUTED);
	assert_int_equal(tui_state_status(&f->s, f->t, MODE_CACHE, 1, MAT_A, 3, 2),
			 CELL_ABSENT);
	assert_int_equal(tui_state_status(&f->s, f->t, MODE_NOCACHE, 1, MAT_A, 3, 2),
			 CELL_MASKED);
	/* the inspector explains Z with A, from the standard plane */
	f->s.cur_mat = MAT_Z;
	f->s.cur_row = 1;
	f->s.cur_col = 3;
	char out[600];
	tui_inspect_text(&f->v, &f->s, out, sizeof out);
	assert_non_null(strstr(out, "Z[1,3] = V row 1 · A column 3 = (1·0.1554 + 1·0.4223 + 2·0.4223)"));
	/* back: S and A go again; a cursor on them moves to Z */
	f->s.cur_mat = MAT_A;
	assert_true(tui_state_apply(&f->s, f->t, ACT_KERNEL));
	assert_false(f->s.standard);
	assert_int_equal(f->s.cur_mat, MAT_Z);
	txt = render(f, 80, 24);
	assert_true(has_row(txt, "tiles of q3"));
	assert_false(has_row(txt, "S "));
	free(txt);
}

/* Without --attention flash the key says why it does nothing. */
static void test_kernel_key_standard_run(void **state)
{
	(void)state;
	KvError err;
	kv_error_clear(&err);
	Model *m = model_load(KV_TEST_DIR "/../core/data/tiled.ini", &err);
	assert_non_null(m);
	RunConfig cfg = run_config_default(m);
	Trace *t = run_trace(m, &cfg, &err);
	assert_non_null(t);
	TuiState s;
	tui_state_init(&s, t, -1);
	assert_false(tui_state_key(&s, t, 't') && s.standard);
	assert_false(s.standard);
	assert_string_equal(s.msg, "t switches to the tiled view only under --attention flash; this run is standard");
	trace_free(t);
	model_free(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_panel_rows, setup, teardown),
		cmocka_unit_test_setup_teardown(test_panel_reads_trace, setup, teardown),
		cmocka_unit_test_setup_teardown(test_panel_hidden_rows, setup, teardown),
		cmocka_unit_test_setup_teardown(test_panel_sink_row, setup, teardown),
		cmocka_unit_test_setup_teardown(test_inspector_negative, setup, teardown),
		cmocka_unit_test_setup_teardown(test_inspector, setup, teardown),
		cmocka_unit_test_setup_teardown(test_inspector_fits_80x24, setup, teardown),
		cmocka_unit_test_setup_teardown(test_standard_view, setup, teardown),
		cmocka_unit_test(test_kernel_key_standard_run),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
