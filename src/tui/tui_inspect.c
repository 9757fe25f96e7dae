/*
 * The cell inspector: one line that says how the cursor's cell was made,
 * with the terms of its dot product read from the trace and the model's
 * weights. The result printed is always the trace's stored value, never a
 * recomputation.
 */
#include "tui_render.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rope.h"

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

/*
 * Cell context shared by the per-matrix explainers. Operands are shown
 * with two more decimals than the result, so a student who redoes the sum
 * from the numbers on screen gets the shown result; `shown` adds up the
 * arithmetic of those shown operands, only to choose between "=" and "≈".
 */
typedef struct Cell {
	const TuiView *v;
	const TuiState *s;
	const Model *m;
	Matrix mat;
	int r, c;
	int layer;       /* the layer shown, 1-based */
	const char *dot; /* "·", or " x " in ASCII ("*" is a status glyph) */
	const char *sdot; /* between names: " · ", or " x " in ASCII */
	double shown;    /* the result of the shown operands' arithmetic */
} Cell;

enum {
	OPERAND_EXTRA = 2, /* operand decimals beyond the result's */
};

/* Prints x with `digits` decimals; returns the value as printed. */
static double add_num_at(Str *o, double x, bool paren_neg, int digits)
{
	char buf[64];
	tui_format_value(x, digits, buf, sizeof buf);
	str_add(o, paren_neg && buf[0] == '-' ? "(%s)" : "%s", buf);
	return strtod(buf, NULL);
}

/* An operand: two more decimals than the result; integers stay integers. */
static double add_operand(Str *o, const Cell *k, double x)
{
	return add_num_at(o, x, true, k->s->digits + OPERAND_EXTRA);
}

/* "a·b" of two operands; adds their shown product to k->shown. */
static void add_product(Str *o, Cell *k, double a, double b)
{
	double sa = add_operand(o, k, a);
	str_add(o, "%s", k->dot);
	k->shown += sa * add_operand(o, k, b);
}

/*
 * An operand as the shown mode holds it. A quantised cache's modes read K
 * and V back from the cache: their scores and Z use Kq and Vq.
 */
static double value_or_zero(const Cell *k, int layer, int head, Matrix mat,
			    int r, int c)
{
	double x = 0;
	const Trace *t = k->v->t;
	if (trace_quant(t) && k->s->focus != MODE_NOCACHE &&
	    (mat == MAT_K || mat == MAT_V))
		mat = mat == MAT_K ? MAT_KQ : MAT_VQ;
	tui_state_value_in(k->s, t, k->s->focus, layer, head, mat, r, c, &x);
	return x;
}

/* A cell of `mat` in the selected layer and head (KV head for K, V). */
static double trace_or_zero(const Cell *k, Matrix mat, int r, int c)
{
	return value_or_zero(k, tui_state_layer_of(k->s, mat),
			     tui_state_head_of(k->s, k->v->t, mat), mat, r, c);
}

/* "(w1·x1 + w2·x2 + ...)": a weight row against a trace column. */
static void add_terms_at(Str *o, Cell *k, const double *w, int n, int layer,
			 Matrix mat, int col)
{
	str_add(o, "(");
	for (int i = 0; i < n; i++) {
		str_add(o, i ? " + " : "");
		add_product(o, k, w[i],
			    value_or_zero(k, layer, 1, mat, i + 1, col));
	}
	str_add(o, ")");
}

/*
 * " = 1.60": the trace's value with the result's decimals. The sign is
 * "≈" when the shown operands' arithmetic (k->shown) does not round to
 * the same text, so the line never claims an equality it cannot show.
 */
