#ifndef KVSTEP_ENGINE_H
#define KVSTEP_ENGINE_H
/*
 * Forward passes over a KV cache. An Engine owns preallocated buffers for
 * every position of every sequence up to its capacity, and a KvCache
 * (kv_cache.h) that holds K and V; the engine reads and writes K and V
 * only through it.
 *
 * A pass is a list of chunks, each (sequence, lo..hi) (schedule.h makes
 * them). Chunks run in list order; inside a chunk, for each column j in
 * rising order and in it for each layer, the engine projects x, q, k, v,
 * writes k and v to the cache, attends the query to its visible keys of
 * the same sequence (1..j, or the last W under a sliding window) read from
 * the cache, and forms the layer output; then logits for position hi of
 * the chunk. Attention never crosses sequences, and every column is
 * computed by the same code in the same order whatever else shares the
 * pass, so its numbers never depend on the batch and the teaching modes
 * agree bit for bit.
 *
 * A chunk that starts at or below what the cache holds for its sequence
 * (lo ≤ len) gives back positions lo..len first (kv_cache_truncate), so a
 * pass 1..t is a fresh cache and lo = len+1 continues it.
 */
#include <stdbool.h>

#include "attention.h"
#include "counters.h"
#include "kv_cache.h"
#include "kv_error.h"
#include "kv_types.h"
#include "model.h"

typedef struct Engine Engine;

/* Largest tile size and split (--tile, --split). */
#define ENGINE_MAX_TILE 1024

/* What a pass did, for the trace to derive cell statuses from. */
typedef struct PassInfo {
	int proj_lo;   /* first column projected (lo) */
	int att_lo;    /* first query column attended (lo) */
	int hi;        /* last column; logits are for this position */
	int first_new; /* columns below it were computed by an earlier pass */
} PassInfo;

/* One chunk of a pass: positions lo..hi (1-based) of sequence seq
 * (1-based), with the sequence's token ids tokens[0..hi). */
typedef struct PassChunk {
	int seq;
	int lo, hi;
	const int *tokens;
	int logits_lo; /* 0: logits for hi only; else for every column
			  logits_lo..hi (a speculative verify pass) */
} PassChunk;

/*
 * Receives every column a pass produces, as it is produced: rows
 * first_row..first_row+n-1 of column `col` of `mat` in `layer`, `head`
 * (1-based; head counts K/V heads for K and V, and is 1 for X, H, logits)
 * of sequence `seq`. first_row is 1 except for S and A under a sliding
 * window. `cache` (may be NULL) receives the KV cache's events of the pass
 * (kv_cache.h): writes, reads, evictions and rollbacks with block and
 * slot. A NULL sink records nothing (the benchmark path).
 */
typedef struct EngineSink {
	void (*column)(void *ctx, int seq, Matrix mat, int layer, int head,
		       int col, int first_row, const double *v, int n);
	void (*cache)(void *ctx, const KvEvent *ev);
	void *ctx;
	/* The tiled kernel's state after each tile (attention.h) of query
	 * column `query` of `layer`, `head` (1-based), o having d_v values;
	 * NULL records nothing. Called with `tile_ctx`. */
	void (*tile)(void *tile_ctx, int seq, int layer, int head, int query,
		     const TileState *ts, int d_v);
	void *tile_ctx;
} EngineSink;

/* Sizes beyond one sequence, for serving and speculative decoding. */
typedef struct EngineSpec {
	int capacity;    /* positions per sequence */
	int max_seqs;    /* sequences 1..max_seqs; 0 means 1 */
	bool keeps_cache;
	int elem_bytes;  /* bytes per cached cell, for cache_bytes */
	int block_size;  /* > 0: global layers are paged (kv_cache.h) */
	int n_blocks;    /* the pool when paged */
	bool tiled;      /* the tiled kernel (attention.h) instead of S and A */
	int tile;        /* keys per tile when tiled; 0 means 2 */
	int split;       /* parts of a split query column; 0 or 1 = unsplit */
	int split_from;  /* first query position split (decode: P + 1) */
} EngineSpec;

/*
 * Creates an engine for `capacity` positions. `keeps_cache` says whether
 * K and V count as a cache (cache_cells and cache_bytes, at `elem_bytes` per
 * cell; a sliding-window layer then keeps a ring of W columns) or as scratch
 * recomputed by every pass. Returns NULL with `err` set (EX_OSERR) when
 * memory runs out.
 */
Engine *engine_new(const Model *m, int capacity, bool keeps_cache,
		   int elem_bytes, KvError *err);

/* As engine_new, from a full spec; EX_USAGE for a bad spec. */
Engine *engine_new_spec(const Model *m, const EngineSpec *spec, KvError *err);

void engine_free(Engine *e);

/*
 * Runs one forward pass over `n` chunks. Each chunk needs 1 ≤ lo ≤ hi ≤
 * capacity, 1 ≤ seq ≤ max_seqs and lo at most one past what the cache
 * holds for seq. Fills `pass` with the pass's counters (passes = passes so
 * far) and info[i] with what chunk i did. Returns 0, or EX_USAGE for a
 * chunk that breaks these rules and EX_TEMPFAIL when a paged cache runs
 * out of blocks, with `err` set; the chunks before the failing one are
 * done.
 */
int engine_run(Engine *e, const PassChunk *chunks, int n,
	       const EngineSink *sink, Counters *pass, PassInfo *info,
	       KvError *err);

/*
 * One chunk lo..hi of sequence 1 with token ids tokens[0..hi): the three
 * teaching modes. The chunk must be valid (as engine_run); a single
 * unpaged sequence cannot run out of blocks.
 */
void engine_pass(Engine *e, const int *tokens, int lo, int hi,
		 const EngineSink *sink, Counters *pass, PassInfo *info);

/*
 * Gives back positions n+1.. of `seq` (a speculative rollback) through
 * kv_cache_truncate, reporting KV_EV_ROLLBACK events to sink->cache (sink
 * may be NULL). Returns 0, or EX_USAGE for a bad seq or n, with `err` set.
 */
int engine_truncate(Engine *e, int seq, int n, const EngineSink *sink,
		    KvError *err);

/* Logits (vocab) of the latest chunk of sequence 1, or of `seq`. */
const double *engine_logits(const Engine *e);
const double *engine_logits_of(const Engine *e, int seq);

/* The engine's KV cache, for inspection (block tables, references). */
const KvCache *engine_cache(const Engine *e);
/* The same, to change between passes (serving adopts prefix blocks and
 * frees sequences); never during a pass. */
KvCache *engine_cache_mut(Engine *e);

/*
 * Column `col` (1-based) of X, Q, K, V, Z or H of `layer` and `head`
 * (1-based) of sequence 1 as the engine holds it; NULL for other matrices,
 * out-of-range indices, or a K/V column the cache does not hold. For tests.
 */
const double *engine_column(const Engine *e, Matrix mat, int layer, int head,
			    int col);

#endif
