#include "kv_cache_int.h"

#include <stdlib.h>
#include <string.h>

static int spec_check(const KvCacheSpec *s, KvError *err)
{
	if (s->n_layers < 1 || s->n_kv_heads < 1 || s->d_k < 1 || s->d_v < 1 ||
	    s->max_seqs < 1 || s->max_pos < 1 || s->block_size < 0)
		return kv_error_set(err, EX_USAGE,
				    "a KV cache needs at least one layer, head, row, sequence and position");
	if (s->block_size > 0 && s->n_blocks < 1)
		return kv_error_set(err, EX_USAGE,
				    "a paged KV cache needs at least one block");
	for (int l = 0; s->window && l < s->n_layers; l++)
		if (s->window[l] < 0)
			return kv_error_set(err, EX_USAGE,
					    "layer %d has a negative window", l + 1);
	return 0;
}

/* Chooses layer l's policy and allocates its blocks. */
static int layer_init(KvCache *c, int l, const int *window)
{
	const KvCacheSpec *s = &c->spec;
	KvLayerStore *L = &c->layer[l];
	int w = window ? window[l] : 0;
	if (w > 0 && w < s->max_pos)
		*L = (KvLayerStore){ .pol = KV_RING, .window = w, .slots = w,
				     .n_blocks = s->max_seqs };
	else if (s->block_size > 0)
		*L = (KvLayerStore){ .pol = KV_PAGED, .slots = s->block_size,
				     .n_blocks = s->n_blocks };
	else
		*L = (KvLayerStore){ .pol = KV_CONTIGUOUS, .slots = s->max_pos,
				     .n_blocks = s->max_seqs };
	c->paged = c->paged || L->pol == KV_PAGED;
	size_t n = (size_t)L->n_blocks * (size_t)s->n_kv_heads *
		   (size_t)L->slots;
	L->k = calloc(n * (size_t)s->d_k, sizeof *L->k);
	L->v = calloc(n * (size_t)s->d_v, sizeof *L->v);
	return L->k && L->v ? 0 : -1;
}

static int seqs_init(KvCache *c)
{
	const KvCacheSpec *s = &c->spec;
	int B = s->block_size > 0 ? s->block_size : 1;
	c->max_blocks = (s->max_pos + B - 1) / B;
	c->seq = calloc((size_t)s->max_seqs, sizeof *c->seq);
	if (!c->seq)
		return -1;
	for (int i = 0; i < s->max_seqs; i++) {
		KvSeq *q = &c->seq[i];
		q->lo = calloc((size_t)s->n_layers, sizeof *q->lo);
		q->table = calloc((size_t)c->max_blocks, sizeof *q->table);
		if (!q->lo || !q->table)
			return -1;
		for (int l = 0; l < s->n_layers; l++)
			q->lo[l] = 1;
	}
	return 0;
}

KvCache *kv_cache_new(const KvCacheSpec *spec, const KvEventSink *sink,
		      KvError *err)
{
	if (spec_check(spec, err))
		return NULL;
	KvCache *c = calloc(1, sizeof *c);
	if (!c)
		goto oom;
	c->spec = *spec;
	c->spec.window = NULL; /* borrowed only while choosing policies */
	kv_cache_set_sink(c, sink);
	c->layer = calloc((size_t)spec->n_layers, sizeof *c->layer);
	if (!c->layer)
		goto oom;
	for (int l = 0; l < spec->n_layers; l++)
		if (layer_init(c, l, spec->window))
			goto oom;
	size_t marks = (size_t)spec->max_seqs * (size_t)spec->n_layers *
		       (size_t)spec->max_pos;
	c->read_mark = calloc(marks, sizeof *c->read_mark);
	c->refs = calloc(c->paged ? (size_t)spec->n_blocks : 1, sizeof *c->refs);
	c->kept = calloc(c->paged ? (size_t)spec->n_blocks : 1, sizeof *c->kept);
	if (!c->read_mark || !c->refs || !c->kept || seqs_init(c))
		goto oom;
	c->pass_id = 1;
	return c;
oom:
	kv_cache_free(c);
	kv_error_set(err, EX_OSERR, "out of memory for a KV cache of %d positions",
		     spec->max_pos);
	return NULL;
}

void kv_cache_free(KvCache *c)
{
	if (!c)
		return;
	for (int l = 0; c->layer && l < c->spec.n_layers; l++) {
		free(c->layer[l].k);
		free(c->layer[l].v);
	}
	for (int i = 0; c->seq && i < c->spec.max_seqs; i++) {
		free(c->seq[i].lo);
		free(c->seq[i].table);
	}
	free(c->layer);
	free(c->seq);
	free(c->refs);
	free(c->kept);
	free(c->read_mark);
	free(c);
}

