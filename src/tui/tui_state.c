#include "tui_state.h"

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
		.cur_mat = MAT_S,
		.cur_row = 1,
		.cur_col = 1,
		.layer = 1,
		.layers = trace_layers(t),
		.head = 1,
		.heads = trace_heads(t, MAT_Q),
		.selectors = trace_model(t)->stacked,
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

int tui_shown_matrices(const Trace *t, const Matrix **list)
{
	if (trace_model(t)->stacked) {
		*list = shown_stacked;
		return (int)(sizeof shown_stacked / sizeof shown_stacked[0]);
	}
	*list = shown_classic;
	return (int)(sizeof shown_classic / sizeof shown_classic[0]);
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
static bool go_step(TuiState *s, const Trace *t, int step)
{
	step = clamp(step, 1, s->steps);
	if (step == s->step)
		return false;
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
	int n = tui_shown_matrices(t, &list), at = 0;
	for (int i = 0; i < n; i++)
		if (list[i] == s->cur_mat)
			at = i;
	s->cur_mat = list[(at + n + d) % n];
	/* land on the newest column, where this step's work is */
	s->cur_col = newest_column(s, t);
	tui_state_clamp(s, t);
	return true;
}

/* Steps `*v` by d through 1..n, wrapping; false when there is one choice. */
static bool cycle(int *v, int n, int d)
{
	if (n <= 1)
		return false;
	*v = (*v - 1 + n + d) % n + 1;
	return true;
}

static bool digits_by(TuiState *s, int d)
{
	s->digits = clamp(s->digits + d, TUI_DIGITS_MIN, TUI_DIGITS_MAX);
	return true;
}

bool tui_state_apply(TuiState *s, const Trace *t, Action a)
{
	/* the overlay says "any key closes this": q and Esc included */
	if (s->help) {
		s->help = false;
		return true;
	}
	s->asked_all = false;
	switch (a) {
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
		return cycle(&s->layer, s->layers, 1);
	case ACT_LAYER_PREV:
		return cycle(&s->layer, s->layers, -1);
	case ACT_HEAD_NEXT:
		return cycle(&s->head, s->heads, 1);
	case ACT_HEAD_PREV:
		return cycle(&s->head, s->heads, -1);
	case ACT_INSPECT:
		s->inspect = !s->inspect;
		return true;
	case ACT_DIGITS_MORE:
		return digits_by(s, 1);
	case ACT_DIGITS_LESS:
		return digits_by(s, -1);
	case ACT_HELP:
		s->help = true;
		return true;
	case ACT_REDRAW:
		return true;
	case ACT_QUIT:
		s->quit = true;
		return false;
	case ACT_NONE:
	case ACT_COUNT:
		break;
	}
	return false;
}
