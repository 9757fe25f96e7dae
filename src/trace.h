#ifndef KVSTEP_TRACE_H
#define KVSTEP_TRACE_H
/*
 * The trace: everything a run did, for every step and mode. It is the single
 * source of truth for the views; they read it and never recompute math.
 *
 * Storage is T·d + T² per producer, never T³. A producer is what computed
 * a value: which model and which attention kernel. All three teaching modes
 * are one producer (the run's model, the standard kernel) and produce the
 * same bits for a given cell, so each value is stored once per producer:
 * the first mode to produce it writes it, every later write of the same
 * producer is compared with memcmp and a difference counts as a mismatch.
 * Another producer (a draft model, a tiled-softmax kernel with other
 * rounding) writes its own value plane, allocated when it first writes,
 * and never counts as a mismatch. What differs between modes and steps is
 * which cells a pass holds and why; that is kept as one PassInfo per
 * (step, mode) and cell statuses are derived from it.
 */
#include <stdbool.h>
#include <stdint.h>

#include "counters.h"
#include "engine.h"
#include "kv_error.h"
#include "kv_types.h"
#include "model.h"
#include "rope_shift.h"
#include "trace_kv.h"
#include "trace_quant.h"
#include "trace_tiles.h"

typedef struct Trace Trace;

/*
 * Who computed a value: a model and an attention kernel. The id is
 * model · PRODUCER_KERNEL_COUNT + kernel, so it indexes small arrays. A
 * draft model's plane has the trace model's shapes (layers, heads, rows).
 */
typedef enum ProducerModel {
	PRODUCER_MODEL_TARGET, /* the run's model */
	PRODUCER_MODEL_DRAFT,  /* a draft model (speculative decoding) */
	PRODUCER_MODEL_COUNT
} ProducerModel;

typedef enum ProducerKernel {
	PRODUCER_KERNEL_STANDARD, /* engine.c: exact softmax down a column */
	PRODUCER_KERNEL_TILED,    /* a tiled (online) softmax: other rounding */
	PRODUCER_KERNEL_QUANT,    /* the standard kernel over a quantised KV
				     cache (--kv-quant): the cache and prefill
				     modes, whose K and V read back rounded */
	PRODUCER_KERNEL_COUNT
} ProducerKernel;

typedef enum Producer {
	PRODUCER_TARGET_STANDARD, /* the three teaching modes */
	PRODUCER_TARGET_TILED,
	PRODUCER_TARGET_QUANT,
	PRODUCER_DRAFT_STANDARD,
	PRODUCER_DRAFT_TILED,
	PRODUCER_DRAFT_QUANT,
	PRODUCER_COUNT
} Producer;

Producer producer_make(ProducerModel model, ProducerKernel kernel);
ProducerModel producer_model(Producer p);
ProducerKernel producer_kernel(Producer p);
/* "target/standard", "draft/tiled", ...; "?" for a bad id. */
const char *producer_name(Producer p);
/* The producer whose values `mode` shows: PRODUCER_TARGET_STANDARD for
 * the three teaching modes. */
Producer trace_mode_producer(Mode mode);

/*
 * Layers and heads are 1-based. Q, S, A and Z have n_heads heads, K and V
 * n_kv_heads, X, H and logits one; logits belong to no layer (use 1).
 */

/* One mode at one step. */
typedef struct TraceStep {
	int pass;         /* the mode's own number of the pass covering the step */
	PassInfo info;    /* columns that pass projected, attended, produced */
	bool keeps_cache; /* the mode keeps K and V as a cache */
	Counters pass_c;  /* that pass's counters */
	Counters total;   /* the mode's cumulative counters after that pass */
	int chosen;       /* argmax token id of the pass's logits */
} TraceStep;

/* The cells of one matrix a mode holds at a step (the same for every head). */
typedef struct TraceSpan {
	int rows;   /* rows, 1..rows (S and A: keys 1..hi) */
	int col_lo; /* first column held */
	int col_hi; /* last column held */
} TraceSpan;

/*
 * Creates an empty trace for positions 1..prompt_n+generate. The model is
 * borrowed and must outlive the trace. Returns NULL with `err` set (EX_OSERR)
 * when memory runs out.
 */
Trace *trace_new(const Model *m, int prompt_n, int generate, KvError *err);
void trace_free(Trace *t);

/* ---- recording (run.c) ---- */

/* A sink that stores the columns an engine produces into `t` as values of
 * `producer`, and the cache events of the pass begun last (sequence 1
 * only). The sink stays valid as long as `t`. */
EngineSink trace_sink_for(Trace *t, Producer producer);
/* trace_sink_for(t, PRODUCER_TARGET_STANDARD): the teaching modes. */
EngineSink trace_sink(Trace *t);
/*
 * Allocates `producer`'s value plane now, so that running out of memory is
 * an error here rather than a lost write later. Returns 0, or EX_OSERR
 * with `err` set; EX_USAGE for a bad producer id.
 */
