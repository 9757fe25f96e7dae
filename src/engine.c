#include "engine.h"

#include <stdlib.h>
#include <string.h>

#include "attention.h"
#include "dot.h"

struct Engine {
	const Model *m;
	int cap;          /* positions per sequence */
	int seqs;         /* sequences 1..seqs */
	bool keeps_cache; /* K and V count as a cache (cache and prefill modes) */
	int elem_bytes;   /* bytes per cached cell, for cache_bytes */
	int *done;        /* (seqs) last column any pass computed */
	uint64_t passes;  /* passes run so far */
	KvCache *cache;   /* K and V of every sequence */
	const EngineSink *sink; /* of the pass in flight, for cache events */
	double *x;        /* (n_layers+1, seqs·cap, d_model) input of each
			     layer; the last is the final output h (stacked) */
	double *q;        /* (n_layers, n_heads, seqs·cap, d_k) */
	double *z;        /* (n_layers, n_heads, seqs·cap, d_v) */
	double *kbuf;     /* (d_k) a K column before it goes to the cache */
	double *vbuf;     /* (d_v) */
	double *s;        /* (cap) scores of the query column in flight */
	double *a;        /* (cap) its softmax */
	double *cat;      /* (n_heads·d_v) concat(z) then W_O·concat (d_model) */
	double *logits;   /* (seqs, vocab) logits of each sequence's last chunk */
	bool tiled;       /* the tiled kernel: no S, no A (attention.h) */
	int tile;         /* keys per tile */
	int split;        /* parts of a split query column */
	int split_from;   /* first query position split */
	const double **kp; /* (cap) K columns of the query in flight */
	const double **vp; /* (cap) V columns */
	double *scratch;  /* attn_tiled_scratch() doubles */
	AttnWork work;    /* of the column in flight, for the counters */
};

/* Visible keys of query j under window w: lo_key..j. */
static int first_key(int j, int w)
{
	return w > 0 && j - w + 1 > 1 ? j - w + 1 : 1;
}

static int cache_init(Engine *e, const EngineSpec *sp, KvError *err)
{
	const Model *m = e->m;
	KvCacheSpec cs = { .n_layers = m->n_layers, .n_kv_heads = m->n_kv_heads,
			   .d_k = m->d_k, .d_v = m->d_v, .window = m->window,
			   .max_seqs = e->seqs, .max_pos = e->cap,
			   .block_size = sp->block_size, .n_blocks = sp->n_blocks };
	e->cache = kv_cache_new(&cs, NULL, err);
	return e->cache ? 0 : -1;
}

static int buffers_init(Engine *e)
{
	const Model *m = e->m;
	size_t c = (size_t)e->cap * (size_t)e->seqs, L = (size_t)m->n_layers;
	size_t H = (size_t)m->n_heads;
	e->done = calloc((size_t)e->seqs, sizeof *e->done);
	e->x = calloc((L + 1) * c * (size_t)m->d_model, sizeof *e->x);
	e->q = calloc(L * H * c * (size_t)m->d_k, sizeof *e->q);
	e->z = calloc(L * H * c * (size_t)m->d_v, sizeof *e->z);
	e->kbuf = calloc((size_t)m->d_k, sizeof *e->kbuf);
	e->vbuf = calloc((size_t)m->d_v, sizeof *e->vbuf);
	e->s = calloc((size_t)e->cap, sizeof *e->s);
	e->a = calloc((size_t)e->cap, sizeof *e->a);
	size_t cat = H * (size_t)m->d_v > (size_t)m->d_model ?
			     H * (size_t)m->d_v : (size_t)m->d_model;
	e->cat = calloc(2 * cat, sizeof *e->cat);
	e->logits = calloc((size_t)e->seqs * (size_t)m->vocab_n,
			   sizeof *e->logits);
	e->kp = calloc((size_t)e->cap, sizeof *e->kp);
	e->vp = calloc((size_t)e->cap, sizeof *e->vp);
	e->scratch = calloc(attn_tiled_scratch(e->tile, m->d_v),
			    sizeof *e->scratch);
	return e->done && e->x && e->q && e->z && e->kbuf && e->vbuf && e->s &&
	       e->a && e->cat && e->logits && e->kp && e->vp && e->scratch ?
		       0 : -1;
}