void kv_cache_set_sink(KvCache *c, const KvEventSink *sink)
{
	c->sink = sink ? *sink : (KvEventSink){ 0 };
}

void kv_cache_emit(const KvCache *c, KvEventKind kind, int seq, int layer,
		   int pos, KvPlace place, int from)
{
	if (!c->sink.event)
		return;
	KvEvent ev = { .kind = kind, .seq = seq, .layer = layer, .pos = pos,
		       .place = place, .from = from };
	c->sink.event(c->sink.ctx, &ev);
}

bool kv_cache_seq_ok(const KvCache *c, int seq)
{
	return seq >= 1 && seq <= c->spec.max_seqs;
}

KvPolicy kv_cache_policy(const KvCache *c, int layer)
{
	return c->layer[layer - 1].pol;
}

int kv_cache_len(const KvCache *c, int seq)
{
	return kv_cache_seq_ok(c, seq) ? c->seq[seq - 1].len : 0;
}

int kv_cache_lo(const KvCache *c, const KvSeq *s, int l)
{
	const KvLayerStore *L = &c->layer[l];
	int lo = s->lo[l];
	if (L->pol == KV_RING && s->len - L->window + 1 > lo)
		lo = s->len - L->window + 1;
	return lo;
}

int kv_cache_first_held(const KvCache *c, int seq, int layer)
{
	if (!kv_cache_seq_ok(c, seq) || layer < 1 || layer > c->spec.n_layers)
		return 1;
	return kv_cache_lo(c, &c->seq[seq - 1], layer - 1);
}

KvPlace kv_cache_place(const KvCache *c, int seq, int l, int pos)
{
	const KvLayerStore *L = &c->layer[l];
	switch (L->pol) {
	case KV_RING:
		return (KvPlace){ seq, (pos - 1) % L->window + 1 };
	case KV_PAGED:
		return (KvPlace){ c->seq[seq - 1].table[(pos - 1) / L->slots],
				  (pos - 1) % L->slots + 1 };
	case KV_CONTIGUOUS:
		break;
	}
	return (KvPlace){ seq, pos };
}

bool kv_cache_where(const KvCache *c, int seq, int layer, int pos,
		    KvPlace *out)
{
	if (!kv_cache_seq_ok(c, seq) || layer < 1 || layer > c->spec.n_layers)
		return false;
	const KvSeq *s = &c->seq[seq - 1];
	if (!s->used || pos < kv_cache_lo(c, s, layer - 1) || pos > s->len)
		return false;
	*out = kv_cache_place(c, seq, layer - 1, pos);
	return true;
}

/* Start of the d values of (block, head, slot) in a layer's K or V. */
static double *cell(const KvCache *c, const KvLayerStore *L, double *base,
		    int d, KvPlace p, int head)
{
	size_t i = ((size_t)(p.block - 1) * (size_t)c->spec.n_kv_heads +
		    (size_t)(head - 1)) * (size_t)L->slots + (size_t)(p.slot - 1);
	return base + i * (size_t)d;
}

/* Copies every layer's contents of pool block `from` into block `to`. */
static void copy_block(KvCache *c, int from, int to)
{
	for (int l = 0; l < c->spec.n_layers; l++) {
		KvLayerStore *L = &c->layer[l];
		if (L->pol != KV_PAGED)
			continue;
		size_t n = (size_t)c->spec.n_kv_heads * (size_t)L->slots;
		memcpy(L->k + (size_t)(to - 1) * n * (size_t)c->spec.d_k,
		       L->k + (size_t)(from - 1) * n * (size_t)c->spec.d_k,
		       n * (size_t)c->spec.d_k * sizeof *L->k);
		memcpy(L->v + (size_t)(to - 1) * n * (size_t)c->spec.d_v,
		       L->v + (size_t)(from - 1) * n * (size_t)c->spec.d_v,
		       n * (size_t)c->spec.d_v * sizeof *L->v);
	}
}

/* The lowest-numbered free pool block that is not kept, taken (refs 1);
 * 0 when none. */
static int take_block(KvCache *c)
{
	for (int b = 1; b <= c->spec.n_blocks; b++)
		if (c->refs[b - 1] == 0 && !c->kept[b - 1]) {
			c->refs[b - 1] = 1;
			return b;
		}
	return 0;
}

void kv_cache_release(KvCache *c, int b)
{
	if (b > 0 && c->refs[b - 1] > 0)
		c->refs[b - 1]--;
}

