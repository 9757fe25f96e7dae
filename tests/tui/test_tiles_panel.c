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
	assert_non_null(strstr(out, "Z[1,3] = o1 / l after tile 2 (k3-k3) of q3: m = max(1, tile's scores) = 1, α = exp(1 - 1) = 1, l = 1·1.3679 + the tile's exp(s - m) = 2.3679, o1 = 1·1.3679 + the tile's exp(s - m)·v1 = 3.3679; z = 3.3679 / 2.3679 = 1.42"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_panel_rows, setup, teardown),
		cmocka_unit_test_setup_teardown(test_panel_reads_trace, setup, teardown),
		cmocka_unit_test_setup_teardown(test_inspector, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
