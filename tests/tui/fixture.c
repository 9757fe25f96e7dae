/* The shared UI test fixture (fixture.h). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>

#include "fixture.h"

int setup_named(void **state, const char *name)
{
	Fixture *f = calloc(1, sizeof *f);
	assert_non_null(f);
	KvError err;
	kv_error_clear(&err);
	f->m = name ? model_load_named(name, &err) : model_load_default(&err);
	assert_non_null(f->m);
	RunConfig cfg = run_config_default(f->m);
	f->t = run_trace(f->m, &cfg, &err);
	assert_non_null(f->t);
	tui_state_init(&f->s, f->t, -1);
	tui_view_init(&f->v, f->t, false, f->s.digits);
	*state = f;
	return 0;
}

int setup(void **state)
{
	return setup_named(state, NULL);
}

int setup_lg(void **state)
{
	return setup_named(state, "local-global");
}

int setup_gqa(void **state)
{
	return setup_named(state, "gqa");
}

int teardown(void **state)
{
	Fixture *f = *state;
	tui_buf_free(&f->b);
	trace_free(f->t);
	model_free(f->m);
	free(f);
	return 0;
}
