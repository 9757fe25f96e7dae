#ifndef KVSTEP_KV_CACHE_H
#define KVSTEP_KV_CACHE_H
/*
 * The KV cache as an object: where the K and V columns of every sequence
 * live, and the operations that move them (append, read, evict, truncate,
 * fork, free). The engine reads and writes K and V only through it.
 *
 * Addressing. A column is named by (sequence, layer, kv head, position),
 * all 1-based. The slot map turns (sequence, layer, position) into a place
 * (block, slot), both 1-based; every kv head of a column shares the place
 * (a block holds the slots of all kv heads of its layer, each slot d_k
 * values of K and d_v of V). Each layer has one policy:
 *
 *   contiguous  a global layer, one block per sequence: block = sequence,
 *               slot = pos (max_pos slots).
 *   ring of W   a sliding-window layer, one block of W slots per sequence:
 *               block = sequence, slot = (pos−1) mod W + 1. Appending pos
 *               evicts pos−W, whose slot it takes.
 *   paged       a global layer when spec.block_size B > 0: a pool of
 *               n_blocks blocks of B slots shared by all sequences; each
 *               sequence has a block table, and position pos lives in
 *               block table[(pos−1)/B], slot (pos−1) mod B + 1. One table
 *               serves every paged layer (as in vLLM, block b of every
 *               layer belongs to the same sequence), so block numbers are
 *               the same across layers.
 *
 * Sharing. kv_cache_fork makes a child that shares its parent's paged
 * blocks (reference counts go up). Writing into a shared block copies it
 * first (copy-on-write): the writer gets a fresh block with the same
 * contents, the other holders keep theirs. Contiguous and ring layers are
 * private per sequence; fork copies them.
 *
 * Events. Every write, first read of a column in a pass, eviction,
 * rollback and copy is reported to an optional KvEventSink with its place,
 * so a trace can record what the cache did without re-deriving the rules.
 *
 * Errors. Functions that can fail return 0, or a sysexits code with `err`
 * set: EX_USAGE for a call that breaks the rules below (a bad sequence, a
 * position that is not the next one), EX_TEMPFAIL when the block pool is
 * empty (the cache is left as it was), EX_OSERR when memory runs out.
 * No global state: two caches never share anything.
 */
#include <stdbool.h>
#include <stdint.h>

#include "kv_error.h"

typedef struct KvCache KvCache;

typedef enum KvPolicy {
	KV_CONTIGUOUS,
	KV_RING,
	KV_PAGED,
} KvPolicy;

typedef struct KvCacheSpec {
	int n_layers;      /* ≥ 1 */
	int n_kv_heads;    /* ≥ 1 */
	int d_k, d_v;      /* ≥ 1 */
	const int *window; /* (n_layers) 0: global; W > 0: a ring of W; NULL:
			      all global */
	int max_seqs;      /* sequences 1..max_seqs */
	int max_pos;       /* positions a sequence may reach */
	int block_size;    /* B: 0 keeps global layers contiguous; > 0 pages
			      them */
	int n_blocks;      /* the pool when paged: blocks 1..n_blocks */
} KvCacheSpec;

/* A physical place: block and slot, 1-based. */
typedef struct KvPlace {
	int block;
	int slot;
} KvPlace;

typedef enum KvEventKind {
	KV_EV_WRITE,    /* pos was written at place */
	KV_EV_READ,     /* pos was read at place (reported once per pass) */
	KV_EV_EVICT,    /* pos left the cache to make room (a ring slot
			   reused, or kv_cache_evict_before) */
	KV_EV_ROLLBACK, /* pos was given back by kv_cache_truncate/free */
	KV_EV_COPY,     /* copy-on-write: block `from` was copied to place.block */
} KvEventKind;

typedef struct KvEvent {
	KvEventKind kind;
	int seq, layer, pos; /* 1-based; pos is 0 for KV_EV_COPY */
	KvPlace place;       /* where pos is (was, for evict and rollback) */
	int from;            /* KV_EV_COPY: the shared block copied */
} KvEvent;

typedef struct KvEventSink {
	void (*event)(void *ctx, const KvEvent *ev);
	void *ctx;
} KvEventSink;

/*
 * Creates an empty cache. Returns NULL with `err` set: EX_USAGE for a bad
 * spec (a dimension < 1, block_size > 0 with n_blocks < 1), EX_OSERR when
 * memory runs out. `sink` may be NULL; it is copied.
 */
KvCache *kv_cache_new(const KvCacheSpec *spec, const KvEventSink *sink,
		      KvError *err);
void kv_cache_free(KvCache *c);

/* Replaces the event sink (NULL: no events). */
void kv_cache_set_sink(KvCache *c, const KvEventSink *sink);

/* The policy of `layer` (1-based). */
KvPolicy kv_cache_policy(const KvCache *c, int layer);

/* Positions 1..len appended to `seq` and not given back; 0 if unused. */
int kv_cache_len(const KvCache *c, int seq);