Engine *engine_new_spec(const Model *m, const EngineSpec *sp, KvError *err)
{
	if (sp->capacity < 1 || sp->max_seqs < 0)
		return kv_error_set(err, EX_USAGE, "an engine needs positions"),
		       NULL;
	if (sp->tile < 0 || sp->tile > ENGINE_MAX_TILE || sp->split < 0 ||
	    sp->split > ENGINE_MAX_TILE)
		return kv_error_set(err, EX_USAGE,
				    "tile and split must be 1..%d",
				    ENGINE_MAX_TILE), NULL;
	Engine *e = calloc(1, sizeof *e);
	if (!e)
		goto oom;
	*e = (Engine){ .m = m, .cap = sp->capacity,
		       .seqs = sp->max_seqs > 0 ? sp->max_seqs : 1,
		       .keeps_cache = sp->keeps_cache,
		       .elem_bytes = sp->elem_bytes, .tiled = sp->tiled,
		       .tile = sp->tile > 0 ? sp->tile : 2,
		       .split = sp->split > 0 ? sp->split : 1,
		       .split_from = sp->split_from };
	if (cache_init(e, sp, err)) {
		engine_free(e);
		return NULL;
	}
	if (buffers_init(e))
		goto oom;
	return e;
oom:
	engine_free(e);
	kv_error_set(err, EX_OSERR, "out of memory for %d positions",
		     sp->capacity);
	return NULL;
}

Engine *engine_new(const Model *m, int capacity, bool keeps_cache,
		   int elem_bytes, KvError *err)
{
	EngineSpec sp = { .capacity = capacity, .max_seqs = 1,
			  .keeps_cache = keeps_cache, .elem_bytes = elem_bytes };
	return engine_new_spec(m, &sp, err);
}

void engine_free(Engine *e)
{
	if (!e)
		return;
	kv_cache_free(e->cache);
	free(e->done);
	free(e->x);
	free(e->q);
	free(e->z);
	free(e->kbuf);
	free(e->vbuf);
	free(e->s);
	free(e->a);
	free(e->cat);
	free(e->logits);
	free(e->kp);
	free(e->vp);
	free(e->scratch);
	free(e);
}

/* Column index of position j of sequence seq in the x, q, z buffers. */
static size_t col_of(const Engine *e, int seq, int j)
{
	return (size_t)(seq - 1) * (size_t)e->cap + (size_t)(j - 1);
}

/* x of layer l (0-based; l = n_layers is the final output) at column j. */
static double *x_col(const Engine *e, int l, int seq, int j)
{
	size_t n = (size_t)e->cap * (size_t)e->seqs;
	return e->x + ((size_t)l * n + col_of(e, seq, j)) * (size_t)e->m->d_model;
}

static double *q_col(const Engine *e, int l, int h, int seq, int j)
{
	const Model *m = e->m;
	size_t n = (size_t)e->cap * (size_t)e->seqs;
	return e->q + (((size_t)l * (size_t)m->n_heads + (size_t)h) * n +
		       col_of(e, seq, j)) * (size_t)m->d_k;
}

static double *z_col(const Engine *e, int l, int h, int seq, int j)
{
	const Model *m = e->m;
	size_t n = (size_t)e->cap * (size_t)e->seqs;
	return e->z + (((size_t)l * (size_t)m->n_heads + (size_t)h) * n +
		       col_of(e, seq, j)) * (size_t)m->d_v;
}

static void emit(const EngineSink *sink, int seq, Matrix mat, int l, int h,
		 int col, int first_row, const double *v, int n)
{
	if (sink && sink->column)
		sink->column(sink->ctx, seq, mat, l + 1, h + 1, col, first_row,
			     v, n);
}