int kv_cache_append(KvCache *c, int seq, int *pos, KvError *err)
{
	if (!kv_cache_seq_ok(c, seq))
		return kv_error_set(err, EX_USAGE, "no sequence %d", seq);
	KvSeq *s = &c->seq[seq - 1];
	int p = s->len + 1;
	if (p > c->spec.max_pos)
		return kv_error_set(err, EX_USAGE,
				    "sequence %d is full at %d positions", seq,
				    c->spec.max_pos);
	int B = c->spec.block_size;
	if (c->paged && (p - 1) % B == 0) {
		int b = take_block(c);
		if (!b)
			return kv_error_set(err, EX_TEMPFAIL,
					    "the KV cache has no free block for position %d of sequence %d",
					    p, seq);
		s->table[s->n_table++] = b;
	}
	for (int l = 0; l < c->spec.n_layers; l++) {
		const KvLayerStore *L = &c->layer[l];
		int gone = p - L->window;
		if (L->pol == KV_RING && gone >= kv_cache_lo(c, s, l))
			kv_cache_emit(c, KV_EV_EVICT, seq, l + 1, gone,
				      kv_cache_place(c, seq, l, gone), 0);
	}
	s->used = true;
	s->len = p;
	*pos = p;
	return 0;
}

/* Gives the writer of a shared paged block its own copy. */
static int unshare(KvCache *c, int seq, int pos, KvError *err)
{
	KvSeq *s = &c->seq[seq - 1];
	int i = (pos - 1) / c->spec.block_size, old = s->table[i];
	if (c->refs[old - 1] <= 1)
		return 0;
	int b = take_block(c);
	if (!b)
		return kv_error_set(err, EX_TEMPFAIL,
				    "the KV cache has no free block to copy block %d into",
				    old);
	copy_block(c, old, b);
	kv_cache_release(c, old);
	s->table[i] = b;
	kv_cache_emit(c, KV_EV_COPY, seq, 0, 0, (KvPlace){ b, 0 }, old);
	return 0;
}

int kv_cache_write(KvCache *c, int seq, int layer, int head, int pos,
		   const double *k, const double *v, KvError *err)
{
	KvPlace p;
	if (head < 1 || head > c->spec.n_kv_heads ||
	    !kv_cache_where(c, seq, layer, pos, &p))
		return kv_error_set(err, EX_USAGE,
				    "column %d of sequence %d, layer %d, head %d is not in the cache",
				    pos, seq, layer, head);
	KvLayerStore *L = &c->layer[layer - 1];
	if (L->pol == KV_PAGED) {
		if (unshare(c, seq, pos, err))
			return err ? err->code : EX_TEMPFAIL;
		p = kv_cache_place(c, seq, layer - 1, pos);
	}
	memcpy(cell(c, L, L->k, c->spec.d_k, p, head), k,
	       (size_t)c->spec.d_k * sizeof *k);
	memcpy(cell(c, L, L->v, c->spec.d_v, p, head), v,
	       (size_t)c->spec.d_v * sizeof *v);
	if (head == 1)
		kv_cache_emit(c, KV_EV_WRITE, seq, layer, pos, p, 0);
	return 0;
}

static const double *column(const KvCache *c, bool want_k, int seq,
			    int layer, int head, int pos)
{
	KvPlace p;
	if (head < 1 || head > c->spec.n_kv_heads ||
	    !kv_cache_where(c, seq, layer, pos, &p))
		return NULL;
	const KvLayerStore *L = &c->layer[layer - 1];
	return want_k ? cell(c, L, L->k, c->spec.d_k, p, head)
		      : cell(c, L, L->v, c->spec.d_v, p, head);
}

const double *kv_cache_k(const KvCache *c, int seq, int layer, int head,
			 int pos)
{
	return column(c, true, seq, layer, head, pos);
}

const double *kv_cache_v(const KvCache *c, int seq, int layer, int head,
			 int pos)
{
	return column(c, false, seq, layer, head, pos);
}

/* Reports the first read of (seq, layer, pos) in this pass. */
static void mark_read(KvCache *c, int seq, int layer, int pos)
{
	size_t i = ((size_t)(seq - 1) * (size_t)c->spec.n_layers +
		    (size_t)(layer - 1)) * (size_t)c->spec.max_pos +
		   (size_t)(pos - 1);
	if (c->read_mark[i] == c->pass_id)
		return;
	c->read_mark[i] = c->pass_id;
	kv_cache_emit(c, KV_EV_READ, seq, layer, pos,
		      kv_cache_place(c, seq, layer - 1, pos), 0);
}

const double *kv_cache_k_read(KvCache *c, int seq, int layer, int head,
			      int pos)
{
	const double *k = column(c, true, seq, layer, head, pos);
	if (k)
		mark_read(c, seq, layer, pos);
	return k;
}

const double *kv_cache_v_read(KvCache *c, int seq, int layer, int head,
			      int pos)
{
	const double *v = column(c, false, seq, layer, head, pos);
	if (v)
		mark_read(c, seq, layer, pos);
	return v;
}

void kv_cache_begin_pass(KvCache *c)
{
	c->pass_id++;
}
