/*
 * The tiles panel (--attention flash): where the standard kernel's S and A
 * blocks would be, the tiled kernel's states for one query column of the
 * selected layer and head, read from the trace (trace_tiles.h):
 *
 *   tiles of q3, B=2 (no S, no A held)  z vs standard: |Δ| ≤ 8.9e-16, 85 ULP
 *   tile keys      m       α       l       o
 *   1    k1-k2     1.00    1.00    1.37    1.37 0.37
 *   2    k3-k3     1.00    1.00    2.37    3.37 0.04
 *
 * A split column (--split) shows each part's tiles, then a `merge p` row
 * with the merged state (α for the merged side, β in the o column's
 * place is not shown; docs/tiled-attention.md).
 */
#include "tui_render.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* The query column shown: the cursor's column when the pass attended it,
 * else the pass's last column. */
int tui_tiles_query(const TuiState *s, const Trace *t, Mode mode)
{
	const PassInfo *p = &trace_step(t, s->step, mode)->info;
	int q = s->cur_col;
	return q >= p->att_lo && q <= p->hi && s->cur_mat != MAT_LOGITS ? q
									 : p->hi;
}

/* 1 when the head has a sink logit: the state starts from it (m = sink,
 * l = 1, o = 0), shown as a row before tile 1; else 0. */
static int sink_rows(const TuiView *v, const TuiState *s)
{
	bool has;
	model_sink(trace_model(v->t), s->layer - 1, s->head - 1, &has);
	return has ? 1 : 0;
}

int tui_tiles_height(const TuiView *v, const TuiState *s, Mode mode,
		     int avail)
{
	const TraceTiles *tt = trace_tiles(v->t);
	if (!tui_state_tiled(s, v->t))
		return 0; /* a standard run, or the standard view of a tiled one */
	int q = tui_tiles_query(s, v->t, mode);
	int want = 2 + sink_rows(v, s) +
		   trace_tiles_count(tt, s->layer, s->head, q);
	if (want > avail)
		want = avail;
	/* the title, the header and one row (a tile, or the count hidden) */
	return want >= 3 ? want : 0;
}

/* Width left for key_hi so that "k<lo>-k<hi>" fills 12 columns. */
static int keys_pad(int lo)
{
	int d = lo >= 1000 ? 4 : lo >= 100 ? 3 : lo >= 10 ? 2 : 1;
	return 12 - 3 - d;
}

static void put_num(char *out, size_t n, double x, int digits)
{
	char buf[32];
	tui_format_value(x, digits, buf, sizeof buf);
	size_t len = strlen(out);
	if (len < n)
		snprintf(out + len, n - len, " %7s", buf);
}

static void title_row(TuiBuf *b, const TuiView *v, int q, TuiRect r)
{
	const TraceTiles *tt = trace_tiles(v->t);
	const TileKernel *k = trace_tiles_kernel(tt);
	const TileCompare *c = trace_tiles_compare(tt);
	char head[64], split[48] = "", cmp[80];
	snprintf(head, sizeof head, "tiles of q%d, B=%d", q, k->tile);
	if (k->split > 1)
		snprintf(split, sizeof split, ", split %d after q%d", k->split,
			 k->split_from - 1);
	snprintf(cmp, sizeof cmp, "  z vs standard: max |d| %.2g, %llu ULP",
		 c->max_abs, (unsigned long long)c->max_ulps);
	/* the longest that fits: the comparison goes before the aside */
	char full[200], mid[200];
	snprintf(full, sizeof full, "%s%s (no S, no A held)%s", head, split,
		 cmp);
	snprintf(mid, sizeof mid, "%s%s%s", head, split, cmp);
	const char *t = tui_text_width(full) <= r.w ? full
			: tui_text_width(mid) <= r.w ? mid : head;
	tui_buf_put(b, r.x, r.y, r.x + r.w, ROLE_TITLE, t);
}