/* x_j of layer 1 = embedding of the token + position j's vector. */
static void embed_column(Engine *e, int seq, int token, int j)
{
	const Model *m = e->m;
	double *x = x_col(e, 0, seq, j);
	memcpy(x, m->embed + (size_t)token * (size_t)m->d_model,
	       (size_t)m->d_model * sizeof *x);
	if (m->pos_n > 0)
		axpy(x, 1.0, m->pos + (size_t)(j - 1) * (size_t)m->d_model,
		     m->d_model);
}

/* q_j = W_Q·x_j for every head; k_j, v_j for every K/V head, into the cache. */
static int project_column(Engine *e, int l, int seq, int j, KvError *err)
{
	const Model *m = e->m;
	const double *x = x_col(e, l, seq, j);
	emit(e->sink, seq, MAT_X, l, 0, j, 1, x, m->d_model);
	for (int h = 0; h < m->n_heads; h++) {
		double *q = q_col(e, l, h, seq, j);
		matvec(q, model_wq(m, l, h), x, m->d_k, m->d_model);
		emit(e->sink, seq, MAT_Q, l, h, j, 1, q, m->d_k);
	}
	for (int g = 0; g < m->n_kv_heads; g++) {
		matvec(e->kbuf, model_wk(m, l, g), x, m->d_k, m->d_model);
		matvec(e->vbuf, model_wv(m, l, g), x, m->d_v, m->d_model);
		if (kv_cache_write(e->cache, seq, l + 1, g + 1, j, e->kbuf,
				   e->vbuf, err))
			return -1;
		emit(e->sink, seq, MAT_K, l, g, j, 1, e->kbuf, m->d_k);
		emit(e->sink, seq, MAT_V, l, g, j, 1, e->vbuf, m->d_v);
	}
	return 0;
}

/* Passes one tile state of the column in flight on to the sink. */
typedef struct TileCtx {
	const Engine *e;
	int seq, l, h, j;
} TileCtx;

static void forward_tile(void *ctx, const TileState *ts)
{
	const TileCtx *c = ctx;
	const EngineSink *sink = c->e->sink;
	sink->tile(sink->tile_ctx, c->seq, c->l + 1, c->h + 1, c->j, ts,
		   c->e->m->d_v);
}

/*
 * Query column j of head h over the visible keys i = lo_key..j (the others
 * are masked and never computed), read from the cache in position order.
 * Standard kernel: s_i = (k_i·q_j)·scale, a = softmax(s) down the column,
 * z_j = Σ_i a_i·v_i in rising i, and S and A go to the sink. Tiled kernel
 * (attention.h): tiles of e->tile keys, split in e->split parts from
 * position split_from on; its tile states go to the sink instead.
 */
static void attend_head(Engine *e, int l, int h, int seq, int j)
{
	const Model *m = e->m;
	int g = model_kv_head(m, h), lo_key = first_key(j, m->window[l]);
	int n = j - lo_key + 1;
	for (int i = lo_key; i <= j; i++) {
		e->kp[i - lo_key] = kv_cache_k_read(e->cache, seq, l + 1, g + 1,
						    i);
		e->vp[i - lo_key] = kv_cache_v_read(e->cache, seq, l + 1, g + 1,
						    i);
	}
	AttnInput in = { .q = q_col(e, l, h, seq, j), .k = e->kp, .v = e->vp,
			 .n = n, .key_lo = lo_key, .d_k = m->d_k,
			 .d_v = m->d_v, .scale = m->scale,
			 .has_sink = m->sink != NULL,
			 .sink = m->sink ? m->sink[h] : 0.0 };
	double *z = z_col(e, l, h, seq, j);
	if (e->tiled) {
		TileCtx tc = { e, seq, l, h, j };
		bool rec = e->sink && e->sink->tile;
		int split = e->split_from > 0 && j >= e->split_from ? e->split
								     : 1;
		attn_tiled(&in, e->tile, split, e->scratch, z,
			   rec ? forward_tile : NULL, &tc, &e->work);
	} else {
		attn_standard(&in, e->s, e->a, z, &e->work);
		emit(e->sink, seq, MAT_S, l, h, j, lo_key, e->s, n);
		emit(e->sink, seq, MAT_A, l, h, j, lo_key, e->a, n);
	}
	emit(e->sink, seq, MAT_Z, l, h, j, 1, z, m->d_v);
}

