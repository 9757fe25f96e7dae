/*
 * The RoPE panel of a model with `rope` (rope.h), under the blocks:
 *
 *   RoPE 100, interleaved pairs: (1,2) 1 rad a position, (3,4) 0.1; cache: k turned
 *   same tokens 2 apart: S[3,5] "do"→"mi" = -2.41, S[6,8] = -2.41: equal ±4.4e-16
 *   shift replay --ctx 6 --shift 2: at step 7 k1-k2 dropped, k3-k6 turned back 2
 *   cache k3↺ k4↺ k5↺ k6↺ k7*  as positions 1-5  |shifted-fresh| 8.9e-16
 *
 * The last two rows only with --shift (rope_shift.h). Every number is read
 * from the trace; a score of a later step shows as "?" until then.
 */
#include "tui_render.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "rope.h"

/*
 * Largest distance first; at each distance, the first key position i
 * whose token pair (token i, token i+d) came before at i1: O(T² + T·V²)
 * with a table of the first position of each token pair.
 */
bool tui_rope_pair(const Trace *t, TuiRopePair *p)
{
	enum { V = KV_MAX_VOCAB };
	int first[V * V];
	int T = trace_steps(t);
	*p = (TuiRopePair){ 0 };
	for (int d = T - 1; d >= 1; d--) {
		for (int k = 0; k < V * V; k++)
			first[k] = 0;
		for (int i = 1; i + d <= T; i++) {
			int key = trace_token(t, i) * V + trace_token(t, i + d);
			if (!first[key]) {
				first[key] = i;
				continue;
			}
			*p = (TuiRopePair){ true, first[key], first[key] + d, i,
					    i + d };
			return true;
		}
	}
	return false;
}

int tui_rope_height(const TuiView *v, int avail)
{
	if (trace_model(v->t)->rope <= 0)
		return 0;
	int want = trace_shift(v->t) ? 4 : 2;
	return want <= avail ? want : 0;
}

/* "-2.41", or "?" before the step that computes it. */
static void score_text(const TuiView *v, const TuiState *s, int key, int q,
		       char *out, size_t n)
{
	double x;
	if (q > s->step || !trace_value_at(v->t, tui_state_layer_of(s, MAT_S),
					   s->head, MAT_S, key, q, &x))
		snprintf(out, n, "? at step %d", q);
	else
		tui_format_value(x, s->digits, out, n);
}

/*
 * ": equal" when the two scores are the same double; else ": equal ±d",
 * d how far apart rounding put them (the turns by different angles round differently), so
 * the panel never claims more than the export shows.
 */
static const char *verdict(const TuiView *v, const TuiState *s,
			   const TuiRopePair *p, char *out, size_t n)
{
	double a, c;
	int l = tui_state_layer_of(s, MAT_S);
	if (!trace_value_at(v->t, l, s->head, MAT_S, p->i, p->j, &a) ||
	    !trace_value_at(v->t, l, s->head, MAT_S, p->i2, p->j2, &c) ||
	    a == c)
		return ": equal";
	snprintf(out, n, ": equal %s%.1e", v->ascii ? "+-" : "±", fabs(a - c));
	return out;
}

static void row_rotation(TuiBuf *b, const TuiView *v, TuiRect r)
{
	const Model *m = trace_model(v->t);
	char buf[160];
	int x = tui_buf_put(b, r.x, r.y, r.x + r.w, ROLE_TITLE, "RoPE ");
	snprintf(buf, sizeof buf, "%g, interleaved pairs: (1,2) %g rad a "
		 "position", m->rope, rope_theta(m->rope, m->d_k, 1));
	x = tui_buf_put(b, x, r.y, r.x + r.w, ROLE_NORMAL, buf);
	if (m->d_k >= 4) {
		snprintf(buf, sizeof buf, ", (3,4) %g%s",
			 rope_theta(m->rope, m->d_k, 2), m->d_k > 4 ? ", ..." : "");
		x = tui_buf_put(b, x, r.y, r.x + r.w, ROLE_NORMAL, buf);
	}
	tui_buf_put(b, x, r.y, r.x + r.w, ROLE_DIM, "; cache: k turned");
}