int trace_reserve(Trace *t, Producer producer, KvError *err);
/* True when `producer` has a value plane (it wrote or was reserved). */
bool trace_has_producer(const Trace *t, Producer producer);
/* True when a write was dropped because memory ran out for a producer's
 * plane (run.c refuses the trace with EX_OSERR). */
bool trace_values_lost(const Trace *t);
/* Columns dropped because they fit no cell of the trace's shapes (a
 * producer whose model has other shapes; a bug: run.c refuses the trace
 * with EX_SOFTWARE). */
uint64_t trace_misfits(const Trace *t);
/* Starts `mode`'s next pass (its passes are numbered 1, 2, ... as
 * TraceStep.pass); cache events are kept only when `keeps_cache`. */
void trace_begin_pass(Trace *t, Mode mode, bool keeps_cache);
/* True when memory ran out while storing cache events (run.c refuses the
 * trace with EX_OSERR). */
bool trace_events_lost(const Trace *t);
/* Bytes per cached cell (cache_bytes / cache_cells); 4 unless set. */
void trace_set_elem_bytes(Trace *t, int bytes);
/* Records the token id at position pos (1-based). */
void trace_set_token(Trace *t, int pos, int id);
/* Records what `mode` did for `step`. */
void trace_set_step(Trace *t, int step, Mode mode, const TraceStep *s);
/* Where a value first came out infinite or NaN: a model whose numbers grow
 * past the range of a double (weights within limits can still compound
 * over many layers). */
typedef struct TraceOverflow {
	bool found;
	int layer, head;
	Matrix mat;
	int row, col;
} TraceOverflow;

/* The first non-finite value recorded, if any (found = false otherwise). */
const TraceOverflow *trace_overflow(const Trace *t);

/*
 * Cells that a producer wrote with bits different from what the same
 * producer wrote before (one mode against another). Always 0 unless the
 * engine is broken; run.c refuses such a trace. Writes of different
 * producers are never compared.
 */
uint64_t trace_mismatches(const Trace *t);

/* The tiled kernel's states and settings (trace_tiles.h); run.c sets the
 * kernel and the comparison through trace_tiles_mut. Under the tiled
 * kernel S and A are never held: trace_span_at refuses them. */
const TraceTiles *trace_tiles(const Trace *t);
TraceTiles *trace_tiles_mut(Trace *t);

/* Keeps the run's context shift (rope_shift.h); the trace owns and frees
 * it. Views read it with trace_shift. */
void trace_set_shift(Trace *t, RopeShift *rs);

/* ---- reading (views) ---- */

/* The context shift of a run with --shift, or NULL. */
const RopeShift *trace_shift(const Trace *t);

const Model *trace_model(const Trace *t);
int trace_steps(const Trace *t);      /* T = prompt + generated */
int trace_prompt_len(const Trace *t); /* P */
/* Token id at position pos, 1 ≤ pos ≤ T. */
int trace_token(const Trace *t, int pos);
/* The record of `mode` at `step` (1 ≤ step ≤ T). */
const TraceStep *trace_step(const Trace *t, int step, Mode mode);

int trace_layers(const Trace *t);
/* Heads `mat` has: n_heads (Q S A Z), n_kv_heads (K V), else 1. */
int trace_heads(const Trace *t, Matrix mat);
/* Sliding window of `layer`, 0 for a global layer. */
int trace_window(const Trace *t, int layer);
/* Bytes per cached cell the run counted (fp32: 4). */
int trace_elem_bytes(const Trace *t);
/*
 * First key of the window run query `col` of `layer` attended to, as the
 * engine reported it (1 for a global layer, col−W+1 under a window W; with
 * pinned positions 1..N, at most N + 1 when the runs meet); 1 for bad
 * indices.
 */
int trace_first_key(const Trace *t, int layer, int col);
/*
 * Pinned first positions of `layer` (StreamingLLM's `sink_tokens`): key
 * i ≤ N is seen by every query after it and never evicted; 0 for none.
 */
int trace_pinned(const Trace *t, int layer);
/*
 * True when query `col` of `layer` attended to key `row`: row ≤ col and
 * either in its window (row ≥ trace_first_key) or pinned. The keys between
 * the pinned ones and the window are masked.
 */
bool trace_key_visible(const Trace *t, int layer, int row, int col);
/*
 * K/V column `pos` of `layer` in `mode`'s cache after the pass covering
 * `step`, from the recorded cache events: computed, reused (read), held,
 * evicted or none, with its block and slot. Returns false when the mode
 * keeps no cache (no cache mode) or an index is out of range. The place is
 * the same for every kv head.
 */
bool trace_kv_at(const Trace *t, int step, Mode mode, int layer, int pos,
		 TraceKv *out);
/* The position `mode`'s cache holds at `place` of `layer` after the pass
 * covering `step`, or 0 when the place is empty. */
int trace_kv_holder(const Trace *t, int step, Mode mode, int layer,
		    KvPlace place);

/*
 * Which cells of `mat` in `layer` `mode` holds at `step`. Returns false
 * when it holds none (an empty span, or H in a classic model).
 */
