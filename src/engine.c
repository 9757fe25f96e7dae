#include "engine.h"

#include <stdlib.h>
#include <string.h>

#include "dot.h"

struct Engine {
	const Model *m;
	int cap;          /* positions the buffers hold */
	bool keeps_cache; /* K and V are a cache (cache and prefill modes) */
	int elem_bytes;   /* bytes per cached cell, for cache_bytes */
	int done;         /* last column any pass has computed */
	uint64_t passes;  /* passes run so far */
	int *slots;       /* (n_layers) K/V columns a layer stores: cap, or W
			     for a sliding-window layer that keeps a cache */
	double *x;        /* (n_layers+1, cap, d_model) input of each layer;
			     the last is the final output h (stacked) */
	double *q;        /* (n_layers, n_heads, cap, d_k) never reused */
	double **k;       /* (n_layers) → (n_kv_heads, slots, d_k): K cache */
	double **v;       /* (n_layers) → (n_kv_heads, slots, d_v): V cache */
	double *z;        /* (n_layers, n_heads, cap, d_v) attention outputs */
	double *s;        /* (cap) scores of the query column in flight */
	double *a;        /* (cap) its softmax */
	double *cat;      /* (n_heads·d_v) concat(z) then W_O·concat (d_model) */
	double *logits;   /* (vocab) logits of the latest pass */
};

/* Visible keys of query j under window w: lo_key..j. */
static int first_key(int j, int w)
{
	return w > 0 && j - w + 1 > 1 ? j - w + 1 : 1;
}

static int alloc_kv(Engine *e)
{
	const Model *m = e->m;
	e->slots = calloc((size_t)m->n_layers, sizeof *e->slots);
	e->k = calloc((size_t)m->n_layers, sizeof *e->k);
	e->v = calloc((size_t)m->n_layers, sizeof *e->v);
	if (!e->slots || !e->k || !e->v)
		return -1;
	for (int l = 0; l < m->n_layers; l++) {
		int w = m->window[l];
		e->slots[l] = e->keeps_cache && w > 0 && w < e->cap ? w : e->cap;
		size_t n = (size_t)m->n_kv_heads * (size_t)e->slots[l];
		e->k[l] = calloc(n * (size_t)m->d_k, sizeof **e->k);
		e->v[l] = calloc(n * (size_t)m->d_v, sizeof **e->v);
		if (!e->k[l] || !e->v[l])
			return -1;
	}
	return 0;
}

Engine *engine_new(const Model *m, int capacity, bool keeps_cache,
		   int elem_bytes, KvError *err)
{
	Engine *e = calloc(1, sizeof *e);
	if (!e)
		goto oom;
	*e = (Engine){ .m = m, .cap = capacity, .keeps_cache = keeps_cache,
		       .elem_bytes = elem_bytes };
	size_t c = (size_t)capacity, L = (size_t)m->n_layers;
	size_t H = (size_t)m->n_heads;
	e->x = calloc((L + 1) * c * (size_t)m->d_model, sizeof *e->x);
	e->q = calloc(L * H * c * (size_t)m->d_k, sizeof *e->q);
	e->z = calloc(L * H * c * (size_t)m->d_v, sizeof *e->z);
	e->s = calloc(c, sizeof *e->s);
	e->a = calloc(c, sizeof *e->a);
	size_t cat = H * (size_t)m->d_v > (size_t)m->d_model ?
			     H * (size_t)m->d_v : (size_t)m->d_model;
	e->cat = calloc(2 * cat, sizeof *e->cat);
	e->logits = calloc((size_t)m->vocab_n, sizeof *e->logits);
	if (!e->x || !e->q || !e->z || !e->s || !e->a || !e->cat ||
	    !e->logits || alloc_kv(e) != 0)
		goto oom;
	return e;
oom:
	engine_free(e);
	kv_error_set(err, EX_OSERR, "out of memory for %d positions", capacity);
	return NULL;
}

void engine_free(Engine *e)
{
	if (!e)
		return;
	for (int l = 0; e->k && l < e->m->n_layers; l++)
		free(e->k[l]);
	for (int l = 0; e->v && l < e->m->n_layers; l++)
		free(e->v[l]);
	free(e->k);
	free(e->v);
	free(e->slots);
	free(e->x);
	free(e->q);
	free(e->z);
	free(e->s);
	free(e->a);
	free(e->cat);
	free(e->logits);
	free(e);
}

/* x of layer l (0-based; l = n_layers is the final output) at column j. */
static double *x_col(const Engine *e, int l, int j)
{
	return e->x + ((size_t)l * (size_t)e->cap + (size_t)(j - 1)) *
			      (size_t)e->m->d_model;
}