static void row_relative(TuiBuf *b, const TuiView *v, const TuiState *s,
			 TuiRect r)
{
	const Trace *t = v->t;
	const Model *m = trace_model(t);
	const TuiRopePair p = v->rope_pair;
	int y = r.y + 1, x_end = r.x + r.w;
	if (!p.found) {
		tui_buf_put(b, r.x, y, x_end, ROLE_DIM,
			    "no two tokens repeat at the same distance in this run");
		return;
	}
	char a[48], c[48], buf[200];
	score_text(v, s, p.i, p.j, a, sizeof a);
	score_text(v, s, p.i2, p.j2, c, sizeof c);
	snprintf(buf, sizeof buf, "same tokens %d apart: S[%d,%d] \"%s\"%s\"%s\" "
		 "= %s, S[%d,%d] = %s", p.j - p.i, p.i, p.j,
		 m->vocab[trace_token(t, p.i)], v->ascii ? "->" : "→",
		 m->vocab[trace_token(t, p.j)], a, p.i2, p.j2, c);
	int x = tui_buf_put(b, r.x, y, x_end, ROLE_NORMAL, buf);
	if (s->step >= p.j2)
		tui_buf_put(b, x, y, x_end, ROLE_CHOSEN,
			    verdict(v, s, &p, buf, sizeof buf));
}

/*
 * "shift replay --ctx 6 --shift 2: at step 7 k1-k2 dropped, k3-k6 turned
 * back 2": the shift replays the run beside the three modes, whose panes
 * keep every position (no --ctx there); the words that say so follow
 * when the row has room. A row too narrow ends in "…".
 */
static void row_shift_event(TuiBuf *b, const TuiView *v, const TuiState *s,
			    TuiRect r)
{
	const RopeShift *rs = trace_shift(v->t);
	const RopeShiftStep *st = rope_shift_step(rs, s->step);
	int C = rope_shift_ctx(rs), N = rope_shift_n(rs), y = r.y + 2;
	int x_end = r.x + r.w;
	char buf[200];
	int x = tui_buf_put(b, r.x, y, x_end, ROLE_TITLE, "shift replay ");
	if (st->shifted_at)
		snprintf(buf, sizeof buf, "--ctx %d --shift %d: at step %d k%d-k%d "
			 "dropped, k%d-k%d turned back %d", C, N, st->shifted_at,
			 st->kept_lo - N, st->kept_lo - 1, st->kept_lo,
			 st->shifted_at - 1, N);
	else if (s->step >= C)
		snprintf(buf, sizeof buf, "--ctx %d --shift %d: cache full (%d "
			 "of %d); the next token shifts it", C, N, C, C);
	else
		snprintf(buf, sizeof buf, "--ctx %d --shift %d: cache holds %d "
			 "of %d positions", C, N, s->step, C);
	const char *note = "; the panes above have no --ctx limit";
	const char *brief = "; panes: no --ctx";
	int w = tui_text_width(buf);
	if (x + w + tui_text_width(note) <= x_end)
		strcat(buf, note);
	else if (x + w + tui_text_width(brief) <= x_end)
		strcat(buf, brief);
	else if (x + w > x_end) {
		const char *ell = v->ascii ? "..." : "…";
		int room = x_end - x - tui_text_width(ell);
		if (room > 0)
			tui_buf_put(b, x + room, y, x_end, ROLE_NORMAL, ell);
		x_end = x + (room > 0 ? room : 0);
	}
	tui_buf_put(b, x, y, x_end, ROLE_NORMAL, buf);
}

static void row_shift_cache(TuiBuf *b, const TuiView *v, const TuiState *s,
			    TuiRect r)
{
	const RopeShift *rs = trace_shift(v->t);
	const RopeShiftStep *st = rope_shift_step(rs, s->step);
	int y = r.y + 3, x_end = r.x + r.w;
	char buf[120];
	int x = tui_buf_put(b, r.x, y, x_end, ROLE_TITLE, "cache");
	for (int c = st->kept_lo; c <= s->step; c++) {
		CellStatus cs = rope_shift_status(rs, s->step, c);
		snprintf(buf, sizeof buf, " k%d", c);
		x = tui_buf_put(b, x, y, x_end, tui_status_role(cs), buf);
		x = tui_buf_put(b, x, y, x_end, tui_status_role(cs),
				tui_status_glyph(cs, v->ascii));
	}
	double d = fmax(st->max_k, fmax(st->max_s, st->max_logit));
	snprintf(buf, sizeof buf, "  as positions 1-%d  |shifted-fresh| %.1e",
		 s->step - st->kept_lo + 1, d);
	tui_buf_put(b, x, y, x_end, ROLE_NORMAL, buf);
}

void tui_render_rope(TuiBuf *b, const TuiView *v, const TuiState *s,
		     TuiRect r)
{
	if (r.h < 2)
		return;
	row_rotation(b, v, r);
	row_relative(b, v, s, r);
	if (r.h >= 4 && trace_shift(v->t)) {
		row_shift_event(b, v, s, r);
		row_shift_cache(b, v, s, r);
	}
}
