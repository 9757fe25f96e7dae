/*
 * The cell inspector: one line that says how the cursor's cell was made,
 * with the terms of its dot product read from the trace and the model's
 * weights. The result printed is always the trace's stored value, never a
 * recomputation.
 */
#include "tui_render.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* A bounded string being appended to; output is clipped, never overrun. */
typedef struct Str {
	char *p;
	size_t cap, len;
} Str;

__attribute__((format(printf, 2, 3)))
static void str_add(Str *s, const char *fmt, ...)
{
	if (s->len + 1 >= s->cap)
		return;
	va_list ap;
	va_start(ap, fmt);
	int w = vsnprintf(s->p + s->len, s->cap - s->len, fmt, ap);
	va_end(ap);
	if (w > 0)
		s->len += (size_t)w < s->cap - s->len ? (size_t)w
						      : s->cap - s->len - 1;
}

/* Cell context shared by the per-matrix explainers. */
typedef struct Cell {
	const TuiView *v;
	const TuiState *s;
	const Model *m;
	Matrix mat;
	int r, c;
	const char *dot; /* "·" or "*" */
} Cell;

static void add_num(Str *o, const Cell *k, double x, bool paren_neg)
{
	char buf[64];
	tui_format_value(x, k->s->digits, buf, sizeof buf);
	str_add(o, paren_neg && buf[0] == '-' ? "(%s)" : "%s", buf);
}

static double trace_or_zero(const Cell *k, Matrix mat, int r, int c)
{
	double x = 0;
	trace_value(k->v->t, mat, r, c, &x);
	return x;
}

/* "(w1·x1 + w2·x2 + ...)" for a weight row against a trace column. */
static void add_terms_w(Str *o, const Cell *k, const double *w, int n,
			Matrix mat, int col)
{
	str_add(o, "(");
	for (int i = 0; i < n; i++) {
		str_add(o, i ? " + " : "");
		add_num(o, k, w[i], true);
		str_add(o, "%s", k->dot);
		add_num(o, k, trace_or_zero(k, mat, i + 1, col), true);
	}
	str_add(o, ")");
}

static void add_result(Str *o, const Cell *k)
{
	double x;
	str_add(o, " = ");
	if (trace_value(k->v->t, k->mat, k->r, k->c, &x))
		add_num(o, k, x, false);
}

static void explain_x(Str *o, const Cell *k)
{
	int tok = trace_token(k->v->t, k->c);
	str_add(o, "X[%d,%d] = embedding of \"%s\", row %d", k->r, k->c,
		k->m->vocab[tok], k->r);
	if (k->m->pos_n > 0)
		str_add(o, " + position %d, row %d", k->c, k->r);
	add_result(o, k);
}

static void explain_proj(Str *o, const Cell *k)
{
	const double *w = k->mat == MAT_Q ? k->m->wq
			: k->mat == MAT_K ? k->m->wk : k->m->wv;
	const char *name = matrix_name(k->mat);
	str_add(o, "%s[%d,%d] = W_%s row %d %s x%d = ", name, k->r, k->c, name,
		k->r, k->dot, k->c);
	add_terms_w(o, k, w + (size_t)(k->r - 1) * (size_t)k->m->d_model,
		    k->m->d_model, MAT_X, k->c);
	add_result(o, k);
}

static void explain_s(Str *o, const Cell *k)
{
	str_add(o, "S[%d,%d] = k%d%sq%d", k->r, k->c, k->r, k->dot, k->c);
	if (k->m->scale_sqrt)
		str_add(o, "/%s%d", k->v->ascii ? "sqrt " : "√", k->m->d_k);
	str_add(o, " = (");
	for (int i = 1; i <= k->m->d_k; i++) {
		str_add(o, i > 1 ? " + " : "");
		add_num(o, k, trace_or_zero(k, MAT_K, i, k->r), true);
		str_add(o, "%s", k->dot);
		add_num(o, k, trace_or_zero(k, MAT_Q, i, k->c), true);
	}
	str_add(o, ")");
	if (k->m->scale_sqrt) {
		str_add(o, "/");
		add_num(o, k, 1.0 / k->m->scale, false);
	}
	add_result(o, k);
}

static void explain_a(Str *o, const Cell *k)
{
	const char *e = k->v->ascii ? "exp" : "e^";
	str_add(o, "A[%d,%d] = softmax down column %d of S = %s", k->r, k->c,
		k->c, e);
	add_num(o, k, trace_or_zero(k, MAT_S, k->r, k->c), true);
	str_add(o, " / (");
	for (int i = 1; i <= k->c; i++) {
		str_add(o, "%s%s", i > 1 ? " + " : "", e);
		add_num(o, k, trace_or_zero(k, MAT_S, i, k->c), true);
	}
	str_add(o, ")");
	add_result(o, k);
}

static void explain_z(Str *o, const Cell *k)
{
	str_add(o, "Z[%d,%d] = V row %d %s A column %d = (", k->r, k->c, k->r,
		k->dot, k->c);
	for (int i = 1; i <= k->c; i++) {
		str_add(o, i > 1 ? " + " : "");
		add_num(o, k, trace_or_zero(k, MAT_V, k->r, i), true);
		str_add(o, "%s", k->dot);
		add_num(o, k, trace_or_zero(k, MAT_A, i, k->c), true);
	}
	str_add(o, ")");
	add_result(o, k);
}

