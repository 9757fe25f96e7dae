#ifndef KVSTEP_TUI_SPEC_H
#define KVSTEP_TUI_SPEC_H
/*
 * The speculative-decoding screen (`kvstep spec`): one iteration at a
 * time, drawn only from a SpecRun (spec.h), with the main view's keys for
 * stepping (tui_keys.h). It renders into a TuiBuf, so tests read frames
 * as text; tui_term.c copies them to the terminal.
 */
#include <stdbool.h>

#include "kv_error.h"
#include "spec.h"
#include "tui.h"
#include "tui_buf.h"

typedef struct TuiSpecState {
	const SpecRun *r;
	int iter;    /* 0 (the prefill) .. spec_iters(r)-1 */
	int digits;  /* decimals shown */
	bool help;   /* the key overlay is up */
	bool quit;
} TuiSpecState;

/* Starts at iteration 1 (0 when the run has none); digits −1: 2. */
void tui_spec_state_init(TuiSpecState *s, const SpecRun *r, int digits);

/* Applies key `ch` (a getch() value); true when the frame changes. */
bool tui_spec_key(TuiSpecState *s, int ch);

/* Draws the frame for `s` into `b` (its size is the screen's). */
void tui_spec_render(TuiBuf *b, const TuiSpecState *s, bool ascii);

/* As tui_term_check: EX_USAGE naming `kvstep spec --export` without a
 * terminal. */
int tui_spec_check(KvError *err);

/* Runs the screen until q or a signal (as tui_run). */
int tui_spec_run(const SpecRun *r, const TuiOptions *o, KvError *err);

#endif
