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
	double *x;        /* (cap, d_model) column j at x + (j-1)·d_model */
	double *q;        /* (cap, d_k)  queries; never reused across passes */
	double *k;        /* (cap, d_k)  keys: the K cache */
	double *v;        /* (cap, d_v)  values: the V cache */
	double *z;        /* (cap, d_v)  attention outputs */
	double *s;        /* (cap) scores of the query column in flight */
	double *a;        /* (cap) its softmax */
	double *logits;   /* (vocab) logits of the latest pass */
};

Engine *engine_new(const Model *m, int capacity, bool keeps_cache,
		   int elem_bytes, KvError *err)
{
	Engine *e = calloc(1, sizeof *e);
	size_t per_col = (size_t)m->d_model + 2u * (size_t)m->d_k +
			 2u * (size_t)m->d_v + 2u;
	double *buf = calloc(per_col * (size_t)capacity + (size_t)m->vocab_n,
			     sizeof *buf);
	if (!e || !buf) {
		free(e);
		free(buf);
		kv_error_set(err, EX_OSERR, "out of memory for %d positions",
			     capacity);
		return NULL;
	}
	e->m = m;
	e->cap = capacity;
	e->keeps_cache = keeps_cache;
	e->elem_bytes = elem_bytes;
	size_t c = (size_t)capacity;
	e->x = buf;
	e->q = e->x + c * (size_t)m->d_model;
	e->k = e->q + c * (size_t)m->d_k;
	e->v = e->k + c * (size_t)m->d_k;
	e->z = e->v + c * (size_t)m->d_v;
	e->s = e->z + c * (size_t)m->d_v;
	e->a = e->s + c;
	e->logits = e->a + c;
	return e;
}

void engine_free(Engine *e)
{
	if (!e)
		return;
	free(e->x); /* the one block all buffers live in */
	free(e);
}

static double *col_of(double *base, int rows, int col)
{
	return base + (size_t)(col - 1) * (size_t)rows;
}

static void emit(const EngineSink *sink, Matrix mat, int col, const double *v,
		 int rows)
{
	if (sink)
		sink->column(sink->ctx, mat, col, v, rows);
}

/* x_j = embedding of token + position j; q_j, k_j, v_j = W·x_j. */
static void project_column(Engine *e, int token, int j, const EngineSink *sink)
{
	const Model *m = e->m;
	double *x = col_of(e->x, m->d_model, j);
	memcpy(x, m->embed + (size_t)token * (size_t)m->d_model,
	       (size_t)m->d_model * sizeof *x);
	if (m->pos_n > 0)
		axpy(x, 1.0, m->pos + (size_t)(j - 1) * (size_t)m->d_model,
		     m->d_model);
	double *q = col_of(e->q, m->d_k, j);
	double *k = col_of(e->k, m->d_k, j);
	double *v = col_of(e->v, m->d_v, j);
	matvec(q, m->wq, x, m->d_k, m->d_model);
	matvec(k, m->wk, x, m->d_k, m->d_model);
	matvec(v, m->wv, x, m->d_v, m->d_model);
	emit(sink, MAT_X, j, x, m->d_model);
	emit(sink, MAT_Q, j, q, m->d_k);
	emit(sink, MAT_K, j, k, m->d_k);
	emit(sink, MAT_V, j, v, m->d_v);
}

/*
 * Query column j: s_i = (k_i·q_j)·scale for keys i = 1..j (keys after j are
 * masked and never computed), a = softmax(s) down the column,
 * z_j = Σ_i a_i·v_i accumulated in rising i.
 */
static void attend_column(Engine *e, int j, const EngineSink *sink)
{
	const Model *m = e->m;
	const double *q = col_of(e->q, m->d_k, j);
	for (int i = 1; i <= j; i++)
		e->s[i - 1] = dot(col_of(e->k, m->d_k, i), q, m->d_k) * m->scale;
	softmax(e->a, e->s, j);
	double *z = col_of(e->z, m->d_v, j);
	memset(z, 0, (size_t)m->d_v * sizeof *z);
	for (int i = 1; i <= j; i++)
		axpy(z, e->a[i - 1], col_of(e->v, m->d_v, i), m->d_v);
	emit(sink, MAT_S, j, e->s, j);
	emit(sink, MAT_A, j, e->a, j);
	emit(sink, MAT_Z, j, z, m->d_v);
}

/* Counts the work of projecting column j and attending query j. */
static void count_column(const Engine *e, int j, bool projected,
			 bool attended, int proj_lo, Counters *c)
{
	const Model *m = e->m;
	uint64_t kv = (uint64_t)(m->d_k + m->d_v);
	uint64_t proj = (uint64_t)m->d_model * (2u * (uint64_t)m->d_k +
						(uint64_t)m->d_v);
	bool redo = j <= e->done;
	if (projected) {
		c->macs_proj += proj;
		c->recomputed_macs += redo ? proj : 0;
	}
	if (attended) {
		uint64_t keys = (uint64_t)j;
		c->macs_scores += (uint64_t)m->d_k * keys;
		c->macs_av += (uint64_t)m->d_v * keys;
		c->exps += keys;
		c->recomputed_macs += redo ? kv * keys : 0;
		if (e->keeps_cache) {
			int cached = proj_lo - 1 < j ? proj_lo - 1 : j;
			c->cache_reads += kv * (uint64_t)cached;
		}
	}
}

void engine_pass(Engine *e, const int *tokens, int proj_lo, int att_lo,
		 int hi, const EngineSink *sink, Counters *pass,
		 PassInfo *info)
{
	const Model *m = e->m;
	memset(pass, 0, sizeof *pass);
	for (int j = proj_lo; j <= hi; j++) {
		project_column(e, tokens[j - 1], j, sink);
		count_column(e, j, true, false, proj_lo, pass);
	}
	for (int j = att_lo; j <= hi; j++) {
		attend_column(e, j, sink);
		count_column(e, j, false, true, proj_lo, pass);
	}
	matvec(e->logits, m->wout, col_of(e->z, m->d_v, hi), m->vocab_n,
	       m->d_v);
	emit(sink, MAT_LOGITS, hi, e->logits, m->vocab_n);
	pass->macs_logits = (uint64_t)m->vocab_n * (uint64_t)m->d_v;
	if (hi <= e->done)
		pass->recomputed_macs += pass->macs_logits;
	if (e->keeps_cache) {
		pass->cache_cells = (uint64_t)hi * (uint64_t)(m->d_k + m->d_v);
		pass->cache_bytes = pass->cache_cells * (uint64_t)e->elem_bytes;
	}
	pass->passes = ++e->passes;
	*info = (PassInfo){ .proj_lo = proj_lo, .att_lo = att_lo, .hi = hi,
			    .first_new = e->done + 1 };
	if (hi > e->done)
		e->done = hi;
}

const double *engine_logits(const Engine *e)
{
	return e->logits;
}

const double *engine_column(const Engine *e, Matrix mat, int col)
{
	const Model *m = e->m;
	if (col < 1 || col > e->cap)
		return NULL;
	switch (mat) {
	case MAT_X: return col_of(e->x, m->d_model, col);
	case MAT_Q: return col_of(e->q, m->d_k, col);
	case MAT_K: return col_of(e->k, m->d_k, col);
	case MAT_V: return col_of(e->v, m->d_v, col);
	case MAT_Z: return col_of(e->z, m->d_v, col);
	case MAT_S:
	case MAT_A:
	case MAT_LOGITS:
	case MAT_COUNT:
		break;
	}
	return NULL;
}