void tui_render_tiles(TuiBuf *b, const TuiView *v, const TuiState *s,
		      Mode mode, TuiRect r)
{
	const TraceTiles *tt = trace_tiles(v->t);
	int q = tui_tiles_query(s, v->t, mode);
	title_row(b, v, q, r);
	if (r.h < 2)
		return;
	char head[96];
	/* "α" is two bytes and one column wide */
	snprintf(head, sizeof head, v->ascii ? "%-18s%8s%8s%8s%8s"
					     : "%-18s%8s%9s%8s%8s",
		 "tile  keys", "m", v->ascii ? "alpha" : "α", "l", "o");
	tui_buf_put(b, r.x, r.y + 1, r.x + r.w, ROLE_DIM, head);
	int n = trace_tiles_count(tt, s->layer, s->head, q);
	int d_v = trace_model(v->t)->d_v;
	int sink = sink_rows(v, s);
	/* rows 1-sink..n, row 0 the sink's start; the last rows when they
	 * do not all fit (z comes from the last), under a row that says how
	 * many earlier ones are hidden */
	int room = r.h - 2, first = 1 - sink, y = r.y + 2;
	if (n + sink > room && room >= 1) {
		int hidden = n + sink - (room - 1);
		first += hidden;
		char more[96];
		snprintf(more, sizeof more, "%s %d earlier %s (taller window)",
			 v->ascii ? "..." : "⋮", hidden,
			 hidden == 1 ? "row" : "rows");
		tui_buf_put(b, r.x, y++, r.x + r.w, ROLE_DIM, more);
	}
	if (first == 0 && y < r.y + r.h) {
		bool has;
		double m0 = model_sink(trace_model(v->t), s->layer - 1,
				       s->head - 1, &has);
		char row[256];
		snprintf(row, sizeof row, "%-18s", "sink  start");
		put_num(row, sizeof row, m0, s->digits);
		size_t len = strlen(row);
		snprintf(row + len, sizeof row - len, "%8s", "");
		put_num(row, sizeof row, 1.0, s->digits);
		for (int c = 0; c < d_v; c++)
			put_num(row, sizeof row, 0.0, s->digits);
		tui_buf_put(b, r.x, y++, r.x + r.w, ROLE_DIM, row);
		first = 1;
	}
	for (int i = first; i <= n && y < r.y + r.h; i++, y++) {
		TileState ts;
		if (!trace_tiles_get(tt, s->layer, s->head, q, i, &ts))
			continue;
		char row[256];
		if (ts.kind == TILE_STEP)
			snprintf(row, sizeof row, "%-5d k%d-k%-*d", ts.tile,
				 ts.key_lo, keys_pad(ts.key_lo), ts.key_hi);
		else
			snprintf(row, sizeof row, "mrg%-2d k%d-k%-*d", ts.part,
				 ts.key_lo, keys_pad(ts.key_lo), ts.key_hi);
		put_num(row, sizeof row, ts.m, s->digits);
		put_num(row, sizeof row, ts.alpha, s->digits);
		put_num(row, sizeof row, ts.l, s->digits);
		for (int c = 0; c < d_v; c++)
			put_num(row, sizeof row, ts.o[c], s->digits);
		Role role = ts.kind == TILE_STEP ? ROLE_COMPUTED : ROLE_REUSED;
		int x = tui_buf_put(b, r.x, y, r.x + r.w, role, row);
		/* a narrow pane (three side by side) cuts o: say so */
		if (tui_text_width(row) > r.w && r.w > 1 && x >= r.x + r.w)
			tui_buf_put(b, r.x + r.w - 1, y, r.x + r.w, ROLE_DIM,
				    v->ascii ? ">" : "…");
	}
}

/* Appends printf text to out[0..n) at *len, clipped. */
__attribute__((format(printf, 4, 5)))
static void add(char *out, size_t n, size_t *len, const char *fmt, ...)
{
	if (*len + 1 >= n)
		return;
	va_list ap;
	va_start(ap, fmt);
	int w = vsnprintf(out + *len, n - *len, fmt, ap);
	va_end(ap);
	if (w > 0)
		*len += (size_t)w < n - *len ? (size_t)w : n - *len - 1;
}

static const char *num(double x, int digits, char *buf, size_t n)
{
	tui_format_value(x, digits, buf, n);
	return buf;
}

/* x as a subtrahend or factor: negatives in parentheses, "(-0.5)". */
static const char *operand(double x, int digits, char *buf, size_t n)
{
	char v[32];
	tui_format_value(x, digits, v, sizeof v);
	snprintf(buf, n, x < 0 ? "(%s)" : "%s", v);
	return buf;
}

/* The explanation's shared settings. */
typedef struct Explain {
	const TuiView *v;
	const TuiState *s;
	int q, r, d;       /* query, value row, digits */
	const char *minus; /* "−", or "-" in ASCII */
	const char *dot;
} Explain;

/* The tile's score for key i (the standard kernel's S, which the trace
 * keeps beside the tiled run); false when it has none there. */
static bool tile_score(const Explain *e, int i, double *sc)
{
	return trace_key_visible(e->v->t, e->s->layer, i, e->q) &&
	       trace_value_kernel(e->v->t, PRODUCER_KERNEL_STANDARD,
				  e->s->layer, e->s->head, MAT_S, i, e->q, sc);
}

/* " + exp(s − m)" per key of the tile, with `times` and v_i when asked. */
static void add_terms(const Explain *e, const TileState *ts, bool with_v,
		      bool first, char *out, size_t n, size_t *len)
{
	char a[32], b[32], c[32];
	for (int i = ts->key_lo; i <= ts->key_hi; i++) {
		double sc, vi = 0;
		if (!tile_score(e, i, &sc))
			continue;
		add(out, n, len, "%sexp(%s %s %s)", first ? "" : " + ",
		    num(sc, e->d, a, sizeof a), e->minus,
		    operand(ts->m, e->d, b, sizeof b));
		first = false;
		if (with_v) {
			trace_value_kernel(e->v->t, PRODUCER_KERNEL_STANDARD,
					   e->s->layer, e->s->head, MAT_V, e->r,
					   i, &vi);
			add(out, n, len, "%s%s", e->dot,
			    operand(vi, e->d, c, sizeof c));
		}
	}
}