static void add_result(Str *o, const Cell *k)
{
	double x;
	if (!tui_state_value_in(k->s, k->v->t, k->s->focus,
				tui_state_layer_of(k->s, k->mat),
			    tui_state_head_of(k->s, k->v->t, k->mat), k->mat,
			    k->r, k->c, &x)) {
		str_add(o, " = ");
		return;
	}
	char want[64], a[64], b[64];
	tui_format_value(x, k->s->digits, want, sizeof want);
	/* both rounded to the result's decimals: 1 and 0.9999 agree */
	int d = k->s->digits < 1 ? 1 : k->s->digits;
	snprintf(a, sizeof a, "%.*f", d, x);
	snprintf(b, sizeof b, "%.*f", d, k->shown);
	bool same = strcmp(a, b) == 0 ||
		    (strspn(a, "-0.") == strlen(a) && strspn(b, "-0.") == strlen(b));
	str_add(o, " %s %s", same ? "=" : k->v->ascii ? "~" : "≈", want);
}

/* First key query c saw, as the trace recorded it. */
static int first_key(const Cell *k, int c)
{
	return trace_first_key(k->v->t, k->layer, c);
}

/*
 * "L2.H1 " before a cell of a stacked model: the layer, and the query
 * head (Q S A Z) or the KV head (K V, "L2.KV1 "). Classic models: none.
 */
static void add_where(Str *o, const Cell *k)
{
	if (!k->m->stacked || k->mat == MAT_LOGITS)
		return;
	str_add(o, "L%d", k->layer);
	if (k->mat == MAT_K || k->mat == MAT_V || k->mat == MAT_KQ ||
	    k->mat == MAT_VQ)
		str_add(o, ".KV%d", tui_state_head_of(k->s, k->v->t, k->mat));
	else if (k->mat != MAT_X && k->mat != MAT_H)
		str_add(o, ".H%d", k->s->head);
	str_add(o, " ");
}

static void explain_x(Str *o, Cell *k)
{
	double x;
	if (tui_state_value_in(k->s, k->v->t, k->s->focus, k->layer, 1,
			       MAT_X, k->r, k->c, &x))
		k->shown = x; /* a copy, nothing to add up */
	if (k->layer > 1) {
		str_add(o, "X[%d,%d] = H[%d,%d] of layer %d, the layer below",
			k->r, k->c, k->r, k->c, k->layer - 1);
		add_result(o, k);
		return;
	}
	int tok = trace_token(k->v->t, k->c);
	str_add(o, "X[%d,%d] = embedding of \"%s\", row %d", k->r, k->c,
		k->m->vocab[tok], k->r);
	if (k->m->pos_n > 0)
		str_add(o, " + position %d, row %d", k->c, k->r);
	add_result(o, k);
}

static void explain_proj(Str *o, Cell *k)
{
	int l = k->layer - 1, h = tui_state_head_of(k->s, k->v->t, k->mat) - 1;
	const double *w = k->mat == MAT_Q ? model_wq(k->m, l, h)
			: k->mat == MAT_K ? model_wk(k->m, l, h)
					  : model_wv(k->m, l, h);
	const char *name = matrix_name(k->mat);
	str_add(o, "%s[%d,%d] = W_%s", name, k->r, k->c, name);
	/* K and V belong to a KV head, which query heads may share */
	if (k->m->stacked)
		str_add(o, " of %shead %d", k->mat == MAT_Q ? "" : "KV ", h + 1);
	str_add(o, " row %d%sx%d = ", k->r, k->sdot, k->c);
	add_terms_at(o, k, w + (size_t)(k->r - 1) * (size_t)k->m->d_model,
		     k->m->d_model, k->layer, MAT_X, k->c);
	add_result(o, k);
}

/*
 * A RoPE model's Q or K cell (rope.h): the rotation of its pair from the
 * raw values Qr/Kr, "Q[1,5] = Qr1·cos a − Qr2·sin a = 0·(-0.6536) −
 * 2·(-0.7568) = 1.51  a = (5-1)·1 = 4 rad"; K adds what the cache holds.
 */
