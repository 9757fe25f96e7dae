#include "tui_state.h"

#include <stdarg.h>
#include <stdio.h>

#include "tui_mouse.h"

/* slowest first; TUI_PACE_DEFAULT is one step a second */
const int tui_pace_ms[TUI_PACES] = { 4000, 2000, 1500, 1000, 500, 250 };

void tui_state_init(TuiState *s, const Trace *t, int digits)
{
	if (digits < 0)
		digits = TUI_DIGITS_DEFAULT;
	if (digits > TUI_DIGITS_MAX)
		digits = TUI_DIGITS_MAX;
	if (digits < TUI_DIGITS_MIN)
		digits = TUI_DIGITS_MIN;
	*s = (TuiState){
		.step = 1,
		.steps = trace_steps(t),
		.prompt_n = trace_prompt_len(t),
		.solo = -1,
		.focus = MODE_NOCACHE,
		.digits = digits,
		.cur_mat = trace_tiles_kernel(trace_tiles(t))->tiled ? MAT_Z
								      : MAT_S,
		.cur_row = 1,
		.cur_col = 1,
		.layer = 1,
		.layers = trace_layers(t),
		.head = 1,
		.heads = trace_heads(t, MAT_Q),
		.selectors = trace_model(t)->stacked,
		.pace = TUI_PACE_DEFAULT,
	};
}

int tui_state_layer_of(const TuiState *s, Matrix mat)
{
	return mat == MAT_LOGITS ? 1 : s->layer;
}

int tui_state_head_of(const TuiState *s, const Trace *t, Matrix mat)
{
	if (mat == MAT_K || mat == MAT_V)
		return model_kv_head(trace_model(t), s->head - 1) + 1;
	return trace_heads(t, mat) > 1 ? s->head : 1;
}

void tui_state_extent(const TuiState *s, const Trace *t, Mode mode,
		      Matrix mat, int *rows, int *lo, int *hi)
{
	/* Every pane shows columns 1..hi of its pass, so a column sits at the
	 * same place in every matrix; cells the mode does not hold are blank. */
	int h = trace_step(t, s->step, mode)->info.hi;
	*hi = h;
	*lo = mat == MAT_LOGITS ? h : 1;
	*rows = (mat == MAT_S || mat == MAT_A) ? h
						: trace_matrix_rows(t, mat);
}

static const Matrix shown_classic[] = { MAT_X, MAT_Q, MAT_K, MAT_V,
					MAT_S, MAT_A, MAT_Z, MAT_LOGITS };
/* H sits before the logits, which read H of the last layer. */
static const Matrix shown_stacked[] = { MAT_X, MAT_Q, MAT_K, MAT_V, MAT_S,
					MAT_A, MAT_Z, MAT_H, MAT_LOGITS };

/* A tiled run holds no S or A: the tiles panel shows its states instead. */
static const Matrix tiled_classic[] = { MAT_X, MAT_Q, MAT_K, MAT_V, MAT_Z,
					MAT_LOGITS };
static const Matrix tiled_stacked[] = { MAT_X, MAT_Q, MAT_K, MAT_V, MAT_Z,
					MAT_H, MAT_LOGITS };

/* A quantised cache (--kv-quant): what the cache reads back, next to K, V. */
static const Matrix quant_classic[] = { MAT_X, MAT_Q, MAT_K, MAT_V, MAT_KQ,
					MAT_VQ, MAT_S, MAT_A, MAT_Z,
					MAT_LOGITS };
static const Matrix quant_stacked[] = { MAT_X, MAT_Q, MAT_K, MAT_V, MAT_KQ,
					MAT_VQ, MAT_S, MAT_A, MAT_Z, MAT_H,
					MAT_LOGITS };

/* The panes' matrices when they show (tiled) the tiled kernel or not. */
static int matrices_of(const Trace *t, bool tiled, const Matrix **list)
{
	if (trace_quant(t)) { /* never tiled (cli.c) */
		bool st = trace_model(t)->stacked;
		*list = st ? quant_stacked : quant_classic;
		return st ? 11 : 10;
	}
	if (tiled) {
		bool st = trace_model(t)->stacked;
		*list = st ? tiled_stacked : tiled_classic;
		return st ? 7 : 6;
	}
	if (trace_model(t)->stacked) {
		*list = shown_stacked;
		return (int)(sizeof shown_stacked / sizeof shown_stacked[0]);
	}
	*list = shown_classic;
	return (int)(sizeof shown_classic / sizeof shown_classic[0]);
}

int tui_shown_matrices(const Trace *t, const Matrix **list)
{
	return matrices_of(t, trace_tiles_kernel(trace_tiles(t))->tiled, list);
}

