#ifndef KVSTEP_TUI_SERVE_H
#define KVSTEP_TUI_SERVE_H
/*
 * The serving screen (`kvstep serve`): a scenario's run (serve.h) stepped
 * by iteration with the main view's keys (tui_keys.h), drawn only from
 * the run. Its panels:
 *
 *   requests   one row per request: its phase in this iteration, the
 *              positions it contributes, the token it produced and its
 *              block table (logical → physical);
 *   blocks     the physical pool after the iteration: owner(s), reference
 *              count and fill of every block, shared, cached-free and free
 *              blocks told apart by colour and by a text mark;
 *   attention  K and V of the selected request read through its block
 *              table (block:slot under every column), S, A and Z of its
 *              chunk, with the computed / reused / recomputed marks;
 *   compare    continuous against static batching on the same scenario;
 *   counters   tokens, blocks, empty slots, prefix hits, preemptions, and
 *              each request's time to first token and finish.
 *
 * At 120x36 and more every panel is on screen; below, the requests and
 * counters stay and one of blocks / attention / compare fills the middle
 * (v switches, c toggles compare). Everything renders into a TuiBuf, so
 * tests read frames as text; tui_term.c copies them to the terminal.
 */
#include <stdbool.h>
#include <stdint.h>

#include "kv_error.h"
#include "kv_types.h"
#include "serve.h"
#include "tui.h"
#include "tui_buf.h"
#include "tui_state.h"

/* The middle panel on screens too small for all of them. */
typedef enum TuiServePanel {
	TUI_SERVE_BLOCKS,
	TUI_SERVE_ATTN,
	TUI_SERVE_COMPARE,
	TUI_SERVE_PANELS
} TuiServePanel;

enum {
	TUI_SERVE_MIN_W = 80, /* below this: the "terminal too small" screen */
	TUI_SERVE_MIN_H = 24,
	TUI_SERVE_WIDE_W = 120, /* from here every panel is shown at once */
	TUI_SERVE_WIDE_H = 36,
};

typedef struct TuiServeState {
	const ServeRun *r;
	int iter, iters;   /* the iteration shown, 1..iters */
	int req, reqs;     /* the selected request, 1..reqs */
	int layer, layers; /* the layer the attention panes show, 1..layers */
	int head, heads;   /* the query head shown (K and V: the K/V head it
			    * reads), 1..heads */
	int digits;        /* decimals shown (TUI_DIGITS_MIN..MAX) */
	int valw[MAT_COUNT]; /* widest value of each matrix at `digits`,
			      * over the whole run: columns do not jump */
	TuiServePanel panel; /* the middle panel below the wide size */
	bool compare;      /* the comparison panel (wide size) */
	bool wide;         /* the screen shows every panel (tui_serve_resize) */
	bool help;         /* the key overlay is up */
	bool inspect;      /* inspector mode: the cursor's cell explained */
	bool quit;
	bool playing;      /* auto-play: one iteration every tui_pace_ms[pace] */
	int pace;
	long played_ms;    /* clock of auto-play's last step */
	bool jumping;      /* the ":" prompt is open */
	int jump, jump_len;
	Matrix cur_mat;    /* inspector cursor: K V S A Z of the request */
	int cur_row, cur_col; /* 1-based; col is the request's position */
	char msg[TUI_MSG_MAX]; /* the bottom row until the next key */
} TuiServeState;

/*
 * The state for `r` (borrowed) at iteration 1, request 1 selected, the
 * blocks panel in the middle. `digits` < 0 picks the main view's
 * default; others are clamped as there.
 */
void tui_serve_state_init(TuiServeState *s, const ServeRun *r, int digits);

/* True when a w×h screen shows every panel at once. */
bool tui_serve_is_wide(int w, int h);

/*
 * Tells the state the screen's size, for the keys whose meaning depends
 * on it: c shows or hides the comparison panel at the wide size and
 * switches the middle panel to it below; v says every panel is already
 * shown at the wide size.
 */
void tui_serve_resize(TuiServeState *s, int w, int h);

/*
 * Applies key `ch` (a getch() value, escape sequences decoded: →, ←,
 * Home, End, `:N` Enter, a, f, s, Tab, Shift-Tab, 1..9, c, v, i or Enter,
 * < > (layer) and , . (head) for stacked models,
 * the cursor keys in inspector mode, [ ], + -, ?, Esc, q). With the help
 * up, any key only closes it. Returns true when the frame changes. A key
 * that does nothing says why in s->msg.
 */
bool tui_serve_key(TuiServeState *s, int ch);

/*
 * Auto-play's clock: call with a monotonic time in ms whenever the loop
 * wakes. Steps when the pace has passed; stops (and says so) at the last
 * iteration. Returns true when the frame changes.
 */
bool tui_serve_tick(TuiServeState *s, long now_ms);

/*
 * A click on frame `b` at (x, y): a request row selects that request, a
 * value of the attention panes moves the cursor there and opens the
 * inspector. Returns true when the frame changes.
 */
bool tui_serve_click(TuiServeState *s, const TuiBuf *b, int x, int y);

/* Draws the frame for `s` into `b` (its size is the screen's). */
void tui_serve_render(TuiBuf *b, const TuiServeState *s, bool ascii);

/*
 * 0 when the view can start, else EX_USAGE with a message naming
 * `kvstep serve --export` (stdin or stdout not a terminal, TERM unset,
 * dumb or unknown). Call it before serve_run.
 */
int tui_serve_check(KvError *err);

/*
 * Runs the screen on the terminal until q (0) or a signal (128 + its
 * number, `err` set); EX_OSERR when curses or memory fails. `r` should
 * be made with ServeConfig.cells (the attention panes; without them the
 * panes say so) and .compare (the comparison panel).
 */
int tui_serve_run(const ServeRun *r, const TuiOptions *o, KvError *err);

#endif
