#ifndef KVSTEP_ENGINE_H
#define KVSTEP_ENGINE_H
/*
 * One mode's forward passes. An Engine owns preallocated buffers for every
 * position up to its capacity, so a pass allocates nothing.
 *
 * A pass is described by three column numbers (1-based positions):
 *   proj_lo..hi  columns whose x, q, k, v this pass computes;
 *   att_lo..hi   query columns whose scores, softmax and z it computes;
 *   hi           the position whose logits it computes.
 * Key/value columns below proj_lo are read from earlier passes: that is the
 * KV cache. Every mode is just a choice of these numbers (see run.c), and
 * every column is produced by the same code, so the modes agree bit for bit.
 */
#include <stdbool.h>

#include "counters.h"
#include "kv_error.h"
#include "kv_types.h"
#include "model.h"

typedef struct Engine Engine;

/* What a pass did, for the trace to derive cell statuses from. */
typedef struct PassInfo {
	int proj_lo;   /* first column projected */
	int att_lo;    /* first query column attended */
	int hi;        /* last column; logits are for this position */
	int first_new; /* columns below it were computed by an earlier pass */
} PassInfo;

/*
 * Receives every column a pass produces, as it is produced. `rows` values
 * for X, Q, K, V, Z and logits; for S and A, the `rows` = col entries of
 * keys 1..col. A NULL sink records nothing (the benchmark path).
 */
typedef struct EngineSink {
	void (*column)(void *ctx, Matrix mat, int col, const double *v,
		       int rows);
	void *ctx;
} EngineSink;

/*
 * Creates an engine for `capacity` positions. `keeps_cache` says whether
 * K and V count as a cache (cache_cells and cache_bytes, at `elem_bytes` per
 * cell) or as scratch recomputed by every pass. Returns NULL with `err` set
 * (EX_OSERR) when memory runs out.
 */
Engine *engine_new(const Model *m, int capacity, bool keeps_cache,
		   int elem_bytes, KvError *err);

void engine_free(Engine *e);

/*
 * Runs one forward pass over positions with token ids tokens[0..hi).
 * Requires 1 ≤ att_lo, proj_lo ≤ hi ≤ capacity, and proj_lo at most one
 * past the last column any earlier pass computed. Fills `pass` with this
 * pass's counters (passes = passes so far) and `info` with what it did.
 */
void engine_pass(Engine *e, const int *tokens, int proj_lo, int att_lo,
		 int hi, const EngineSink *sink, Counters *pass,
		 PassInfo *info);

/* Logits (vocab) of the latest pass. */
const double *engine_logits(const Engine *e);

/*
 * Column `col` (1-based) of X, Q, K, V or Z as the engine last computed it;
 * NULL for other matrices or an out-of-range column. For tests.
 */
const double *engine_column(const Engine *e, Matrix mat, int col);

#endif
