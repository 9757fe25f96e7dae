/* Whole-sequence operations of the KV cache: gather, truncate, evict,
 * fork, free, and the pool's bookkeeping. */
#include "kv_cache_int.h"

#include <string.h>

int kv_cache_gather(const KvCache *c, int seq, int layer, int head, int lo,
		    int hi, double *k, double *v, KvError *err)
{
	int dk = c->spec.d_k, dv = c->spec.d_v;
	for (int p = lo; p <= hi; p++) {
		const double *kc = kv_cache_k(c, seq, layer, head, p);
		const double *vc = kv_cache_v(c, seq, layer, head, p);
		if (!kc || !vc)
			return kv_error_set(err, EX_USAGE,
					    "column %d of sequence %d, layer %d is not in the cache",
					    p, seq, layer);
		memcpy(k + (size_t)(p - lo) * (size_t)dk, kc,
		       (size_t)dk * sizeof *k);
		memcpy(v + (size_t)(p - lo) * (size_t)dv, vc,
		       (size_t)dv * sizeof *v);
	}
	return 0;
}

/* Reports every held column of seq above n as given back. */
static void report_rollback(const KvCache *c, int seq, int n)
{
	const KvSeq *s = &c->seq[seq - 1];
	for (int l = 0; l < c->spec.n_layers; l++) {
		int lo = kv_cache_lo(c, s, l);
		for (int p = n + 1 > lo ? n + 1 : lo; p <= s->len; p++)
			kv_cache_emit(c, KV_EV_ROLLBACK, seq, l + 1, p,
				      kv_cache_place(c, seq, l, p), 0);
	}
}

int kv_cache_truncate(KvCache *c, int seq, int n, KvError *err)
{
	if (!kv_cache_seq_ok(c, seq))
		return kv_error_set(err, EX_USAGE, "no sequence %d", seq);
	KvSeq *s = &c->seq[seq - 1];
	if (n < 0 || n > s->len)
		return kv_error_set(err, EX_USAGE,
				    "cannot truncate sequence %d of %d positions to %d",
				    seq, s->len, n);
	report_rollback(c, seq, n);
	for (int l = 0; l < c->spec.n_layers; l++) {
		/* a ring keeps only what it has not overwritten */
		s->lo[l] = kv_cache_lo(c, s, l);
		if (s->lo[l] > n + 1)
			s->lo[l] = n + 1;
	}
	if (c->paged) {
		int B = c->spec.block_size, keep = (n + B - 1) / B;
		for (int i = keep; i < s->n_table; i++) {
			kv_cache_release(c, s->table[i]);
			s->table[i] = 0;
		}
		if (s->n_table > keep)
			s->n_table = keep;
	}
	s->len = n;
	return 0;
}

void kv_cache_free_seq(KvCache *c, int seq)
{
	if (!kv_cache_seq_ok(c, seq) || !c->seq[seq - 1].used)
		return;
	kv_cache_truncate(c, seq, 0, NULL);
	KvSeq *s = &c->seq[seq - 1];
	s->used = false;
	for (int l = 0; l < c->spec.n_layers; l++)
		s->lo[l] = 1;
}

int kv_cache_evict_before(KvCache *c, int seq, int pos, KvError *err)
{
	if (!kv_cache_seq_ok(c, seq) || pos < 1)
		return kv_error_set(err, EX_USAGE,
				    "cannot evict below %d in sequence %d", pos, seq);
	KvSeq *s = &c->seq[seq - 1];
	int top = pos - 1 < s->len ? pos - 1 : s->len;
	for (int l = 0; l < c->spec.n_layers; l++) {
		for (int p = kv_cache_lo(c, s, l); p <= top; p++)
			kv_cache_emit(c, KV_EV_EVICT, seq, l + 1, p,
				      kv_cache_place(c, seq, l, p), 0);
		if (s->lo[l] < top + 1)
			s->lo[l] = top + 1;
	}
	if (c->paged) /* blocks wholly below pos are no longer needed */
		for (int i = 0; i < s->n_table && (i + 1) * c->spec.block_size <= top; i++) {
			kv_cache_release(c, s->table[i]);
			s->table[i] = 0;
		}
	return 0;
}