static void explain_rope(Str *o, Cell *k)
{
	const Model *m = k->m;
	Matrix raw = k->mat == MAT_Q ? MAT_QR : MAT_KR;
	const char *rn = matrix_name(raw), *minus = k->v->ascii ? "-" : "−";
	int i = (k->r + 1) / 2, lo = 2 * i - 1;
	double theta = rope_theta(m->rope, m->d_k, i);
	double a = rope_angle(m->rope, m->d_k, i, k->c);
	double x = trace_or_zero(k, raw, lo, k->c);
	double y = trace_or_zero(k, raw, lo + 1, k->c);
	bool first = k->r == lo;
	str_add(o, "%s[%d,%d] = ", matrix_name(k->mat), k->r, k->c);
	if (first)
		str_add(o, "%s%d%scos a %s %s%d%ssin a = ", rn, lo, k->dot,
			minus, rn, lo + 1, k->dot);
	else
		str_add(o, "%s%d%ssin a + %s%d%scos a = ", rn, lo, k->dot, rn,
			lo + 1, k->dot);
	double sx = add_operand(o, k, x);
	str_add(o, "%s", k->dot);
	double c1 = add_operand(o, k, first ? cos(a) : sin(a));
	str_add(o, first ? " %s " : " + ", minus);
	double sy = add_operand(o, k, y);
	str_add(o, "%s", k->dot);
	double c2 = add_operand(o, k, first ? sin(a) : cos(a));
	k->shown = first ? sx * c1 - sy * c2 : sx * c1 + sy * c2;
	add_result(o, k);
	str_add(o, "  a = (%d-1)%s%g = %g rad", k->c, k->dot, theta, a);
	if (k->mat == MAT_K)
		str_add(o, "; the cache holds k turned, written once, never "
			"turned again");
}

/* The scale's divisor: "/2" when √d_k is whole, else "/√2". */
static void add_divisor(Str *o, const Cell *k)
{
	int root = (int)lround(sqrt((double)k->m->d_k));
	if (root * root == k->m->d_k)
		str_add(o, "/%d", root);
	else
		str_add(o, "/%s%d", k->v->ascii ? "sqrt " : "√", k->m->d_k);
}

static void explain_s(Str *o, Cell *k)
{
	str_add(o, "S[%d,%d] = k%d%sq%d", k->r, k->c, k->r, k->dot, k->c);
	if (k->m->scale_sqrt)
		str_add(o, "/%s%d", k->v->ascii ? "sqrt " : "√", k->m->d_k);
	str_add(o, " = (");
	for (int i = 1; i <= k->m->d_k; i++) {
		str_add(o, i > 1 ? " + " : "");
		add_product(o, k, trace_or_zero(k, MAT_K, i, k->r),
			    trace_or_zero(k, MAT_Q, i, k->c));
	}
	str_add(o, ")");
	if (k->m->scale_sqrt) {
		add_divisor(o, k);
		k->shown *= k->m->scale;
	}
	add_result(o, k);
}

static void explain_a(Str *o, Cell *k)
{
	const char *e = k->v->ascii ? "exp" : "e^";
	str_add(o, "A[%d,%d] = softmax down column %d of S = %s", k->r, k->c,
		k->c, e);
	double top = add_operand(o, k, trace_or_zero(k, MAT_S, k->r, k->c));
	str_add(o, " / (");
	/* the shown exponents, shifted by the shown one for range */
	double sum = 0;
	bool more = false;
	for (int i = 1; i <= k->c; i++) {
		if (!trace_key_visible(k->v->t, k->layer, i, k->c))
			continue; /* the pinned keys, then the window */
		str_add(o, "%s%s", more ? " + " : "", e);
		more = true;
		sum += exp(add_operand(o, k, trace_or_zero(k, MAT_S, i, k->c)) -
			   top);
	}
	bool has_sink;
	double sink = model_sink(k->m, k->layer - 1, k->s->head - 1, &has_sink);
	if (has_sink) { /* the sink logit joins the sum with no value */
		str_add(o, " + %ssink ", e);
		sum += exp(add_operand(o, k, sink) - top);
	}
	str_add(o, ")");
	k->shown = 1.0 / sum;
	add_result(o, k);
}