/* Stacked models: h_j = x_j + W_O·concat(z_j of every head). */
static void combine_column(Engine *e, int l, int seq, int j)
{
	const Model *m = e->m;
	if (!m->stacked)
		return;
	int hd = m->n_heads * m->d_v;
	for (int h = 0; h < m->n_heads; h++)
		memcpy(e->cat + (size_t)h * (size_t)m->d_v,
		       z_col(e, l, h, seq, j), (size_t)m->d_v * sizeof *e->cat);
	double *y = e->cat + hd;
	matvec(y, model_wo(m, l), e->cat, m->d_model, hd);
	const double *x = x_col(e, l, seq, j);
	double *out = x_col(e, l + 1, seq, j);
	for (int r = 0; r < m->d_model; r++)
		out[r] = x[r] + y[r];
	emit(e->sink, seq, MAT_H, l, 0, j, 1, out, m->d_model);
}

/* Counts the work of column j in layer l of a chunk starting at lo. */
static void count_column(Engine *e, int l, int seq, int j, int lo,
			 Counters *c)
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
	bool redo = j <= e->done[seq - 1];
	c->macs_proj += proj;
	c->macs_scores += H * dk * keys;
	c->macs_av += H * dv * keys;
	c->exps += e->work.exps;
	c->score_cells_written += e->work.score_cells;
	c->tile_passes += e->work.tiles;
	c->recomputed_macs += redo ? proj + H * (dk + dv) * keys : 0;
	if (e->keeps_cache && lo > lo_key) {
		/* keys lo_key..lo-1 come from the cache, read once per K/V head */
		int cached = (lo - 1 < j ? lo - 1 : j) - lo_key + 1;
		c->cache_reads += G * (dk + dv) * (uint64_t)cached;
	}
	e->work = (AttnWork){ 0 };
}

static void logits_for(Engine *e, int seq, int hi, Counters *c)
{
	const Model *m = e->m;
	const double *in = m->stacked ? x_col(e, m->n_layers, seq, hi)
				      : z_col(e, 0, 0, seq, hi);
	int dim = model_out_dim(m);
	double *out = e->logits + (size_t)(seq - 1) * (size_t)m->vocab_n;
	matvec(out, m->wout, in, m->vocab_n, dim);
	emit(e->sink, seq, MAT_LOGITS, 0, 0, hi, 1, out, m->vocab_n);
	c->macs_logits += (uint64_t)m->vocab_n * (uint64_t)dim;
	if (hi <= e->done[seq - 1])
		c->recomputed_macs += (uint64_t)m->vocab_n * (uint64_t)dim;
}

static int chunk_check(const Engine *e, const PassChunk *ch, KvError *err)
{
	if (ch->seq < 1 || ch->seq > e->seqs || ch->lo < 1 || ch->hi < ch->lo ||
	    ch->hi > e->cap || ch->lo > kv_cache_len(e->cache, ch->seq) + 1)
		return kv_error_set(err, EX_USAGE,
				    "chunk %d..%d of sequence %d does not follow what the cache holds",
				    ch->lo, ch->hi, ch->seq);
	return 0;
}