/*
 * Appends position len+1 to `seq` in every layer (an unused seq starts at
 * 1) and sets *pos to it: a paged sequence takes the lowest-numbered free
 * block when it crosses a block boundary; a ring evicts pos−W, whose slot
 * the new column takes. Errors: EX_USAGE for a bad seq or a full sequence
 * (max_pos), EX_TEMPFAIL when the pool has no free block (nothing changes).
 */
int kv_cache_append(KvCache *c, int seq, int *pos, KvError *err);

/*
 * Stores K (d_k values) and V (d_v values) of column (seq, layer, head,
 * pos), pos ≤ len. Copies a shared block first (copy-on-write), which may
 * fail with EX_TEMPFAIL. EX_USAGE for a column that is not held.
 */
int kv_cache_write(KvCache *c, int seq, int layer, int head, int pos,
		   const double *k, const double *v, KvError *err);

/*
 * K (d_k) or V (d_v) of a held column, or NULL when the column is not
 * held (never appended, evicted, rolled back) or an index is out of range.
 * kv_cache_k_read and kv_cache_v_read also report a KV_EV_READ the first
 * time a column is read in the current pass (see kv_cache_begin_pass);
 * kv_cache_k and kv_cache_v are silent, for tests and tools.
 */
const double *kv_cache_k(const KvCache *c, int seq, int layer, int head,
			 int pos);
const double *kv_cache_v(const KvCache *c, int seq, int layer, int head,
			 int pos);
const double *kv_cache_k_read(KvCache *c, int seq, int layer, int head,
			      int pos);
const double *kv_cache_v_read(KvCache *c, int seq, int layer, int head,
			      int pos);

/* Starts a new pass: the next read of every column is reported again. */
void kv_cache_begin_pass(KvCache *c);

/*
 * Where column (seq, layer, pos) is held. Returns false when it is not
 * held; `out` is then untouched.
 */
bool kv_cache_where(const KvCache *c, int seq, int layer, int pos,
		    KvPlace *out);

/* First position of `seq` still held in `layer` (len+1 when none). */
int kv_cache_first_held(const KvCache *c, int seq, int layer);

/*
 * Copies K and V of positions lo..hi of (seq, layer, head) into `k`
 * ((hi−lo+1)·d_k, position-major) and `v` ((hi−lo+1)·d_v) in position
 * order, whatever the policy. EX_USAGE when a column in lo..hi is not held.
 */
int kv_cache_gather(const KvCache *c, int seq, int layer, int head, int lo,
		    int hi, double *k, double *v, KvError *err);

/*
 * Gives back positions n+1..len of `seq` (rollback, 0 ≤ n ≤ len): paged
 * blocks no longer used are released (reference count − 1, free at 0).
 * A ring cannot bring back what it overwrote: positions below the ring's
 * window stay evicted. EX_USAGE for a bad seq or n.
 */
int kv_cache_truncate(KvCache *c, int seq, int n, KvError *err);

/* Truncates `seq` to 0 and forgets it. Unused sequences are ignored. */
void kv_cache_free_seq(KvCache *c, int seq);

/*
 * Evicts positions below `pos` of `seq` in every layer (a sliding window
 * over a paged cache, or memory pressure): they are no longer held, and a
 * paged block whose every position is evicted is released.
 */
int kv_cache_evict_before(KvCache *c, int seq, int pos, KvError *err);

/*
 * Makes `child` (unused) a copy of `parent`: same length, the paged blocks
 * shared (reference counts + 1), contiguous and ring layers copied.
 * EX_USAGE when child is in use or either index is bad.
 */
int kv_cache_fork(KvCache *c, int parent, int child, KvError *err);

/* The block table of `seq`: entry i (0-based) is the block holding
 * positions i·B+1..(i+1)·B; returns the number of entries (0 when the
 * cache is not paged) and sets *table (owned by the cache). */
int kv_cache_block_table(const KvCache *c, int seq, const int **table);

/* Holders of pool block `block` (0 = free), or -1 for a bad block. */
int kv_cache_block_refs(const KvCache *c, int block);

/* Pool blocks with no holder (0 when not paged), kept ones included. */
int kv_cache_blocks_free(const KvCache *c);

/*
 * Prefix caching (serve.h). A kept block with no holder keeps its
 * contents: appends never take it (they fail with EX_TEMPFAIL rather
 * than touch it) until kv_cache_keep(c, b, false) gives it up.
 * kv_cache_adopt appends pool block `block` whole to the table of `seq`
 * (whose length must be a multiple of B): reference count + 1, length
 * + B, nothing written, no event; the caller vouches that the block
 * holds the K and V this sequence would compute there. Both return 0 or
 * EX_USAGE (not paged, a bad block or seq, a length off a block
 * boundary, a full table).
 */
int kv_cache_keep(KvCache *c, int block, bool keep, KvError *err);
int kv_cache_adopt(KvCache *c, int seq, int block, KvError *err);
/* Whether block `block` is kept (false for a bad block). */
bool kv_cache_kept(const KvCache *c, int block);

/* K plus V cells held by every sequence (columns held × heads × (d_k+d_v)),
 * counting a shared block once per holder. */
uint64_t kv_cache_cells(const KvCache *c);

#endif