static void explain_z(Str *o, Cell *k)
{
	if (tui_state_tiled(k->s, k->v->t)) {
		char buf[512];
		tui_tiles_explain(k->v, k->s, k->r, k->c, buf, sizeof buf);
		str_add(o, "%s", buf);
		return;
	}
	str_add(o, "Z[%d,%d] = V row %d%sA column %d = (", k->r, k->c, k->r,
		k->sdot, k->c);
	bool more = false;
	for (int i = 1; i <= k->c; i++) {
		if (!trace_key_visible(k->v->t, k->layer, i, k->c))
			continue;
		str_add(o, more ? " + " : "");
		more = true;
		add_product(o, k, trace_or_zero(k, MAT_V, k->r, i),
			    trace_or_zero(k, MAT_A, i, k->c));
	}
	str_add(o, ")");
	add_result(o, k);
}

/* H[r,c] = x + W_O row r · concat(z_1..z_H), the heads' z stacked. */
static void explain_h(Str *o, Cell *k)
{
	int dv = k->m->d_v, n = k->m->n_heads * dv;
	const double *w = model_wo(k->m, k->layer - 1) + (size_t)(k->r - 1) *
							 (size_t)n;
	str_add(o, "H[%d,%d] = x%d + W_O row %d%sconcat(z heads 1-%d) = ",
		k->r, k->c, k->c, k->r, k->sdot, k->m->n_heads);
	k->shown = add_operand(o, k, value_or_zero(k, k->layer, 1, MAT_X,
						   k->r, k->c));
	str_add(o, " + (");
	for (int j = 0; j < n; j++) {
		str_add(o, j ? " + " : "");
		add_product(o, k, w[j],
			    value_or_zero(k, k->layer, j / dv + 1, MAT_Z,
					  j % dv + 1, k->c));
	}
	str_add(o, ")");
	add_result(o, k);
}

/*
 * "the largest: 3:sat predicts "on" (next token)", or, while the pass's
 * last column is inside the prompt, `(prompt: "cat")`: the header's
 * words, for the position this pass's logits belong to.
 */
static void note_largest(Str *o, const Cell *k, const char *tok)
{
	const TraceStep *ts = trace_step(k->v->t, k->s->step, k->s->focus);
	int hi = ts->info.hi;
	str_add(o, "   the largest: %d:%s predicts \"%s\"", hi,
		k->m->vocab[trace_token(k->v->t, hi)], tok);
	if (hi < k->s->prompt_n)
		str_add(o, " (prompt: \"%s\")",
			k->m->vocab[trace_token(k->v->t, hi + 1)]);
	else
		str_add(o, " (next token)");
}

static void explain_logits(Str *o, Cell *k)
{
	const char *tok = k->m->vocab[k->r - 1];
	int dim = model_out_dim(k->m), last = trace_layers(k->v->t);
	/* a stacked model's logits read h of the last layer, else z */
	Matrix in = k->m->stacked ? MAT_H : MAT_Z;
	str_add(o, "logit \"%s\" = W_out row %d%s%c%d", tok, k->r, k->sdot,
		k->m->stacked ? 'h' : 'z', k->c);
	if (k->m->stacked)
		str_add(o, " of layer %d", last);
	str_add(o, " = ");
	add_terms_at(o, k, k->m->wout + (size_t)(k->r - 1) * (size_t)dim, dim,
		     k->m->stacked ? last : 1, in, k->c);
	add_result(o, k);
	int chosen = trace_step(k->v->t, k->s->step, k->s->focus)->chosen;
	if (chosen == k->r - 1)
		note_largest(o, k, tok);
}

