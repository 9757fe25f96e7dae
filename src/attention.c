#include "attention.h"

#include <math.h>
#include <string.h>

#include "dot.h"

/* Position of key i (0-based): the pinned run, then the window run. */
static int key_pos(const AttnInput *in, int i)
{
	return i < in->n_pinned ? i + 1 : in->key_lo + i - in->n_pinned;
}

static double score_of(const AttnInput *in, int i)
{
	return dot(in->k[i], in->q, in->d_k) * in->scale;
}

void attn_standard(const AttnInput *in, double *s, double *a, double *z,
		   AttnWork *work)
{
	int n = in->n;
	for (int i = 0; i < n; i++)
		s[i] = score_of(in, i);
	if (!in->has_sink) {
		softmax(a, s, n);
	} else {
		/* the sink joins the max and, first, the sum; it has no value */
		double max = in->sink;
		for (int i = 0; i < n; i++)
			if (s[i] > max)
				max = s[i];
		double sum = exp(in->sink - max);
		for (int i = 0; i < n; i++) {
			a[i] = exp(s[i] - max);
			sum += a[i];
		}
		for (int i = 0; i < n; i++)
			a[i] /= sum;
		work->exps++;
	}
	memset(z, 0, (size_t)in->d_v * sizeof *z);
	for (int i = 0; i < n; i++)
		axpy(z, a[i], in->v[i], in->d_v);
	work->exps += (uint64_t)n;
	work->score_cells += (uint64_t)n;
}

size_t attn_tiled_scratch(int tile, int d_v)
{
	return (size_t)tile + 2 * (size_t)d_v;
}

/* One part's running state. */
typedef struct Run {
	double m, l;
	double *o;
	bool started;
} Run;

/* Folds keys lo..hi (0-based, inclusive) into `r` as one tile. */
static void fold_tile(const AttnInput *in, int lo, int hi, double *s, Run *r,
		      double *alpha, AttnWork *work)
{
	double mt = s[0] = score_of(in, lo);
	for (int i = lo + 1; i <= hi; i++) {
		s[i - lo] = score_of(in, i);
		if (s[i - lo] > mt)
			mt = s[i - lo];
	}
	double m1 = r->started && r->m > mt ? r->m : mt;
	*alpha = 1.0;
	if (r->started) {
		*alpha = exp(r->m - m1);
		work->exps++;
		r->l *= *alpha;
		for (int c = 0; c < in->d_v; c++)
			r->o[c] *= *alpha;
	} else {
		r->l = 0.0;
		memset(r->o, 0, (size_t)in->d_v * sizeof *r->o);
	}
	for (int i = lo; i <= hi; i++) {
		double p = exp(s[i - lo] - m1);
		r->l += p;
		axpy(r->o, p, in->v[i], in->d_v);
	}
	work->exps += (uint64_t)(hi - lo + 1);
	work->tiles++;
	r->m = m1;
	r->started = true;
}

/* Runs part keys lo..hi (0-based) tile by tile, reporting each state. */
static void run_part(const AttnInput *in, int tile, int part, int lo, int hi,
		     double *s, Run *r, int *seqno, int *tileno, AttnTileFn fn,
		     void *ctx, AttnWork *work)
{
	r->started = false;
	if (part == 1 && in->has_sink) {
		r->m = in->sink;
		r->l = 1.0;
		memset(r->o, 0, (size_t)in->d_v * sizeof *r->o);
		r->started = true;
	}
	for (int a = lo, b; a <= hi; a = b + 1) {
		b = a + tile - 1 < hi ? a + tile - 1 : hi;
		if (a < in->n_pinned && b >= in->n_pinned)
			b = in->n_pinned - 1; /* a tile stops at the gap */
		double alpha;
		fold_tile(in, a, b, s, r, &alpha, work);
		TileState ts = { .kind = TILE_STEP, .seqno = ++*seqno,
				 .part = part, .tile = ++*tileno,
				 .key_lo = key_pos(in, a),
				 .key_hi = key_pos(in, b), .m = r->m, .l = r->l,
				 .alpha = alpha, .beta = 1.0, .o = r->o };
		if (fn)
			fn(ctx, &ts);
	}
}

/* Folds partial `p` into the merged state `g` and reports the merge. */
static void merge_part(const AttnInput *in, const Run *p, int part, int lo,
		       int hi, Run *g, int *seqno, AttnTileFn fn, void *ctx,
		       AttnWork *work)
{
	double alpha = 1.0, beta = 1.0;
	if (!g->started) {
		g->m = p->m;
		g->l = p->l;
		memcpy(g->o, p->o, (size_t)in->d_v * sizeof *g->o);
		g->started = true;
	} else {
		double m1 = g->m > p->m ? g->m : p->m;
		alpha = exp(g->m - m1);
		beta = exp(p->m - m1);
		work->exps += 2;
		g->l = alpha * g->l + beta * p->l;
		for (int c = 0; c < in->d_v; c++)
			g->o[c] = alpha * g->o[c] + beta * p->o[c];
		g->m = m1;
	}
	TileState ts = { .kind = TILE_MERGE, .seqno = ++*seqno, .part = part,
			 .tile = part, .key_lo = key_pos(in, lo),
			 .key_hi = key_pos(in, hi), .m = g->m, .l = g->l,
			 .alpha = alpha, .beta = beta, .o = g->o };
	if (fn)
		fn(ctx, &ts);
}

void attn_tiled(const AttnInput *in, int tile, int split, double *scratch,
		double *z, AttnTileFn fn, void *ctx, AttnWork *work)
{
	int n = in->n, seqno = 0, tileno = 0;
	int len = split > 1 ? (n + split - 1) / split : n;
	double *s = scratch;
	Run part = { .o = scratch + tile };
	Run merged = { .o = scratch + tile + in->d_v };
	for (int p = 1, lo = 0; lo < n; p++, lo += len) {
		int hi = lo + len - 1 < n - 1 ? lo + len - 1 : n - 1;
		run_part(in, tile, p, lo, hi, s, &part, &seqno, &tileno, fn, ctx,
			 work);
		if (len < n)
			merge_part(in, &part, p, lo, hi, &merged, &seqno, fn,
				   ctx, work);
	}
	const Run *r = len < n ? &merged : &part;
	for (int c = 0; c < in->d_v; c++)
		z[c] = r->o[c] / r->l;
}