int tui_state_matrices(const TuiState *s, const Trace *t,
		       const Matrix **list)
{
	return matrices_of(t, tui_state_tiled(s, t), list);
}

ProducerKernel tui_state_kernel(const TuiState *s, const Trace *t)
{
	return tui_state_tiled(s, t) ? PRODUCER_KERNEL_TILED
				     : PRODUCER_KERNEL_STANDARD;
}

bool tui_state_tiled(const TuiState *s, const Trace *t)
{
	return trace_tiles_kernel(trace_tiles(t))->tiled && !s->standard;
}

bool tui_state_value(const TuiState *s, const Trace *t, int layer, int head,
		     Matrix mat, int row, int col, double *out)
{
	return trace_value_kernel(t, tui_state_kernel(s, t), layer, head, mat,
				  row, col, out);
}

bool tui_state_value_in(const TuiState *s, const Trace *t, Mode mode,
			int layer, int head, Matrix mat, int row, int col,
			double *out)
{
	if (trace_quant(t)) /* never with the tiled kernel (cli.c) */
		return trace_value_in(t, s->step, mode, layer, head, mat, row,
				      col, out);
	return tui_state_value(s, t, layer, head, mat, row, col, out);
}

CellStatus tui_state_status(const TuiState *s, const Trace *t, Mode mode,
			    int layer, Matrix mat, int row, int col)
{
	return trace_status_kernel(t, tui_state_kernel(s, t), s->step, mode,
				   layer, mat, row, col);
}

static int clamp(int v, int lo, int hi)
{
	return v < lo ? lo : v > hi ? hi : v;
}

void tui_state_clamp(TuiState *s, const Trace *t)
{
	int rows, lo, hi;
	tui_state_extent(s, t, s->focus, s->cur_mat, &rows, &lo, &hi);
	s->cur_row = clamp(s->cur_row, 1, rows);
	s->cur_col = clamp(s->cur_col, lo, hi);
}

static int newest_column(const TuiState *s, const Trace *t)
{
	return trace_step(t, s->step, s->focus)->info.hi;
}

/*
 * A cursor on the newest column follows it to the next step, so the
 * inspector keeps showing the work the step is about.
 */
static void say(TuiState *s, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(s->msg, sizeof s->msg, fmt, ap);
	va_end(ap);
}

static bool go_step(TuiState *s, const Trace *t, int step)
{
	step = clamp(step, 1, s->steps);
	if (step == s->step) {
		say(s, "already at the %s step",
		    step == s->steps ? "last" : step == 1 ? "first" : "same");
		return false;
	}
	bool follow = s->cur_col == newest_column(s, t);
	s->step = step;
	if (follow)
		s->cur_col = newest_column(s, t);
	tui_state_clamp(s, t);
	return true;
}

static bool show(TuiState *s, const Trace *t, int solo)
{
	s->solo = solo;
	/* the frame says so when the screen is too narrow for all three */
	s->asked_all = solo < 0;
	if (solo >= 0)
		s->focus = (Mode)solo;
	tui_state_clamp(s, t);
	return true;
}

static bool focus_next(TuiState *s, const Trace *t)
{
	s->focus = (Mode)((s->focus + 1) % MODE_COUNT);
	if (s->solo >= 0)
		s->solo = (int)s->focus;
	tui_state_clamp(s, t);
	return true;
}

static bool cursor_move(TuiState *s, const Trace *t, int drow, int dcol)
{
	s->cur_row += drow;
	s->cur_col += dcol;
	tui_state_clamp(s, t);
	return true;
}

static bool matrix_move(TuiState *s, const Trace *t, int d)
{
	const Matrix *list;
	int n = tui_state_matrices(s, t, &list), at = 0;
	for (int i = 0; i < n; i++)
		if (list[i] == s->cur_mat)
			at = i;
	s->cur_mat = list[(at + n + d) % n];
	/* land on the newest column, where this step's work is */
	s->cur_col = newest_column(s, t);
	tui_state_clamp(s, t);
	return true;
}

/* Steps `*v` by d through 1..n, wrapping; says so when there is one. */
static bool cycle(TuiState *s, int *v, int n, int d, const char *what)
{
	if (n <= 1) {
		say(s, "this model has one %s", what);
		return false;
	}
	*v = (*v - 1 + n + d) % n + 1;
	return true;
}

static bool digits_by(TuiState *s, int d)
{
	int want = s->digits + d;
	s->digits = clamp(want, TUI_DIGITS_MIN, TUI_DIGITS_MAX);
	if (want != s->digits)
		say(s, "already at %s digits (%d)", d > 0 ? "the most" : "the fewest",
		    s->digits);
	return true;
}

