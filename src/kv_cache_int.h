#ifndef KVSTEP_KV_CACHE_INT_H
#define KVSTEP_KV_CACHE_INT_H
/* The inside of a KvCache, shared by kv_cache.c and kv_cache_seq.c only. */
#include "kv_cache.h"

typedef struct KvLayerStore {
	KvPolicy pol;
	int window;   /* W for a ring, else 0 */
	int slots;    /* slots per block: max_pos, W or B */
	int n_blocks; /* max_seqs (contiguous, ring) or the pool size */
	double *k;    /* (n_blocks, n_kv_heads, slots, d_k) */
	double *v;    /* (n_blocks, n_kv_heads, slots, d_v) */
} KvLayerStore;

typedef struct KvSeq {
	bool used;
	int len;     /* positions 1..len appended */
	int *lo;     /* (n_layers) first position not evicted */
	int *table;  /* (max_blocks) paged block of each B positions, 0 = none */
	int n_table; /* entries in use */
} KvSeq;

struct KvCache {
	KvCacheSpec spec;
	KvEventSink sink;
	KvLayerStore *layer; /* (n_layers) */
	KvSeq *seq;          /* (max_seqs) */
	int *refs;           /* (n_blocks) holders of each pool block */
	bool *kept;          /* (n_blocks) kept for a prefix cache: a kept
				block with no holder is not handed out */
	int max_blocks;      /* table entries a sequence can need */
	bool paged;          /* some layer is paged */
	unsigned *read_mark; /* (max_seqs, n_layers, max_pos) pass of last read */
	unsigned pass_id;
};

/* Reports an event to the sink, if any. */
void kv_cache_emit(const KvCache *c, KvEventKind kind, int seq, int layer,
		   int pos, KvPlace place, int from);

/* Checks 1 ≤ seq ≤ max_seqs. */
bool kv_cache_seq_ok(const KvCache *c, int seq);

/* First position of `seq` held in layer (0-based) l. */
int kv_cache_lo(const KvCache *c, const KvSeq *s, int l);

/* Place of position pos of seq in layer l (0-based), held or not. */
KvPlace kv_cache_place(const KvCache *c, int seq, int l, int pos);

/* Drops one holder of pool block b; a block with none is free again. */
void kv_cache_release(KvCache *c, int b);

#endif
