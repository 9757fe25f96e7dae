#ifndef KVSTEP_TUI_FIXTURE_H
#define KVSTEP_TUI_FIXTURE_H
/*
 * The UI test fixture the cmocka suites share: a bundled model, its run,
 * a view and a state at step 1, and an off-screen buffer.
 */
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

/* A fixture on bundled model `name`; NULL is the default model. */
int setup_named(void **state, const char *name);

/* cmocka setups: the default model, local-global, gqa; and the teardown */
int setup(void **state);
int setup_lg(void **state);
int setup_gqa(void **state);
int teardown(void **state);

#endif