/* Columns lo..hi of one sequence: the cache first gives back lo..len. */
static int run_chunk(Engine *e, const PassChunk *ch, Counters *c,
		     PassInfo *info, KvError *err)
{
	const Model *m = e->m;
	int seq = ch->seq;
	if (chunk_check(e, ch, err) ||
	    kv_cache_truncate(e->cache, seq, ch->lo - 1, err))
		return err ? err->code : EX_USAGE;
	for (int j = ch->lo; j <= ch->hi; j++) {
		int pos = 0;
		if (kv_cache_append(e->cache, seq, &pos, err))
			return err ? err->code : EX_TEMPFAIL;
		embed_column(e, seq, ch->tokens[j - 1], j);
		for (int l = 0; l < m->n_layers; l++) {
			if (project_column(e, l, seq, j, err))
				return err ? err->code : EX_TEMPFAIL;
			for (int h = 0; h < m->n_heads; h++)
				attend_head(e, l, h, seq, j);
			combine_column(e, l, seq, j);
			count_column(e, l, seq, j, ch->lo, c);
		}
	}
	int llo = ch->logits_lo > 0 && ch->logits_lo < ch->hi ? ch->logits_lo
							      : ch->hi;
	for (int j = llo; j <= ch->hi; j++)
		logits_for(e, seq, j, c);
	*info = (PassInfo){ .proj_lo = ch->lo, .att_lo = ch->lo, .hi = ch->hi,
			    .first_new = e->done[seq - 1] + 1 };
	if (ch->hi > e->done[seq - 1])
		e->done[seq - 1] = ch->hi;
	return 0;
}

static void forward_event(void *ctx, const KvEvent *ev)
{
	const Engine *e = ctx;
	e->sink->cache(e->sink->ctx, ev);
}

int engine_run(Engine *e, const PassChunk *chunks, int n,
	       const EngineSink *sink, Counters *pass, PassInfo *info,
	       KvError *err)
{
	memset(pass, 0, sizeof *pass);
	e->sink = sink;
	KvEventSink ks = { forward_event, e };
	kv_cache_set_sink(e->cache, sink && sink->cache ? &ks : NULL);
	kv_cache_begin_pass(e->cache);
	int rc = 0;
	for (int i = 0; i < n && !rc; i++)
		rc = run_chunk(e, &chunks[i], pass, &info[i], err);
	kv_cache_set_sink(e->cache, NULL);
	e->sink = NULL;
	if (e->keeps_cache) {
		pass->cache_cells = kv_cache_cells(e->cache);
		pass->cache_bytes = pass->cache_cells * (uint64_t)e->elem_bytes;
	}
	pass->passes = ++e->passes;
	return rc;
}

int engine_truncate(Engine *e, int seq, int n, const EngineSink *sink,
		    KvError *err)
{
	if (seq < 1 || seq > e->seqs)
		return kv_error_set(err, EX_USAGE, "no sequence %d", seq);
	KvEventSink ks = { forward_event, e };
	e->sink = sink;
	kv_cache_set_sink(e->cache, sink && sink->cache ? &ks : NULL);
	int rc = kv_cache_truncate(e->cache, seq, n, err);
	kv_cache_set_sink(e->cache, NULL);
	e->sink = NULL;
	if (!rc && n < e->done[seq - 1])
		e->done[seq - 1] = n; /* later passes there are new work */
	return rc;
}

void engine_pass(Engine *e, const int *tokens, int lo, int hi,
		 const EngineSink *sink, Counters *pass, PassInfo *info)
{
	PassChunk ch = { .seq = 1, .lo = lo, .hi = hi, .tokens = tokens };
	engine_run(e, &ch, 1, sink, pass, info, NULL);
}

const double *engine_logits(const Engine *e)
{
	return e->logits;
}

const double *engine_logits_of(const Engine *e, int seq)
{
	if (seq < 1 || seq > e->seqs)
		return NULL;
	return e->logits + (size_t)(seq - 1) * (size_t)e->m->vocab_n;
}

const KvCache *engine_cache(const Engine *e)
{
	return e->cache;
}

KvCache *engine_cache_mut(Engine *e)
{
	return e->cache;
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
	switch (mat) {
	case MAT_X: return x_col(e, l, 1, col);
	case MAT_H: return m->stacked ? x_col(e, l + 1, 1, col) : NULL;
	case MAT_Q: return q_col(e, l, h, 1, col);
	case MAT_K: return kv_cache_k(e->cache, 1, layer, head, col);
	case MAT_V: return kv_cache_v(e->cache, 1, layer, head, col);
	case MAT_Z: return z_col(e, l, h, 1, col);
	case MAT_S:
	case MAT_A:
	case MAT_LOGITS:
	case MAT_COUNT:
		break;
	}
	return NULL;
}