bool trace_span_at(const Trace *t, int step, Mode mode, int layer, Matrix mat,
		   TraceSpan *span);

/*
 * Status of cell (row, col) of `mat` in `layer`: CELL_ABSENT outside the
 * span, CELL_MASKED for keys after the query or outside the window,
 * CELL_EVICTED for K/V columns a sliding-window cache no longer holds.
 */
CellStatus trace_status_at(const Trace *t, int step, Mode mode, int layer,
			   Matrix mat, int row, int col);

/*
 * Value of cell (row, col) of `mat` in `layer`, `head` as the teaching
 * modes produced it (PRODUCER_TARGET_STANDARD), the same for every mode
 * that holds it. Masked and never-produced cells have no value: returns
 * false.
 */
bool trace_value_at(const Trace *t, int layer, int head, Matrix mat, int row,
		    int col, double *out);
/* As trace_value_at, as `producer` computed it: false when that producer
 * never wrote the cell (or has no plane), for views that compare
 * producers. */
bool trace_value_of(const Trace *t, Producer producer, int layer, int head,
		    Matrix mat, int row, int col, double *out);

/*
 * The same step as `kernel` holds it: trace_span_at, trace_status_at and
 * trace_value_at ask the run's own kernel. A tiled run (--attention
 * flash) also keeps the standard kernel's values over the same tokens
 * (run.c), so with PRODUCER_KERNEL_STANDARD a view shows its S and A,
 * with the statuses a standard run's modes would give them (the passes
 * are the same), and its own Z and logits. With PRODUCER_KERNEL_TILED S
 * and A are never held. A value the kernel never produced in this trace
 * (the tiled kernel of a standard run) is absent: false.
 */
bool trace_span_kernel(const Trace *t, ProducerKernel kernel, int step,
		       Mode mode, int layer, Matrix mat, TraceSpan *span);
CellStatus trace_status_kernel(const Trace *t, ProducerKernel kernel,
			       int step, Mode mode, int layer, Matrix mat,
			       int row, int col);
bool trace_value_kernel(const Trace *t, ProducerKernel kernel, int layer,
			int head, Matrix mat, int row, int col, double *out);

/* Layer 1, head 1: all a classic one-head model has. */
bool trace_span(const Trace *t, int step, Mode mode, Matrix mat,
		TraceSpan *span);
CellStatus trace_status(const Trace *t, int step, Mode mode, Matrix mat,
			int row, int col);
bool trace_value(const Trace *t, Matrix mat, int row, int col, double *out);

/* Rows a matrix has in the model (S and A: T). */
int trace_matrix_rows(const Trace *t, Matrix mat);

/* Bytes the trace holds; grows like T·d + T² per producer, never T³. */
size_t trace_memory(const Trace *t);

/*
 * ---- a quantised KV cache (--kv-quant; kv_quant.h, trace_quant.h) ----
 *
 * The cache and prefill modes then write PRODUCER_TARGET_QUANT: their K and
 * V are still the exact projections, but S, A, Z and logits come from what
 * the cache reads back, which differs from the no-cache mode's. MAT_KQ and
 * MAT_VQ hold what the cache returns: column c is the read-back value once
 * its group is quantised, and the exact K (V) while it is in the
 * full-precision residual.
 */

/* Turns the quantised cache on for this trace: call before anything is
 * recorded or reserved. Returns 0, or EX_OSERR with `err` set. */
int trace_set_quant(Trace *t, const KvQuant *q, KvError *err);
/* The settings, or NULL when the run does not quantise. */
const KvQuant *trace_quant(const Trace *t);
/* The producer whose values `mode` shows in this trace: the run's kernel,
 * and PRODUCER_TARGET_QUANT for the cache modes of a quantised run. */
Producer trace_producer_in(const Trace *t, Mode mode);
/*
 * Value of cell (row, col) of `mat` as `mode` holds it at `step`: from
 * trace_producer_in(t, mode); for MAT_KQ and MAT_VQ the read-back value
 * when trace_quantised_at, else the exact K (V). False as trace_value_at.
 */
bool trace_value_in(const Trace *t, int step, Mode mode, int layer, int head,
		    Matrix mat, int row, int col, double *out);
/* True when K/V column `col` of `mode`'s cache reads back quantised (not
 * from the full-precision residual) after the pass covering `step`. */
bool trace_quantised_at(const Trace *t, int step, Mode mode, int col);
/* Min, scale and code of a quantised MAT_KQ / MAT_VQ cell; false when it
 * was never quantised or the run does not quantise. */
bool trace_quant_cell(const Trace *t, Matrix mat, int layer, int head,
		      int row, int col, KvQuantCell *out);
/* How far the cache modes drift from the no-cache mode at `step` (1..T),
 * or over the run (step 0); NULL when the run does not quantise. */
const TraceQuantErr *trace_quant_err(const Trace *t, int step);
/* Measures the drift of every step from the recorded values; run.c calls
 * it once the modes are done. */
void trace_quant_measure(Trace *t);

#endif
