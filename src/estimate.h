#ifndef KVSTEP_ESTIMATE_H
#define KVSTEP_ESTIMATE_H
/*
 * What a run will cost, known before anything is computed, so that a small
 * model file that asks for hours of work (16 layers of 16 heads over 1024
 * positions) is refused at once instead of running out the clock or the
 * memory, and so that a large export says how large it will be.
 *
 * Every figure is a closed form over the model's shape and the run's
 * positions; tests check them against the counters of a real run and the
 * line count of a real export.
 */
#include <stdbool.h>
#include <stdint.h>

#include "csv_out.h"
#include "kv_error.h"
#include "model.h"
#include "trace.h"

/*
 * Documented limits on one run (all three modes together). The slowest
 * accepted shape, every dimension 1 with many heads, spends about 20 ns per
 * attention score (an exp and two trace cells) on this class of machine,
 * so 1e9 scores stay near 25 s; wide models are bound by multiply-adds at
 * roughly 1 ns each. The trace holds 9 bytes per cell (a double and a flag).
 */
#define KV_MAX_RUN_MACS 2e10
#define KV_MAX_RUN_SCORES 1e9
#define KV_MAX_RUN_TRACE_BYTES (1024.0 * 1024 * 1024)

/* Work worth a progress line on a terminal (about 2 s and more). */
#define KV_PROGRESS_MACS 2e9
#define KV_PROGRESS_SCORES 1e8

typedef struct RunEstimate {
	uint64_t macs[3];     /* multiply-adds per mode (Mode order) */
	uint64_t scores[3];   /* attention scores (= exps) per mode */
	uint64_t macs_total;  /* all modes */
	uint64_t scores_total;
	uint64_t trace_bytes; /* the trace: arrays (9 bytes a cell), steps and
			       * at most events_bytes of cache events */
	uint64_t events_bytes; /* the bound on the cache events' share */
	/* a tiled run (--attention flash) on top: */
	uint64_t macs_compare; /* the standard kernel's pass over 1..T that
				* the run compares with (run.c) */
	uint64_t scores_compare;
	uint64_t tile_states;  /* states the tile store keeps */
	uint64_t tile_bytes;   /* the store's bytes beyond an empty one: its
				* index and columns (trace_tiles_memory) */
	uint64_t plane_bytes;  /* one producer's value plane; a tiled run
				* keeps two (tiled and standard) */
} RunEstimate;

/*
 * The cost of running `m` over `positions` = P + N positions with a
 * prompt of `prompt_n` tokens. Equal to the counters a run reports:
 * macs[mode] is that mode's total_macs at the last step, scores its
 * total_exps.
 */
RunEstimate estimate_run(const Model *m, int prompt_n, int positions);

/*
 * As estimate_run for the kernel `k` (NULL or !k->tiled: the standard
 * kernel, the same as estimate_run). A tiled run adds the second value
 * plane (the standard kernel's, kept for the comparison and the UI's
 * standard view), the tile store (exactly: tile_bytes equals
 * trace_tiles_memory minus trace_tiles_base_bytes) and the comparison
 * pass's work (macs_compare, scores_compare), which estimate_check
 * counts too. macs[] stay the teaching modes' counters.
 */
RunEstimate estimate_run_kernel(const Model *m, int prompt_n, int positions,
				const TileKernel *k);

/*
 * Checks `e` against the limits above. Returns 0, or EX_DATAERR with a
 * message naming the estimate and the limits, prefixed with `source`.
 */
int estimate_check(const RunEstimate *e, const char *source, KvError *err);

/* True when the run is long enough to deserve a progress line. */
bool estimate_is_long(const RunEstimate *e);

/*
 * Rows (without the header) `csv_write_trace` writes for `t` under `f`:
 * a sum of closed forms over (step, mode, layer, matrix). With --blank and
 * without --masked, masked and evicted cells are left out, which for S and
 * A is again a closed form per column.
 */
uint64_t estimate_export_rows(const Trace *t, const ExportFilter *f);

/* Rows `csv_write_counters` writes for `t` under `f`. */
uint64_t estimate_counter_rows(const Trace *t, const ExportFilter *f);

/* About how many bytes a cell row takes in the CSV, for the size notice. */
enum { ESTIMATE_ROW_BYTES = 46 }; /* -n 800: 16.4 GB over 357812920 rows */

#endif
