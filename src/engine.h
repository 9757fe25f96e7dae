#ifndef KVSTEP_ENGINE_H
#define KVSTEP_ENGINE_H
/*
 * One mode's forward passes. An Engine owns preallocated buffers for every
 * position up to its capacity, so a pass allocates nothing.
 *
 * A pass covers columns lo..hi (1-based positions): for each column in
 * rising order, and in it for each layer, it projects x, q, k, v, attends
 * the query to its visible keys (1..j, or the last W under a sliding
 * window), and forms the layer output; then logits for position hi. Key and
 * value columns below lo are read from earlier passes: that is the KV
 * cache. Every mode is just a choice of lo and hi (see run.c), and every
 * number is produced by the same code in the same order, so the modes agree
 * bit for bit.
 */
#include <stdbool.h>

#include "counters.h"
#include "kv_error.h"
#include "kv_types.h"
#include "model.h"

typedef struct Engine Engine;

/* What a pass did, for the trace to derive cell statuses from. */
typedef struct PassInfo {
	int proj_lo;   /* first column projected (lo) */
	int att_lo;    /* first query column attended (lo) */
	int hi;        /* last column; logits are for this position */
	int first_new; /* columns below it were computed by an earlier pass */
} PassInfo;

/*
 * Receives every column a pass produces, as it is produced: rows
 * first_row..first_row+n-1 of column `col` of `mat` in `layer`, `head`
 * (1-based; head counts K/V heads for K and V, and is 1 for X, H, logits).
 * first_row is 1 except for S and A under a sliding window. A NULL sink
 * records nothing (the benchmark path).
 */
typedef struct EngineSink {
	void (*column)(void *ctx, Matrix mat, int layer, int head, int col,
		       int first_row, const double *v, int n);
	void *ctx;
} EngineSink;

/*
 * Creates an engine for `capacity` positions. `keeps_cache` says whether
 * K and V count as a cache (cache_cells and cache_bytes, at `elem_bytes` per
 * cell; a sliding-window layer then keeps a ring of W columns) or as scratch
 * recomputed by every pass. Returns NULL with `err` set (EX_OSERR) when
 * memory runs out.
 */
Engine *engine_new(const Model *m, int capacity, bool keeps_cache,
		   int elem_bytes, KvError *err);

void engine_free(Engine *e);

/*
 * Runs one forward pass over columns lo..hi with token ids tokens[0..hi).
 * Requires 1 ≤ lo ≤ hi ≤ capacity and lo at most one past the last column
 * an earlier pass computed. Fills `pass` with this pass's counters
 * (passes = passes so far) and `info` with what it did.
 */
void engine_pass(Engine *e, const int *tokens, int lo, int hi,
		 const EngineSink *sink, Counters *pass, PassInfo *info);

/* Logits (vocab) of the latest pass. */
const double *engine_logits(const Engine *e);

/*
 * Column `col` (1-based) of X, Q, K, V, Z or H of `layer` and `head`
 * (1-based) as the engine holds it; NULL for other matrices, out-of-range
 * indices, or a K/V column a ring buffer no longer holds. For tests.
 */
const double *engine_column(const Engine *e, Matrix mat, int layer, int head,
			    int col);

#endif