/* Copies the private (contiguous or ring) block of parent into child's. */
static void copy_private(KvCache *c, int parent, int child)
{
	for (int l = 0; l < c->spec.n_layers; l++) {
		KvLayerStore *L = &c->layer[l];
		if (L->pol == KV_PAGED)
			continue;
		size_t n = (size_t)c->spec.n_kv_heads * (size_t)L->slots;
		size_t nk = n * (size_t)c->spec.d_k, nv = n * (size_t)c->spec.d_v;
		memcpy(L->k + (size_t)(child - 1) * nk,
		       L->k + (size_t)(parent - 1) * nk, nk * sizeof *L->k);
		memcpy(L->v + (size_t)(child - 1) * nv,
		       L->v + (size_t)(parent - 1) * nv, nv * sizeof *L->v);
	}
}

int kv_cache_fork(KvCache *c, int parent, int child, KvError *err)
{
	if (!kv_cache_seq_ok(c, parent) || !kv_cache_seq_ok(c, child) ||
	    parent == child || c->seq[child - 1].used)
		return kv_error_set(err, EX_USAGE,
				    "cannot fork sequence %d into %d", parent, child);
	const KvSeq *p = &c->seq[parent - 1];
	KvSeq *q = &c->seq[child - 1];
	q->used = p->used;
	q->len = p->len;
	memcpy(q->lo, p->lo, (size_t)c->spec.n_layers * sizeof *q->lo);
	memcpy(q->table, p->table, (size_t)p->n_table * sizeof *q->table);
	q->n_table = p->n_table;
	for (int i = 0; i < q->n_table; i++)
		if (q->table[i])
			c->refs[q->table[i] - 1]++;
	copy_private(c, parent, child);
	return 0;
}

int kv_cache_block_table(const KvCache *c, int seq, const int **table)
{
	if (!c->paged || !kv_cache_seq_ok(c, seq))
		return 0;
	*table = c->seq[seq - 1].table;
	return c->seq[seq - 1].n_table;
}

int kv_cache_block_refs(const KvCache *c, int block)
{
	if (!c->paged || block < 1 || block > c->spec.n_blocks)
		return -1;
	return c->refs[block - 1];
}

int kv_cache_blocks_free(const KvCache *c)
{
	int n = 0;
	for (int b = 0; c->paged && b < c->spec.n_blocks; b++)
		n += c->refs[b] == 0;
	return n;
}

uint64_t kv_cache_cells(const KvCache *c)
{
	uint64_t cols = 0;
	for (int i = 0; i < c->spec.max_seqs; i++) {
		const KvSeq *s = &c->seq[i];
		for (int l = 0; s->used && l < c->spec.n_layers; l++)
			if (s->len >= kv_cache_lo(c, s, l))
				cols += (uint64_t)(s->len - kv_cache_lo(c, s, l) + 1);
	}
	return cols * (uint64_t)c->spec.n_kv_heads *
	       (uint64_t)(c->spec.d_k + c->spec.d_v);
}

static bool block_ok(const KvCache *c, int block)
{
	return c->paged && block >= 1 && block <= c->spec.n_blocks;
}

int kv_cache_keep(KvCache *c, int block, bool keep, KvError *err)
{
	if (!block_ok(c, block))
		return kv_error_set(err, EX_USAGE, "no pool block %d", block);
	c->kept[block - 1] = keep;
	return 0;
}

bool kv_cache_kept(const KvCache *c, int block)
{
	return block_ok(c, block) && c->kept[block - 1];
}

int kv_cache_adopt(KvCache *c, int seq, int block, KvError *err)
{
	if (!block_ok(c, block) || !kv_cache_seq_ok(c, seq))
		return kv_error_set(err, EX_USAGE,
				    "cannot adopt block %d into sequence %d", block,
				    seq);
	KvSeq *s = &c->seq[seq - 1];
	int B = c->spec.block_size;
	if (s->len % B != 0 || s->len + B > c->spec.max_pos ||
	    s->n_table >= c->max_blocks)
		return kv_error_set(err, EX_USAGE,
				    "sequence %d of %d positions cannot adopt a block of %d",
				    seq, s->len, B);
	for (int l = 0; l < c->spec.n_layers; l++)
		if (c->layer[l].pol != KV_PAGED)
			return kv_error_set(err, EX_USAGE,
					    "layer %d is not paged: a block cannot be adopted",
					    l + 1);
	c->refs[block - 1]++;
	s->table[s->n_table++] = block;
	s->used = true;
	s->len += B;
	return 0;
}