static void explain_logits(Str *o, const Cell *k)
{
	const char *tok = k->m->vocab[k->r - 1];
	str_add(o, "logit \"%s\" = W_out row %d %s z%d = ", tok, k->r, k->dot,
		k->c);
	add_terms_w(o, k, k->m->wout + (size_t)(k->r - 1) * (size_t)k->m->d_v,
		    k->m->d_v, MAT_Z, k->c);
	add_result(o, k);
	int chosen = trace_step(k->v->t, k->s->step, k->s->focus)->chosen;
	if (chosen == k->r - 1)
		str_add(o, "   the largest: next token \"%s\"", tok);
}

/* Which cached columns a computed cell read, for the status note. */
static void note_reused(Str *o, const Cell *k)
{
	const PassInfo *p = &trace_step(k->v->t, k->s->step, k->s->focus)->info;
	if (!trace_step(k->v->t, k->s->step, k->s->focus)->keeps_cache)
		return;
	if (k->mat == MAT_S && k->r < p->proj_lo)
		str_add(o, ", k%d reused from cache", k->r);
	if (k->mat == MAT_Z && p->proj_lo > 1)
		str_add(o, ", v1..v%d reused from cache", p->proj_lo - 1);
}

static void note_status(Str *o, const Cell *k, CellStatus st)
{
	const TraceStep *ts = trace_step(k->v->t, k->s->step, k->s->focus);
	if (st == CELL_COMPUTED) {
		str_add(o, "   computed in pass %d", ts->pass);
		note_reused(o, k);
	} else if (st == CELL_RECOMPUTED) {
		str_add(o, "   recomputed: an earlier pass already had it");
	} else if (st == CELL_REUSED) {
		str_add(o, "   %c%d reused from cache", k->mat == MAT_K ? 'k' : 'v',
			k->c);
	}
}

static void explain_absent(Str *o, const Cell *k)
{
	str_add(o, "%s[%d,%d]: not held by %s at step %d", matrix_name(k->mat),
		k->r, k->c, mode_title(k->s->focus), k->s->step);
	bool cache = trace_step(k->v->t, k->s->step, k->s->focus)->keeps_cache;
	if (cache && k->mat == MAT_Q)
		str_add(o, " (Q is never cached: only the new query is needed)");
	else if (cache && k->mat == MAT_X)
		str_add(o, " (only the new token goes in)");
	else if (cache)
		str_add(o, " (only the new query column is computed)");
}

int tui_inspect_text(const TuiView *v, const TuiState *s, char *out,
		     size_t n)
{
	Str o = { out, n, 0 };
	out[0] = '\0';
	Cell k = { .v = v, .s = s, .m = trace_model(v->t), .mat = s->cur_mat,
		   .r = s->cur_row, .c = s->cur_col,
		   .dot = v->ascii ? "*" : "·" };
	CellStatus st = trace_status(v->t, s->step, s->focus, k.mat, k.r, k.c);
	if (st == CELL_ABSENT) {
		explain_absent(&o, &k);
		return (int)o.len;
	}
	if (st != CELL_COMPUTED && st != CELL_REUSED &&
	    st != CELL_RECOMPUTED) {
		if (st != CELL_MASKED) {
			str_add(&o, "%s[%d,%d] was evicted from the sliding "
				"window's cache", matrix_name(k.mat), k.r, k.c);
			return (int)o.len;
		}
		str_add(&o, "%s[%d,%d] is masked: key %d comes after query %d, "
			"so it is never computed", matrix_name(k.mat), k.r, k.c,
			k.r, k.c);
		return (int)o.len;
	}
	if (k.mat == MAT_X)
		explain_x(&o, &k);
	else if (k.mat == MAT_Q || k.mat == MAT_K || k.mat == MAT_V)
		explain_proj(&o, &k);
	else if (k.mat == MAT_S)
		explain_s(&o, &k);
	else if (k.mat == MAT_A)
		explain_a(&o, &k);
	else if (k.mat == MAT_Z)
		explain_z(&o, &k);
	else if (k.mat == MAT_LOGITS)
		explain_logits(&o, &k);
	note_status(&o, &k, st);
	return (int)o.len;
}

/* Where to break `s` to fit `w` columns: after the last space that fits. */
static const char *wrap_at(const char *s, int w)
{
	const char *p = s, *brk = NULL;
	int col = 0;
	while (*p && col < w) {
		if (*p == ' ')
			brk = p;
		if (((unsigned char)*p & 0xC0) != 0x80)
			col++;
		p++;
	}
	while (*p && ((unsigned char)*p & 0xC0) == 0x80)
		p++;
	if (!*p || !brk || brk == s)
		return p;
	return brk + 1;
}

void tui_render_inspector(TuiBuf *b, const TuiView *v, const TuiState *s,
			  TuiRect r)
{
	char text[1024];
	tui_inspect_text(v, s, text, sizeof text);
	int x = tui_buf_put(b, r.x, r.y, r.x + r.w, ROLE_TITLE,
			    s->inspect ? "INSPECT " : "");
	const char *p = text;
	for (int y = r.y; y < r.y + r.h && *p; y++) {
		const char *end = wrap_at(p, r.x + r.w - x);
		char line[1024];
		size_t n = (size_t)(end - p);
		memcpy(line, p, n);
		line[n] = '\0';
		tui_buf_put(b, x, y, r.x + r.w, ROLE_NORMAL, line);
		p = end;
		x = r.x + 2; /* continuation lines are indented */
	}
}