static double *q_col(const Engine *e, int l, int h, int j)
{
	const Model *m = e->m;
	return e->q + (((size_t)l * (size_t)m->n_heads + (size_t)h) *
			       (size_t)e->cap + (size_t)(j - 1)) * (size_t)m->d_k;
}

static double *z_col(const Engine *e, int l, int h, int j)
{
	const Model *m = e->m;
	return e->z + (((size_t)l * (size_t)m->n_heads + (size_t)h) *
			       (size_t)e->cap + (size_t)(j - 1)) * (size_t)m->d_v;
}

/* K (or V) column j of K/V head g in layer l: its ring slot. */
static double *kv_col(const Engine *e, double *const *kv, int rows, int l,
		      int g, int j)
{
	size_t slots = (size_t)e->slots[l];
	size_t slot = (size_t)(j - 1) % slots;
	return kv[l] + ((size_t)g * slots + slot) * (size_t)rows;
}

static void emit(const EngineSink *sink, Matrix mat, int l, int h, int col,
		 int first_row, const double *v, int n)
{
	if (sink)
		sink->column(sink->ctx, mat, l + 1, h + 1, col, first_row, v, n);
}

/* x_j of layer 1 = embedding of the token + position j's vector. */
static void embed_column(Engine *e, int token, int j)
{
	const Model *m = e->m;
	double *x = x_col(e, 0, j);
	memcpy(x, m->embed + (size_t)token * (size_t)m->d_model,
	       (size_t)m->d_model * sizeof *x);
	if (m->pos_n > 0)
		axpy(x, 1.0, m->pos + (size_t)(j - 1) * (size_t)m->d_model,
		     m->d_model);
}

/* q_j = W_Q·x_j for every head; k_j, v_j for every K/V head. */
static void project_column(Engine *e, int l, int j, const EngineSink *sink)
{
	const Model *m = e->m;
	const double *x = x_col(e, l, j);
	emit(sink, MAT_X, l, 0, j, 1, x, m->d_model);
	for (int h = 0; h < m->n_heads; h++) {
		double *q = q_col(e, l, h, j);
		matvec(q, model_wq(m, l, h), x, m->d_k, m->d_model);
		emit(sink, MAT_Q, l, h, j, 1, q, m->d_k);
	}
	for (int g = 0; g < m->n_kv_heads; g++) {
		double *k = kv_col(e, e->k, m->d_k, l, g, j);
		double *v = kv_col(e, e->v, m->d_v, l, g, j);
		matvec(k, model_wk(m, l, g), x, m->d_k, m->d_model);
		matvec(v, model_wv(m, l, g), x, m->d_v, m->d_model);
		emit(sink, MAT_K, l, g, j, 1, k, m->d_k);
		emit(sink, MAT_V, l, g, j, 1, v, m->d_v);
	}
}

/*
 * Query column j of head h: s_i = (k_i·q_j)·scale for the visible keys
 * i = lo_key..j (the others are masked and never computed),
 * a = softmax(s) down the column, z_j = Σ_i a_i·v_i accumulated in rising i.
 */
static void attend_head(Engine *e, int l, int h, int j, const EngineSink *sink)
{
	const Model *m = e->m;
	int g = model_kv_head(m, h), lo_key = first_key(j, m->window[l]);
	int n = j - lo_key + 1;
	const double *q = q_col(e, l, h, j);
	for (int i = lo_key; i <= j; i++)
		e->s[i - lo_key] = dot(kv_col(e, e->k, m->d_k, l, g, i), q,
				       m->d_k) * m->scale;
	softmax(e->a, e->s, n);
	double *z = z_col(e, l, h, j);
	memset(z, 0, (size_t)m->d_v * sizeof *z);
	for (int i = lo_key; i <= j; i++)
		axpy(z, e->a[i - lo_key], kv_col(e, e->v, m->d_v, l, g, i),
		     m->d_v);
	emit(sink, MAT_S, l, h, j, lo_key, e->s, n);
	emit(sink, MAT_A, l, h, j, lo_key, e->a, n);
	emit(sink, MAT_Z, l, h, j, 1, z, m->d_v);
}

/* Stacked models: h_j = x_j + W_O·concat(z_j of every head). */
static void combine_column(Engine *e, int l, int j, const EngineSink *sink)
{
	const Model *m = e->m;
	if (!m->stacked)
		return;
	int hd = m->n_heads * m->d_v;
	for (int h = 0; h < m->n_heads; h++)
		memcpy(e->cat + (size_t)h * (size_t)m->d_v, z_col(e, l, h, j),
		       (size_t)m->d_v * sizeof *e->cat);
	double *y = e->cat + hd;
	matvec(y, model_wo(m, l), e->cat, m->d_model, hd);
	const double *x = x_col(e, l, j);
	double *out = x_col(e, l + 1, j);
	for (int r = 0; r < m->d_model; r++)
		out[r] = x[r] + y[r];
	emit(sink, MAT_H, l, 0, j, 1, out, m->d_model);
}

