#ifndef KVSTEP_RUN_H
#define KVSTEP_RUN_H
/*
 * Runs the three modes in lockstep over positions t = 1..P+N and records
 * the trace. Tokens at t ≤ P come from the prompt; each later token is the
 * argmax of the logits at t−1 (the same in every mode, or the run fails).
 */
#include <stdint.h>

#include "kv_error.h"
#include "kv_quant.h"
#include "model.h"
#include "trace.h"

/*
 * Called after every step with the multiply-adds done so far and the
 * estimated total (estimate.h); returning false stops the run.
 */
typedef struct RunProgress {
	bool (*step)(void *ctx, uint64_t done, uint64_t total);
	void *ctx;
} RunProgress;

typedef struct RunConfig {
	const int *prompt; /* (prompt_n) token ids */
	int prompt_n;      /* P ≥ 1 */
	int generate;      /* N ≥ 0 */
	int elem_bytes;    /* bytes per cached cell for cache_bytes; 4 = fp32 */
	RunProgress progress; /* zero: no progress calls */
	bool tiled;        /* --attention flash: the tiled kernel (attention.h) */
	int tile;          /* --tile B, keys per tile; 0 = 2 */
	int split;         /* --split S for decode positions (> P); 0 = 1 */
	KvQuant quant;     /* --kv-quant, --kv-group, --kv-residual: the
			      cache and prefill modes store K and V
			      quantised (kv_quant.h); bits 0 = off */
	int ctx;           /* --ctx C: the context shift's cache size; 0 = none */
	int shift;         /* --shift N: positions a full cache drops (rope_shift.h) */
} RunConfig;

/* The model's own prompt and generate count, fp32 cache accounting. */
RunConfig run_config_default(const Model *m);

/*
 * Checks `cfg` against the model's limits. Returns 0, or EX_USAGE with a
 * message (too many positions for the model, an empty prompt, ...).
 */
int run_config_check(const Model *m, const RunConfig *cfg, KvError *err);

/*
 * Builds the trace of all three modes. With cfg->shift, the run's tokens
 * are then replayed through a context shift (rope_shift.h), kept in the
 * trace (trace_shift); EX_USAGE when the model has no rope or the sizes
 * are wrong (1 <= shift < ctx), checked before the run. Before computing anything it
 * estimates the work and the trace's memory (estimate.h) and refuses a run
 * past the documented limits. Returns NULL with `err` set:
 * EX_USAGE for a bad configuration, EX_DATAERR for a run past the limits
 * (the message gives the estimate and the limits), EX_OSERR when memory
 * runs out, EX_TEMPFAIL when the progress callback stopped the run,
 * EX_DATAERR when a value overflows to infinity or NaN (named by step,
 * matrix, cell, layer and head),
 * EX_SOFTWARE if the modes ever disagree (a bug, never expected): each
 * mode writes the values of its producer (trace_mode_producer), and the
 * three teaching modes are one producer, compared with memcmp; or when a
 * column fits no cell of the trace (a bug too).
 * With cfg->quant on, the cache and prefill modes read quantised K and V
 * and so differ from the no-cache mode: the run then keeps the no-cache
 * mode's tokens as the sequence (the cache modes are teacher-forced with
 * them), records each mode's own argmax in TraceStep.chosen, still fails
 * with EX_SOFTWARE when the cache and prefill modes disagree with each
 * other, and measures the drift (trace_quant_measure).
 * With cfg->tiled the modes run the tiled kernel, the trace keeps its tile
 * states instead of S and A, and a fourth run of the standard kernel over
 * the same tokens gives the comparison (trace_tiles_compare).
 */
Trace *run_trace(const Model *m, const RunConfig *cfg, KvError *err);

/*
 * The columns lo..hi of the pass `mode` runs at `step`. Returns false when
 * the mode runs no pass at that step (prefill at 2 ≤ step ≤ P, covered by
 * its first pass); lo and hi are then that first pass's.
 */
bool run_plan(Mode mode, int step, int prompt_n, int *lo, int *hi);

#endif