/* Which cached columns a computed cell read, for the status note. */
static void note_reused(Str *o, const Cell *k)
{
	const PassInfo *p = &trace_step(k->v->t, k->s->step, k->s->focus)->info;
	if (!trace_step(k->v->t, k->s->step, k->s->focus)->keeps_cache)
		return;
	if (k->mat == MAT_S && k->r < p->proj_lo)
		str_add(o, ", k%d reused from cache", k->r);
	int v0 = first_key(k, k->c);
	if (k->mat == MAT_Z && p->proj_lo - 1 == v0)
		str_add(o, ", v%d reused from cache", v0);
	else if (k->mat == MAT_Z && p->proj_lo - 1 > v0)
		str_add(o, ", v%d..v%d reused from cache", v0, p->proj_lo - 1);
}

/*
 * The k or v columns an S or Z cell read that the window pushed out at
 * the end of this same pass (prefill over a prompt longer than W).
 */
static void note_evicted_inputs(Str *o, const Cell *k)
{
	if (k->mat != MAT_S && k->mat != MAT_Z)
		return;
	Matrix src = k->mat == MAT_S ? MAT_K : MAT_V;
	int lo = k->mat == MAT_S ? k->r : first_key(k, k->c);
	int hi = k->mat == MAT_S ? k->r : k->c;
	for (int i = lo; i <= hi; i++) {
		CellStatus st = tui_state_status(k->s, k->v->t, k->s->focus,
						 k->layer, src, 1, i);
		if (tui_evicted_has_value(k->v->t, k->s->step, k->s->focus, st,
					  i))
			str_add(o, ", %c%d was used by this pass, then evicted "
				"(window %d)", src == MAT_K ? 'k' : 'v', i,
				trace_window(k->v->t, k->layer));
	}
}

/*
 * A cell of what a quantised cache reads back (--kv-quant): min + code ·
 * scale with the group's numbers, or the exact value while the position is
 * in the full-precision residual; then the error against the exact K (V).
 */
static void explain_quant(Str *o, Cell *k)
{
	const Trace *t = k->v->t;
	const KvQuant *q = trace_quant(t);
	bool isk = k->mat == MAT_KQ;
	char nm = isk ? 'K' : 'V';
	int head = tui_state_head_of(k->s, t, k->mat);
	double exact = 0;
	trace_value_in(t, k->s->step, k->s->focus, k->layer, head,
		       isk ? MAT_K : MAT_V, k->r, k->c, &exact);
	KvQuantCell qc;
	if (!trace_quantised_at(t, k->s->step, k->s->focus, k->c) ||
	    !trace_quant_cell(t, k->mat, k->layer, head, k->r, k->c, &qc)) {
		int g = (k->c - 1) / q->group; /* 0-based group */
		str_add(o, "%cq[%d,%d] = %c[%d,%d]", nm, k->r, k->c, nm, k->r,
			k->c);
		k->shown = exact;
		add_result(o, k);
		str_add(o, ": full precision (the residual) until group %d-%d "
			"is quantised at position %d", g * q->group + 1,
			(g + 1) * q->group, (g + 1) * q->group + q->residual -
						    q->group);
		return;
	}
	str_add(o, "%cq[%d,%d] = min + code%sscale = ", nm, k->r, k->c,
		k->sdot);
	double mn = add_operand(o, k, qc.min);
	str_add(o, " + %d%s", qc.code, k->dot);
	k->shown = mn + qc.code * add_operand(o, k, qc.scale);
	add_result(o, k);
	double x = exact;
	trace_value_in(t, k->s->step, k->s->focus, k->layer, head, k->mat,
		       k->r, k->c, &x);
	str_add(o, "; exact %c ", nm);
	add_num_at(o, exact, false, k->s->digits + OPERAND_EXTRA);
	str_add(o, ", error ");
	add_num_at(o, x - exact, false, k->s->digits + OPERAND_EXTRA);
	if (isk) {
		int lo = (k->c - 1) / q->group * q->group + 1;
		str_add(o, "; int%d, K row %d over positions %d-%d", q->bits,
			k->r, lo, lo + q->group - 1);
	} else {
		str_add(o, "; int%d, V column %d", q->bits, k->c);
	}
	str_add(o, ": scale = (max - min)/%d, code = round((%c - min)/scale)",
		(1 << q->bits) - 1, nm);
}

