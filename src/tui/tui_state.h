#ifndef KVSTEP_TUI_STATE_H
#define KVSTEP_TUI_STATE_H
/*
 * What the UI shows: the step, the panes, the cell cursor. Actions change
 * it through tui_state_apply(), one small function per action, with no
 * terminal involved, so stepping logic is tested directly.
 */
#include <stdbool.h>

#include "kv_types.h"
#include "trace.h"
#include "tui_keys.h"

enum {
	TUI_DIGITS_MIN = 1, /* 0 would show 12.5 as "12" and A as 0 or 1 */
	TUI_DIGITS_MAX = 6,
	TUI_DIGITS_DEFAULT = 2,
	TUI_MSG_MAX = 96,        /* bytes of a status message, NUL included */
	TUI_JUMP_DIGITS = 5,     /* the jump prompt takes up to 99999 */
};

/* Auto-play paces: milliseconds per step, slowest first. */
enum { TUI_PACES = 6, TUI_PACE_DEFAULT = 3 };
extern const int tui_pace_ms[TUI_PACES];

typedef struct TuiState {
	int step;       /* lockstep position t, 1..T */
	int steps;      /* T */
	int prompt_n;   /* P */
	int solo;       /* -1: all three panes; else the Mode shown alone */
	Mode focus;     /* the pane the cursor lives in */
	int digits;     /* decimals shown for fractions */
	bool inspect;   /* inspector mode: hjkl move the cursor */
	bool help;      /* the help overlay is open */
	bool asked_all; /* the last action asked for all three panes */
	bool quit;
	Matrix cur_mat; /* cell cursor: matrix, 1-based row and column */
	int cur_row;
	int cur_col;
	int layer;      /* the layer the panes show, 1..layers */
	int layers;     /* the model's layers; 1 for a classic file */
	int head;       /* the query head shown, 1..heads; K and V show the
			 * KV head it reads */
	int heads;      /* query heads per layer */
	bool selectors; /* a stacked model: the layer/head row and keys */
	bool memory;    /* the cache-memory view is open */
	bool standard;  /* a tiled run (--attention flash) seen as the
			 * standard kernel ran the same step: S and A
			 * instead of the tile states (t toggles) */
	bool playing;   /* auto-play: one step every tui_pace_ms[pace] */
	int pace;       /* index into tui_pace_ms */
	bool jumping;   /* the ":" prompt is open */
	int jump;       /* the number typed so far, 0 when none */
	int jump_len;   /* digits typed */
	char msg[TUI_MSG_MAX]; /* shown on the bottom row until the next key;
				* empty when there is nothing to say */
} TuiState;

/*
 * The state for trace `t` at step 1: all panes, focus on no cache, layer 1
 * head 1, cursor on S[1,1]. `digits` < 0 picks TUI_DIGITS_DEFAULT; others
 * are clamped to TUI_DIGITS_MIN..TUI_DIGITS_MAX.
 */
void tui_state_init(TuiState *s, const Trace *t, int digits);

/*
 * Applies action `a`. With the help overlay open, every action, ACT_NONE
 * (an unbound key), ACT_QUIT (q, Esc) included, only closes it. Returns
 * true when the screen must be redrawn.
 */
bool tui_state_apply(TuiState *s, const Trace *t, Action a);

/*
 * As tui_state_apply, for actions that carry an argument: ACT_JUMP_DIGIT
 * (the digit), ACT_CLICK (a hit tag from tui_buf_hit(): the cell clicked
 * becomes the cursor, its pane the focus, and the inspector opens). Sets
 * s->msg when the action does nothing or hits a limit ("already at the
 * last step"); clears it otherwise.
 */
bool tui_state_apply_arg(TuiState *s, const Trace *t, Action a, int arg);

/*
 * The action of `key` in the state's context: the jump prompt takes
 * digits, Backspace, Enter and Esc first; then the binding table for
 * inspector mode or not. An unbound key gives ACT_UNKNOWN.
 */
Action tui_state_key_action(const TuiState *s, int key);

/*
 * The same as tui_state_apply_arg for a key (the prompt's digits are
 * their own argument), naming an unbound key in the message:
 * "unknown key: M-x (? lists the keys)".
 */
bool tui_state_key(TuiState *s, const Trace *t, int key);

/*
 * Auto-play: true when `elapsed_ms` since the last step reaches the
 * pace, i.e. the loop should step now. False when not playing.
 */
bool tui_state_play_due(const TuiState *s, long elapsed_ms);

/*
 * Auto-play's step: the next step, and at the last one auto-play stops
 * and says so. Returns true (redraw) when playing.
 */
bool tui_state_play_step(TuiState *s, const Trace *t);

/*
 * The columns matrix `mat` shows in pane `mode` at the current step:
 * 1..*hi (logits: the single column *hi). Rows: *rows.
 */
void tui_state_extent(const TuiState *s, const Trace *t, Mode mode,
		      Matrix mat, int *rows, int *lo, int *hi);

/*
 * The matrices a pane of trace `t` shows, in display order: X Q K V S A Z
 * logits, with H (the layer output) before the logits in a stacked model.
 * Returns how many; *list points at a constant table.
 */
int tui_shown_matrices(const Trace *t, const Matrix **list);

/* The layer the trace files `mat` under for the selection: 1 for logits. */
int tui_state_layer_of(const TuiState *s, Matrix mat);

/*
 * The head of `mat` for the selection (1-based): the selected query head
 * for Q S A Z, the KV head that query head reads for K and V, else 1.
 */
int tui_state_head_of(const TuiState *s, const Trace *t, Matrix mat);

/*
 * The kernel the panes show: the run's own, or the standard kernel's
 * values of the same step when s->standard (a tiled run only).
 * tui_state_tiled is true when that is the tiled kernel, whose S and A
 * are never held.
 */
ProducerKernel tui_state_kernel(const TuiState *s, const Trace *t);
bool tui_state_tiled(const TuiState *s, const Trace *t);

/* A cell's value and status as the shown kernel holds it (trace.h's
 * trace_value_kernel and trace_status_kernel). */
bool tui_state_value(const TuiState *s, const Trace *t, int layer, int head,
		     Matrix mat, int row, int col, double *out);

/*
 * As tui_state_value, for the values `mode` holds: a quantised cache's
 * modes keep values of their own (trace_value_in), and Kq/Vq read the
 * exact residual until their group is quantised.
 */
bool tui_state_value_in(const TuiState *s, const Trace *t, Mode mode,
			int layer, int head, Matrix mat, int row, int col,
			double *out);
CellStatus tui_state_status(const TuiState *s, const Trace *t, Mode mode,
			    int layer, Matrix mat, int row, int col);

/*
 * The matrices the panes show in the state's view, in display order:
 * tui_shown_matrices, with S and A back in the standard view of a tiled
 * run.
 */
int tui_state_matrices(const TuiState *s, const Trace *t,
		       const Matrix **list);

/* Keeps the cursor inside the focused pane's current extent. */
void tui_state_clamp(TuiState *s, const Trace *t);

#endif
