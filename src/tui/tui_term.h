#ifndef KVSTEP_TUI_TERM_H
#define KVSTEP_TUI_TERM_H
/*
 * The thin curses layer: checks for a usable terminal, runs the key loop,
 * copies rendered frames to the screen, and restores the terminal on every
 * way out.
 */
#include "kv_error.h"
#include "trace.h"
#include "tui.h"

/*
 * Checks that stdin and stdout are terminals and that TERM names a known,
 * cursor-addressable terminal, without initscr() (which exits on failure).
 * Returns 0, or EX_USAGE with a message naming `kvstep answers` and
 * `kvstep export`.
 */
int tui_term_check(KvError *err);

/*
 * Runs the UI on the terminal until q (returns 0) or SIGINT, SIGQUIT,
 * SIGTERM or SIGHUP (returns 128 + the signal number, with `err` set). Returns
 * EX_OSERR with `err` set when curses or memory fails. The terminal is
 * restored before it returns in every case.
 */
int tui_term_run(const Trace *t, const TuiOptions *o, KvError *err);

#endif