/* A quantised cache's modes read K and V back rounded: S and Z say so. */
static void note_quant_inputs(Str *o, const Cell *k)
{
	const KvQuant *q = trace_quant(k->v->t);
	if (q && k->s->focus != MODE_NOCACHE &&
	    (k->mat == MAT_S || k->mat == MAT_Z))
		str_add(o, " (k, v as the int%d cache reads them back: Kq, Vq)",
			q->bits);
}

static void note_status(Str *o, const Cell *k, CellStatus st)
{
	const TraceStep *ts = trace_step(k->v->t, k->s->step, k->s->focus);
	if (st == CELL_COMPUTED) {
		str_add(o, "   computed in pass %d", ts->pass);
		note_reused(o, k);
		note_evicted_inputs(o, k);
	} else if (st == CELL_RECOMPUTED) {
		str_add(o, "   recomputed: an earlier pass already had it");
	} else if (st == CELL_REUSED) {
		str_add(o, "   %c%d reused from cache",
			k->mat == MAT_K || k->mat == MAT_KQ ? 'k' : 'v', k->c);
		if (k->c <= trace_pinned(k->v->t, k->layer))
			str_add(o, "; pinned in slot %d (sink_tokens = %d), "
				"never evicted", k->c,
				trace_pinned(k->v->t, k->layer));
	} else if (st == CELL_EVICTED) {
		str_add(o, "   %c%d was used by this pass, then evicted (window "
			"%d)", k->mat == MAT_K ? 'k' : 'v', k->c,
			trace_window(k->v->t, k->layer));
	}
}

/*
 * A RoPE model's score S[i,j]: another score of the same two tokens at
 * the same distance, computed by this step, is the same number.
 */