/* Counts the work of column j in layer l. */
static void count_column(const Engine *e, int l, int j, int lo, Counters *c)
{
	const Model *m = e->m;
	uint64_t H = (uint64_t)m->n_heads, G = (uint64_t)m->n_kv_heads;
	uint64_t dm = (uint64_t)m->d_model, dk = (uint64_t)m->d_k;
	uint64_t dv = (uint64_t)m->d_v;
	int lo_key = first_key(j, m->window[l]);
	uint64_t keys = (uint64_t)(j - lo_key + 1);
	uint64_t proj = dm * (H * dk + G * (dk + dv));
	if (m->stacked)
		proj += dm * H * dv; /* W_O */
	bool redo = j <= e->done;
	c->macs_proj += proj;
	c->macs_scores += H * dk * keys;
	c->macs_av += H * dv * keys;
	c->exps += H * keys;
	c->recomputed_macs += redo ? proj + H * (dk + dv) * keys : 0;
	if (e->keeps_cache && lo > lo_key) {
		/* keys lo_key..lo-1 come from the cache, read once per K/V head */
		int cached = (lo - 1 < j ? lo - 1 : j) - lo_key + 1;
		c->cache_reads += G * (dk + dv) * (uint64_t)cached;
	}
}

/* K plus V cells held after a pass ending at column hi. */
static uint64_t cache_cells(const Engine *e, int hi)
{
	const Model *m = e->m;
	uint64_t cells = 0;
	for (int l = 0; l < m->n_layers; l++) {
		int w = m->window[l], held = w > 0 && w < hi ? w : hi;
		cells += (uint64_t)held * (uint64_t)m->n_kv_heads *
			 (uint64_t)(m->d_k + m->d_v);
	}
	return cells;
}

static void logits_for(Engine *e, int hi, const EngineSink *sink, Counters *c)
{
	const Model *m = e->m;
	const double *in = m->stacked ? x_col(e, m->n_layers, hi)
				      : z_col(e, 0, 0, hi);
	int dim = model_out_dim(m);
	matvec(e->logits, m->wout, in, m->vocab_n, dim);
	emit(sink, MAT_LOGITS, 0, 0, hi, 1, e->logits, m->vocab_n);
	c->macs_logits = (uint64_t)m->vocab_n * (uint64_t)dim;
	if (hi <= e->done)
		c->recomputed_macs += c->macs_logits;
}

void engine_pass(Engine *e, const int *tokens, int lo, int hi,
		 const EngineSink *sink, Counters *pass, PassInfo *info)
{
	const Model *m = e->m;
	memset(pass, 0, sizeof *pass);
	for (int j = lo; j <= hi; j++) {
		embed_column(e, tokens[j - 1], j);
		for (int l = 0; l < m->n_layers; l++) {
			project_column(e, l, j, sink);
			for (int h = 0; h < m->n_heads; h++)
				attend_head(e, l, h, j, sink);
			combine_column(e, l, j, sink);
			count_column(e, l, j, lo, pass);
		}
	}
	logits_for(e, hi, sink, pass);
	if (e->keeps_cache) {
		pass->cache_cells = cache_cells(e, hi);
		pass->cache_bytes = pass->cache_cells * (uint64_t)e->elem_bytes;
	}
	pass->passes = ++e->passes;
	*info = (PassInfo){ .proj_lo = lo, .att_lo = lo, .hi = hi,
			    .first_new = e->done + 1 };
	if (hi > e->done)
		e->done = hi;
}

const double *engine_logits(const Engine *e)
{
	return e->logits;
}

const double *engine_column(const Engine *e, Matrix mat, int layer, int head,
			    int col)
{
	const Model *m = e->m;
	int l = layer - 1, h = head - 1;
	if (col < 1 || col > e->cap || l < 0 || l >= m->n_layers || h < 0)
		return NULL;
	bool kv = mat == MAT_K || mat == MAT_V;
	if (h >= (kv ? m->n_kv_heads : m->n_heads))
		return NULL;
	if (kv && col <= e->done - e->slots[l])
		return NULL; /* overwritten in the ring */
	switch (mat) {
	case MAT_X: return x_col(e, l, col);
	case MAT_H: return m->stacked ? x_col(e, l + 1, col) : NULL;
	case MAT_Q: return q_col(e, l, h, col);
	case MAT_K: return kv_col(e, e->k, m->d_k, l, h, col);
	case MAT_V: return kv_col(e, e->v, m->d_v, l, h, col);
	case MAT_Z: return z_col(e, l, h, col);
	case MAT_S:
	case MAT_A:
	case MAT_LOGITS:
	case MAT_COUNT:
		break;
	}
	return NULL;
}