static void say_pace(TuiState *s)
{
	say(s, "auto-play: a step every %.2g s (a pauses, f faster, s slower)",
	    tui_pace_ms[s->pace] / 1000.0);
}

/* Starts from step 1 when at the last step: the run plays again. */
static bool play_toggle(TuiState *s, const Trace *t)
{
	s->playing = !s->playing;
	if (!s->playing) {
		say(s, "auto-play paused at step %d", s->step);
		return true;
	}
	if (s->step == s->steps)
		go_step(s, t, 1);
	say_pace(s);
	return true;
}

static bool pace_by(TuiState *s, int d)
{
	int want = s->pace + d;
	s->pace = clamp(want, 0, TUI_PACES - 1);
	if (want != s->pace)
		say(s, "already the %s pace: a step every %.2g s",
		    d > 0 ? "fastest" : "slowest", tui_pace_ms[s->pace] / 1000.0);
	else
		say_pace(s);
	return true;
}

/* The prompt's text, redrawn after every digit. */
static void say_jump(TuiState *s)
{
	char typed[16] = "";
	if (s->jump_len > 0)
		snprintf(typed, sizeof typed, "%d", s->jump);
	say(s, "jump to step: %s_  (1-%d, Enter goes, Esc cancels)", typed,
	    s->steps);
}

static bool jump_open(TuiState *s)
{
	s->jumping = true;
	s->jump = 0;
	s->jump_len = 0;
	say_jump(s);
	return true;
}

static bool jump_digit(TuiState *s, int d)
{
	if (s->jump_len < TUI_JUMP_DIGITS && (s->jump_len > 0 || d > 0)) {
		s->jump = s->jump * 10 + d;
		s->jump_len++;
	}
	say_jump(s);
	return true;
}

static bool jump_erase(TuiState *s)
{
	if (s->jump_len > 0) {
		s->jump /= 10;
		s->jump_len--;
	}
	say_jump(s);
	return true;
}

static bool jump_go(TuiState *s, const Trace *t)
{
	s->jumping = false;
	if (s->jump_len == 0)
		return true; /* nothing typed: the prompt just closes */
	if (s->jump < 1 || s->jump > s->steps) {
		say(s, "no step %d: the steps are 1-%d", s->jump, s->steps);
		return true;
	}
	return go_step(s, t, s->jump);
}

/*
 * t: the same step as the standard kernel computed it (S and A, the
 * standard z) or as the tiled kernel did (the tile states); a cursor on
 * S or A, which the tiled view does not hold, moves to Z.
 */
static bool kernel_toggle(TuiState *s, const Trace *t)
{
	if (!trace_tiles_kernel(trace_tiles(t))->tiled) {
		say(s, "t switches to the tiled view only under --attention "
		    "flash; this run is standard");
		return false;
	}
	s->standard = !s->standard;
	if (!s->standard && (s->cur_mat == MAT_S || s->cur_mat == MAT_A))
		s->cur_mat = MAT_Z;
	tui_state_clamp(s, t);
	say(s, s->standard ? "standard view: S and A as the standard kernel "
			     "writes them (t: tiled view)"
			   : "tiled view: S and A never held, the tile states "
			     "instead (t: standard view)");
	return true;
}

/* Esc: the innermost thing open closes; with nothing open, say so. */
static bool close_one(TuiState *s)
{
	if (s->jumping) {
		s->jumping = false;
		return true;
	}
	if (s->memory) {
		s->memory = false;
		return true;
	}
	if (s->inspect) {
		s->inspect = false;
		return true;
	}
	say(s, "nothing to close (q quits)");
	return false;
}

/* A click on a cell: it becomes the cursor and the inspector opens. */
static bool click(TuiState *s, const Trace *t, int tag)
{
	TuiHit h;
	if (!tui_hit_unpack((uint32_t)tag, &h))
		return false;
	s->focus = h.mode;
	if (s->solo >= 0)
		s->solo = (int)h.mode;
	s->cur_mat = h.mat;
	s->cur_row = h.row;
	s->cur_col = h.col;
	s->inspect = true;
	tui_state_clamp(s, t);
	return true;
}

bool tui_state_apply(TuiState *s, const Trace *t, Action a)
{
	return tui_state_apply_arg(s, t, a, 0);
}