/*
 * One tile step from state `prev` (none for a part's first tile without
 * a sink): m = max(m', the tile's scores), α = exp(m' − m),
 * l = α·l' + Σ exp(s − m), o = α·o' + Σ exp(s − m)·v, with the real s
 * and v of the tile's keys.
 */
static void explain_step(const Explain *e, const TileState *last,
			 const TileState *prev, char *out, size_t n,
			 size_t *len)
{
	char a[32], b[32], c[32];
	int d = e->d, r = e->r;
	add(out, n, len, "m = max(");
	bool first = true;
	if (prev) {
		add(out, n, len, "%s", num(prev->m, d, a, sizeof a));
		first = false;
	}
	for (int i = last->key_lo; i <= last->key_hi; i++) {
		double sc;
		if (tile_score(e, i, &sc)) {
			add(out, n, len, "%s%s", first ? "" : ", ",
			    num(sc, d, a, sizeof a));
			first = false;
		}
	}
	add(out, n, len, ") = %s, ", num(last->m, d, a, sizeof a));
	if (prev)
		add(out, n, len, "%s = exp(%s %s %s) = %s, ",
		    e->v->ascii ? "alpha" : "α", num(prev->m, d, a, sizeof a),
		    e->minus, operand(last->m, d, b, sizeof b),
		    num(last->alpha, d, c, sizeof c));
	add(out, n, len, "l = ");
	if (prev)
		add(out, n, len, "%s%s%s", num(last->alpha, d, a, sizeof a),
		    e->dot, operand(prev->l, d, b, sizeof b));
	add_terms(e, last, false, !prev, out, n, len);
	add(out, n, len, " = %s, o%d = ", num(last->l, d, a, sizeof a), r);
	if (prev)
		add(out, n, len, "%s%s%s", num(last->alpha, d, a, sizeof a),
		    e->dot, operand(prev->o[r - 1], d, b, sizeof b));
	add_terms(e, last, true, !prev, out, n, len);
	add(out, n, len, " = %s", num(last->o[r - 1], d, a, sizeof a));
}

int tui_tiles_explain(const TuiView *v, const TuiState *s, int r, int q,
		      char *out, size_t n)
{
	const TraceTiles *tt = trace_tiles(v->t);
	int cnt = trace_tiles_count(tt, s->layer, s->head, q);
	TileState last, prev;
	size_t len = 0;
	out[0] = '\0';
	if (!trace_tiles_get(tt, s->layer, s->head, q, cnt, &last))
		return 0;
	bool has_prev = cnt > 1 &&
			trace_tiles_get(tt, s->layer, s->head, q, cnt - 1, &prev);
	Explain e = { .v = v, .s = s, .q = q, .r = r, .d = s->digits + 2,
		      .minus = v->ascii ? "-" : "−",
		      .dot = v->ascii ? " x " : "·" };
	int d = e.d;
	char a[32], b[32], c[32];
	double z;
	bool have_z = trace_value_at(v->t, s->layer, s->head, MAT_Z, r, q, &z);
	/* the result first: a short inspector row elides the tail */
	add(out, n, &len, "Z[%d,%d] = o%d / l", r, q, r);
	if (have_z)
		add(out, n, &len, " = %s / %s = %s",
		    num(last.o[r - 1], d, a, sizeof a),
		    num(last.l, d, b, sizeof b), num(z, s->digits, c, sizeof c));
	add(out, n, &len, " after %s %d (k%d-k%d) of q%d: ",
	    last.kind == TILE_STEP ? "tile" : "merge",
	    last.kind == TILE_STEP ? last.tile : last.part, last.key_lo,
	    last.key_hi, q);
	/* the state a part's first tile starts from: the sink's, if any
	 * (an unsplit column; m = sink, l = 1, o = 0), else none */
	double zero[64] = { 0 };
	TileState sink = { .l = 1.0, .o = zero };
	bool has_sink;
	sink.m = model_sink(trace_model(v->t), s->layer - 1, s->head - 1,
			    &has_sink);
	const TileKernel *k = trace_tiles_kernel(tt);
	if (last.kind == TILE_STEP && has_prev && last.part == prev.part &&
	    prev.kind == TILE_STEP) {
		explain_step(&e, &last, &prev, out, n, &len);
	} else if (last.kind == TILE_STEP && last.tile == 1 && k->split <= 1 &&
		   r <= 64) {
		explain_step(&e, &last, has_sink ? &sink : NULL, out, n, &len);
	} else {
		add(out, n, &len, "m = %s, l = %s, o%d = %s",
		    num(last.m, d, a, sizeof a), num(last.l, d, b, sizeof b), r,
		    num(last.o[r - 1], d, c, sizeof c));
	}
	add(out, n, &len, "   (S and A never held)");
	return (int)len;
}
