#ifndef KVSTEP_TUI_H
#define KVSTEP_TUI_H
/* The terminal UI: steps through a recorded trace. */
#include <stdbool.h>

#include "kv_error.h"
#include "trace.h"

typedef struct TuiOptions {
	bool no_color; /* --no-color; NO_COLOR in the environment also counts */
	bool ascii;    /* --ascii: no Unicode box drawing */
	int digits;    /* --digits, -1 for the default */
} TuiOptions;

/*
 * Runs the UI until the user quits. Refuses (EX_USAGE, with a message that
 * names `kvstep answers` and `kvstep export`) when stdin or stdout is not a
 * terminal or TERM is dumb or unknown. Returns 0 on a normal quit.
 */
int tui_run(const Trace *t, const TuiOptions *o, KvError *err);

#endif