static void note_same_distance(Str *o, const Cell *k)
{
	const Trace *t = k->v->t;
	int d = k->c - k->r;
	for (int i2 = 1; i2 + d <= k->s->step; i2++) {
		double x;
		if (i2 == k->r || trace_token(t, i2) != trace_token(t, k->r) ||
		    trace_token(t, i2 + d) != trace_token(t, k->c) ||
		    !trace_value_at(t, k->layer, k->s->head, MAT_S, i2, i2 + d,
				    &x))
			continue;
		str_add(o, "; same tokens %d apart: S[%d,%d] = ", d, i2, i2 + d);
		add_num_at(o, x, false, k->s->digits);
		return;
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

static void explain_masked(Str *o, const Cell *k)
{
	str_add(o, "%s[%d,%d] is masked: ", matrix_name(k->mat), k->r, k->c);
	if (k->r > k->c)
		str_add(o, "key %d comes after query %d", k->r, k->c);
	else if (trace_pinned(k->v->t, k->layer) > 0)
		str_add(o, "key %d is outside query %d's window of %d "
			"(keys %d-%d) and not pinned (sink_tokens = %d)", k->r,
			k->c, trace_window(k->v->t, k->layer),
			first_key(k, k->c), k->c,
			trace_pinned(k->v->t, k->layer));
	else
		str_add(o, "key %d is outside query %d's window of %d "
			"(keys %d-%d)", k->r, k->c,
			trace_window(k->v->t, k->layer), first_key(k, k->c),
			k->c);
	str_add(o, ", so it is never computed");
}

/*
 * A sliding-window cache keeps W slots; column c sits in slot (c-1) mod W
 * until column c+W takes that slot.
 */
static void explain_evicted(Str *o, const Cell *k)
{
	const Trace *t = k->v->t;
	int w = trace_window(t, k->layer);
	TraceKv kv = { .place = { 0, 0 } };
	trace_kv_at(t, k->s->step, k->s->focus, k->layer, k->c, &kv);
	int now = trace_kv_holder(t, k->s->step, k->s->focus, k->layer,
				  kv.place);
	str_add(o, "%s[%d,%d] evicted: layer %d caches only the last %d "
		"columns; column %d left slot %d, which now holds column %d",
		matrix_name(k->mat), k->r, k->c, k->layer, w, k->c,
		kv.place.slot, now);
}

int tui_inspect_text(const TuiView *v, const TuiState *s, char *out,
		     size_t n)
{
	Str o = { out, n, 0 };
	out[0] = '\0';
	Cell k = { .v = v, .s = s, .m = trace_model(v->t), .mat = s->cur_mat,
		   .r = s->cur_row, .c = s->cur_col,
		   .layer = tui_state_layer_of(s, s->cur_mat),
		   .dot = v->ascii ? " x " : "·",
		   .sdot = v->ascii ? " x " : " · " };
	CellStatus st = tui_state_status(s, v->t, s->focus, k.layer, k.mat,
					 k.r, k.c);
	add_where(&o, &k);
	if (st == CELL_ABSENT) {
		explain_absent(&o, &k);
		return (int)o.len;
	}
	if (st == CELL_MASKED) {
		explain_masked(&o, &k);
		return (int)o.len;
	}
	bool used = tui_evicted_has_value(v->t, s->step, s->focus, st, k.c);
	if (st != CELL_COMPUTED && st != CELL_REUSED &&
	    st != CELL_RECOMPUTED && !used) {
		explain_evicted(&o, &k);
		return (int)o.len;
	}
	if (k.mat == MAT_X)
		explain_x(&o, &k);
	else if ((k.mat == MAT_Q || k.mat == MAT_K) && k.m->rope > 0)
		explain_rope(&o, &k);
	else if (k.mat == MAT_Q || k.mat == MAT_K || k.mat == MAT_V)
		explain_proj(&o, &k);
	else if (k.mat == MAT_S)
		explain_s(&o, &k);
	else if (k.mat == MAT_A)
		explain_a(&o, &k);
	else if (k.mat == MAT_Z)
		explain_z(&o, &k);
	else if (k.mat == MAT_H)
		explain_h(&o, &k);
	else if (k.mat == MAT_LOGITS)
		explain_logits(&o, &k);
	else if (k.mat == MAT_KQ || k.mat == MAT_VQ)
		explain_quant(&o, &k);
	note_quant_inputs(&o, &k);
	note_status(&o, &k, st);
	if (k.mat == MAT_S && k.m->rope > 0)
		note_same_distance(&o, &k);
	return (int)o.len;
}

/* Rows `s` takes wrapped at w0 columns, then w columns per row. */
static int rows_needed(const char *s, int w0, int w)
{
	int rows = 0;
	for (int width = w0; *s; width = w) {
		s = tui_text_wrap(s, width);
		while (*s == ' ')
			s++;
		rows++;
	}
	return rows;
}

/*
 * The parenthesised sum with the most top-level terms: its '(' and ')'
 * in *open and *close, its terms' starts in starts[] (each term runs to
 * the " + " before the next, the last to ')'). Returns the term count,
 * 0 when there is no sum.
 */
static int widest_sum(const char *s, const char **open, const char **close,
		      const char **starts, int max)
{
	int best = 0;
	for (const char *p = strchr(s, '('); p; p = strchr(p + 1, '(')) {
		const char *tmp[256];
		int depth = 0, n = 1;
		const char *q = p + 1;
		tmp[0] = q;
		for (; *q && !(depth == 0 && *q == ')'); q++) {
			depth += *q == '(' ? 1 : *q == ')' ? -1 : 0;
			if (depth == 0 && strncmp(q, " + ", 3) == 0 && n < 256)
				tmp[n++] = q + 3;
		}
		if (*q != ')' || n < 3 || n <= best || n > max)
			continue;
		best = n;
		*open = p;
		*close = q;
		memcpy(starts, tmp, (size_t)n * sizeof *starts);
	}
	return best;
}

/*
 * `text` with the middle terms of its longest sum replaced by "…",
 * keeping `keep` terms at each end: "(a + b + … + y + z)". The result
 * after the sum is kept whole.
 */
static void elide_sum(const char *text, int keep, bool ascii, char *out,
		      size_t n)
{
	const char *open = NULL, *close = NULL, *starts[256];
	int terms = widest_sum(text, &open, &close, starts, 256);
	if (terms < 2 * keep + 1) {
		snprintf(out, n, "%s", text);
		return;
	}
	/* the head ends before the " + " that starts term keep+1 */
	int head = (int)(starts[keep] - 3 - text);
	snprintf(out, n, "%.*s + %s + %s", head, text, ascii ? "..." : "…",
		 starts[terms - keep]);
}

/*
 * The inspector's text fitted to `rows` rows of `w0` then `w` columns:
 * whole when it fits; else the middle of its longest sum becomes "…",
 * so the first and last terms and the result always show; last, the
 * notes after the result are cut, ending in "…".
 */
static void inspect_fit(const char *text, int w0, int w, int rows,
			bool ascii, char *out, size_t n)
{
	snprintf(out, n, "%s", text);
	if (rows_needed(out, w0, w) <= rows)
		return;
	const char *open, *close, *starts[256];
	int terms = widest_sum(text, &open, &close, starts, 256);
	for (int keep = (terms - 1) / 2; keep >= 1; keep--) {
		elide_sum(text, keep, ascii, out, n);
		if (rows_needed(out, w0, w) <= rows)
			return;
	}
	/* notes follow the result after three spaces: cut them */
	const char *ell = ascii ? "..." : "…";
	/* (a text cut before a word may fit without its "…": go on) */
	for (;;) {
		char *notes = strstr(out, "   ");
		size_t len = strlen(out);
		if (!notes || len < 4 || out + len - 3 <= notes)
			break;
		/* drop the last word of the notes, then mark the cut */
		char *cut = out + len - 1;
		while (cut > notes + 3 && *cut != ' ')
			cut--;
		if (cut <= notes + 3) {
			*notes = '\0';
			break;
		}
		snprintf(cut, n - (size_t)(cut - out), " %s", ell);
		if (rows_needed(out, w0, w) <= rows)
			return;
		*cut = '\0';
	}
	/* still too long (a tiled Z's derivation has no sum to shorten):
	 * drop words from the end and say so with "…", never a row hidden
	 * below the last */
	if (rows_needed(out, w0, w) <= rows)
		return;
	size_t len = strlen(out);
	while (len > 0) {
		while (len > 0 && out[len - 1] != ' ')
			len--;
		while (len > 0 && out[len - 1] == ' ')
			len--;
		snprintf(out + len, n - len, " %s", ell);
		if (rows_needed(out, w0, w) <= rows)
			return;
	}
	snprintf(out, n, "%s", ell);
}

void tui_render_inspector(TuiBuf *b, const TuiView *v, const TuiState *s,
			  TuiRect r, bool name_mode)
{
	char full[1024], text[1024];
	tui_inspect_text(v, s, full, sizeof full);
	int x = tui_buf_put(b, r.x, r.y, r.x + r.w, ROLE_TITLE,
			    s->inspect ? "INSPECT " : "");
	if (name_mode) {
		char mode[32];
		snprintf(mode, sizeof mode, "%s: ", mode_title(s->focus));
		x = tui_buf_put(b, x, r.y, r.x + r.w, ROLE_TITLE, mode);
	}
	inspect_fit(full, r.x + r.w - x, r.w - 2, r.h, v->ascii, text,
		    sizeof text);
	const char *p = text;
	for (int y = r.y; y < r.y + r.h && *p; y++) {
		const char *end = tui_text_wrap(p, r.x + r.w - x);
		char line[1024];
		size_t n = (size_t)(end - p);
		memcpy(line, p, n);
		line[n] = '\0';
		tui_buf_put(b, x, y, r.x + r.w, ROLE_NORMAL, line);
		p = end;
		while (*p == ' ')
			p++; /* the gap before a note does not indent the next row */
		x = r.x + 2; /* continuation lines are indented */
	}
}
