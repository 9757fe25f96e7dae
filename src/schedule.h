#ifndef KVSTEP_SCHEDULE_H
#define KVSTEP_SCHEDULE_H
/*
 * Schedules turn a run into passes. A pass is a list of chunks (sequence,
 * lo..hi) for the engine (engine.h); a schedule decides what is computed,
 * never how. The three teaching modes are three schedules of one sequence
 * (sequence 1):
 *
 *   no cache  pass t covers 1..t: a fresh cache every pass (the engine
 *             gives back what a chunk starting at 1 replaces)
 *   cache     pass t covers t..t: one position a pass
 *   prefill   pass 1 covers the prompt 1..P, then t..t for t > P
 *
 * Serving (several sequences, continuous batching) and speculative
 * decoding are further schedules of the same PassChunk lists.
 */
#include <stdbool.h>

#include "engine.h"
#include "kv_types.h"

enum { SCHEDULE_MAX_CHUNKS = 16 };

typedef struct SchedulePass {
	PassChunk chunk[SCHEDULE_MAX_CHUNKS];
	int n; /* chunks in use */
} SchedulePass;

/*
 * The columns lo..hi of the pass `mode` runs at `step` (1-based) of a run
 * whose prompt has prompt_n tokens. Returns false when the mode runs no
 * pass at that step (prefill at 2 ≤ step ≤ P, covered by its first pass);
 * lo and hi are then that first pass's. MODE_COUNT: false, lo = hi = 0.
 */
bool schedule_span(Mode mode, int step, int prompt_n, int *lo, int *hi);

/*
 * The pass `mode` runs at `step`, as chunks of sequence 1 over `tokens`
 * (borrowed; ids of positions 1..hi must be set before the pass runs).
 * Returns false, with out->n = 0, when no pass runs at that step.
 */
bool schedule_teaching(Mode mode, int step, int prompt_n, const int *tokens,
		       SchedulePass *out);

#endif
