#ifndef KVSTEP_INTERRUPT_H
#define KVSTEP_INTERRUPT_H
/*
 * Ctrl-C and friends outside the terminal UI. While a run is computed or
 * an export written, SIGINT, SIGTERM, SIGHUP and SIGPIPE only record which
 * signal came; the loops that take long (run.c through its progress
 * callback, csv_out.c between steps) look at interrupt_caught() and stop,
 * main removes the temporary output file, and interrupt_exit() then ends
 * the process by the same signal, so the shell sees 128+signal (130 for
 * Ctrl-C) and nothing partial is left.
 *
 * The recorded signal is the one piece of global mutable state in kvstep:
 * a signal handler can talk to the program through nothing else. It is a
 * single volatile sig_atomic_t, private to interrupt.c.
 */
#include <stdbool.h>

/* Installs the handlers (no SA_RESTART: a blocked write returns EINTR). */
void interrupt_install(void);

/* The signal caught since interrupt_install(), or 0. */
int interrupt_caught(void);

/*
 * Ends the process by the caught signal with its default action. Returns
 * only when no signal was caught.
 */
void interrupt_exit(void);

#endif