bool tui_state_apply_arg(TuiState *s, const Trace *t, Action a, int arg)
{
	s->msg[0] = '\0';
	/* the overlay says "any key closes this": q and Esc included */
	if (s->help) {
		s->help = false;
		return true;
	}
	s->asked_all = false;
	switch (a) {
	case ACT_JUMP:
		return jump_open(s);
	case ACT_JUMP_DIGIT:
		return jump_digit(s, arg);
	case ACT_JUMP_ERASE:
		return jump_erase(s);
	case ACT_JUMP_GO:
		return jump_go(s, t);
	case ACT_PLAY:
		return play_toggle(s, t);
	case ACT_FASTER:
		return pace_by(s, 1);
	case ACT_SLOWER:
		return pace_by(s, -1);
	case ACT_MEMORY:
		s->memory = !s->memory;
		return true;
	case ACT_KERNEL:
		return kernel_toggle(s, t);
	case ACT_CLOSE:
		return close_one(s);
	case ACT_CLICK:
		return click(s, t, arg);
	case ACT_NEXT:
		return go_step(s, t, s->step + 1);
	case ACT_PREV:
		return go_step(s, t, s->step - 1);
	case ACT_FIRST:
		return go_step(s, t, 1);
	case ACT_LAST:
		return go_step(s, t, s->steps);
	case ACT_PROMPT_END:
		return go_step(s, t, s->prompt_n);
	case ACT_FOCUS_NEXT:
		return focus_next(s, t);
	case ACT_SHOW_NOCACHE:
		return show(s, t, MODE_NOCACHE);
	case ACT_SHOW_CACHE:
		return show(s, t, MODE_CACHE);
	case ACT_SHOW_PREFILL:
		return show(s, t, MODE_PREFILL);
	case ACT_SHOW_ALL:
		return show(s, t, -1);
	case ACT_CUR_LEFT:
		return cursor_move(s, t, 0, -1);
	case ACT_CUR_RIGHT:
		return cursor_move(s, t, 0, 1);
	case ACT_CUR_UP:
		return cursor_move(s, t, -1, 0);
	case ACT_CUR_DOWN:
		return cursor_move(s, t, 1, 0);
	case ACT_MAT_NEXT:
		return matrix_move(s, t, 1);
	case ACT_MAT_PREV:
		return matrix_move(s, t, -1);
	case ACT_LAYER_NEXT:
		return cycle(s, &s->layer, s->layers, 1, "layer");
	case ACT_LAYER_PREV:
		return cycle(s, &s->layer, s->layers, -1, "layer");
	case ACT_HEAD_NEXT:
		return cycle(s, &s->head, s->heads, 1, "head");
	case ACT_HEAD_PREV:
		return cycle(s, &s->head, s->heads, -1, "head");
	case ACT_INSPECT:
		s->inspect = !s->inspect;
		return true;
	case ACT_DIGITS_MORE:
		return digits_by(s, 1);
	case ACT_DIGITS_LESS:
		return digits_by(s, -1);
	case ACT_HELP:
		s->help = true;
		s->memory = false;
		return true;
	case ACT_REDRAW:
		return true;
	case ACT_QUIT:
		s->quit = true;
		return false;
	case ACT_NONE:
	case ACT_COUNT:
	case ACT_UNKNOWN:
	case ACT_END:
		break;
	}
	return false;
}

Action tui_state_key_action(const TuiState *s, int key)
{
	if (s->jumping && !s->help) {
		if (key >= '0' && key <= '9')
			return ACT_JUMP_DIGIT;
		if (tui_key_is_erase(key))
			return ACT_JUMP_ERASE;
		if (tui_key_is_enter(key))
			return ACT_JUMP_GO;
		if (key == TUI_KEY_ESC || key == 'q' || key == ':')
			return ACT_CLOSE;
		return ACT_NONE; /* the prompt ignores other keys */
	}
	Action a = tui_key_action(key, s->inspect);
	return a == ACT_NONE ? ACT_UNKNOWN : a;
}

bool tui_state_key(TuiState *s, const Trace *t, int key)
{
	Action a = tui_state_key_action(s, key);
	if (a == ACT_NONE)
		return false;
	bool had_msg = s->msg[0] != '\0', was_help = s->help;
	bool redraw = tui_state_apply_arg(s, t, a, key - '0');
	if (a == ACT_UNKNOWN && !was_help) {
		char name[32];
		tui_key_name(key, name, sizeof name);
		say(s, "unknown key: %s (? lists the keys)", name);
	}
	/* a message that came or went needs a redraw too */
	return redraw || had_msg || s->msg[0] != '\0';
}

bool tui_state_play_due(const TuiState *s, long elapsed_ms)
{
	return s->playing && !s->help && elapsed_ms >= tui_pace_ms[s->pace];
}

bool tui_state_play_step(TuiState *s, const Trace *t)
{
	if (!s->playing)
		return false;
	s->msg[0] = '\0';
	go_step(s, t, s->step + 1);
	if (s->step == s->steps) {
		s->playing = false;
		say(s, "auto-play stopped at the last step (a plays again "
		    "from step 1)");
	}
	return true;
}
