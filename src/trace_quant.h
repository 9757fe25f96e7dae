#ifndef KVSTEP_TRACE_QUANT_H
#define KVSTEP_TRACE_QUANT_H
/*
 * What a quantised KV cache (--kv-quant, kv_quant.h) did in a run, kept by
 * the trace: the min, scale and code of every K and V cell it quantised
 * (the read-back values themselves are the MAT_KQ and MAT_VQ values of the
 * producer PRODUCER_TARGET_QUANT), and how far the cache modes, which read
 * the quantised values, drift from the exact no-cache mode.
 *
 * The trace owns one TraceQuantLog when the run quantises (trace.h,
 * trace_set_quant); views ask the trace. Storage is 2 · T · d cells per
 * layer and kv head, never T².
 */
#include <stdbool.h>
#include <stddef.h>

#include "kv_quant.h"
#include "kv_types.h"

typedef struct TraceQuantLog TraceQuantLog;

/* The matrices whose drift the trace measures, in display order. */
typedef enum QuantErrMat {
	QERR_K,      /* |Kq − K| over the cells quantised at the step */
	QERR_V,      /* |Vq − V| */
	QERR_S,      /* |S(cache) − S(no cache)| of query column t */
	QERR_A,
	QERR_Z,
	QERR_LOGITS, /* logits at position t */
	QERR_COUNT
} QuantErrMat;

/* The drift at one step (or the largest over the run). */
typedef struct TraceQuantErr {
	double max[QERR_COUNT]; /* largest absolute difference, every layer
				   and head; 0 when none */
	int exact_token;        /* argmax of the no-cache logits at t */
	int quant_token;        /* argmax of the cache mode's logits at t */
	bool changes;           /* they differ (the run: at some step) */
	int changed_steps;      /* the run: steps where they differ */
} TraceQuantErr;

/* "K", "V", "S", "A", "Z", "logits"; "?" for a bad value. */
const char *quant_err_name(QuantErrMat e);

/* An empty log for a run of T positions; NULL when memory runs out. */
TraceQuantLog *trace_quant_new(const KvQuant *q, int layers, int heads,
			       int T, int d_k, int d_v);
void trace_quant_free(TraceQuantLog *log);
size_t trace_quant_memory(const TraceQuantLog *log);
const KvQuant *trace_quant_settings(const TraceQuantLog *log);

/* Stores n cells of column col of MAT_KQ or MAT_VQ (layer, head 1-based);
 * cells that fit no place are ignored. */
void trace_quant_record(TraceQuantLog *log, Matrix mat, int layer, int head,
			int col, const KvQuantCell *cells, int n);

/* The cell (row, col) of MAT_KQ or MAT_VQ; false when never quantised. */
bool trace_quant_get(const TraceQuantLog *log, Matrix mat, int layer,
		     int head, int row, int col, KvQuantCell *out);

/* The log of a trace (trace.c), for trace_qerr.c to fill; NULL when the
 * run does not quantise. */
struct Trace;
TraceQuantLog *trace_quant_log(struct Trace *t);

/* The drift at step 1..T, and step 0: the largest over the run. */
TraceQuantErr *trace_quant_err_mut(TraceQuantLog *log, int step);
const TraceQuantErr *trace_quant_err_get(const TraceQuantLog *log,
					 int step);

#endif
