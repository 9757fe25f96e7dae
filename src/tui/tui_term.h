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
#include "tui_buf.h"

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

/*
 * Another screen on the same terminal machinery (signals, keys, resize,
 * the frame copy): `render` draws the frame into `buf` (ascii says whether
 * Unicode is off), `key` takes a getch() value (escape sequences decoded)
 * and returns true when the frame changed, `quit` says when to stop.
 * Returns as tui_term_run.
 */
typedef struct TuiScreenOps {
	void (*render)(void *ctx, TuiBuf *buf, bool ascii);
	bool (*key)(void *ctx, int ch);
	bool (*quit)(const void *ctx);
	void *ctx;
	/* optional (NULL: none). `tick` is called every time the loop wakes
	 * (at least every 100 ms) with a monotonic clock in ms, for
	 * auto-play; `click` gets a left click at (x, y) of the frame last
	 * drawn into `buf`. Both return true when the frame changed. */
	bool (*tick)(void *ctx, long now_ms);
	bool (*click)(void *ctx, const TuiBuf *buf, int x, int y);
} TuiScreenOps;

int tui_term_run_ops(const TuiScreenOps *ops, const TuiOptions *o,
		     KvError *err);

#endif
