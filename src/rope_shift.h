#ifndef KVSTEP_ROPE_SHIFT_H
#define KVSTEP_ROPE_SHIFT_H
/*
 * A context shift over a RoPE model (rope.h), as llama.cpp does it: the
 * cache holds at most `ctx` positions (C, the context size); when it is
 * full and one more token comes, the oldest `shift` positions (N) are
 * dropped and every key kept in the cache is turned by −N positions
 * (engine_shift), so the kept tokens sit at positions 1..C−N as if the
 * run had started with them. No token is kept at the front (llama.cpp's
 * n_keep = 0).
 *
 * rope_shift_run replays the tokens of a finished run (the run's own
 * stream, so the story stays the one on screen) through a KV cache that
 * shifts, and after every step t through a fresh run over the tokens the
 * cache keeps (positions 1..len, nothing cached before), and records
 * both: the K columns the shifted cache holds and what the fresh run
 * computed for them, and the scores of query t against every kept key.
 *
 * The two agree up to rounding when the raw k of a token depends on the
 * token alone: one layer and no [position] rows (a RoPE model has none).
 * With more layers, the k of layer 2 and up depends on the tokens that
 * were dropped (they shaped h through attention), so the shifted cache
 * differs from a fresh run by more than rounding; llama.cpp accepts that.
 */
#include <stdbool.h>

#include "kv_error.h"
#include "kv_types.h"
#include "model.h"

/* Values the shift may store: T · C · L · (2·G·d_k + 2·H) doubles. */
#define ROPE_SHIFT_MAX_VALUES (8u << 20)

typedef struct RopeShiftStep {
	int kept_lo;     /* first token position (1-based) the cache keeps */
	int offset;      /* positions dropped so far: column j turned as j − offset */
	int shifted_at;  /* step of the latest shift up to this one, 0: none */
	int chosen;      /* argmax of the shifted cache's logits at t */
	int fresh_chosen; /* argmax of the fresh run's logits */
	double max_k;    /* largest |K shifted − K fresh| over the kept keys */
	double max_s;    /* largest |S shifted − S fresh| of query t */
	double max_logit; /* largest |logit shifted − logit fresh| */
} RopeShiftStep;

typedef struct RopeShift RopeShift;

/*
 * Replays tokens[0..T) with a cache of `ctx` positions that drops `shift`
 * when full. Needs a model with rope, 1 ≤ shift < ctx. Returns NULL with
 * `err` set: EX_USAGE for a bad ctx or shift or a model without rope,
 * EX_DATAERR when the record would pass ROPE_SHIFT_MAX_VALUES, EX_OSERR
 * when memory runs out.
 */
RopeShift *rope_shift_run(const Model *m, const int *tokens, int T, int ctx,
			  int shift, KvError *err);
void rope_shift_free(RopeShift *rs);

int rope_shift_ctx(const RopeShift *rs);   /* C */
int rope_shift_n(const RopeShift *rs);     /* N */
int rope_shift_steps(const RopeShift *rs); /* T */
/* Shifts done over the whole run. */
int rope_shift_count(const RopeShift *rs);

/* The record of step t (1 ≤ t ≤ T); NULL otherwise. */
const RopeShiftStep *rope_shift_step(const RopeShift *rs, int t);

/* Largest |shifted − fresh| of K, S and logits over every step. */
double rope_shift_max_diff(const RopeShift *rs);

/*
 * Status of key column `col` in the shifted cache after step t: computed
 * (col = t), reused (kept, never turned back), shifted (turned back by a
 * shift at least once), evicted (dropped), CELL_ABSENT past t.
 */
CellStatus rope_shift_status(const RopeShift *rs, int t, int col);

/*
 * Row r (1-based) of K column `col` of `layer`, kv head `head` as the
 * shifted cache holds it after step t (*shifted) and as the fresh run
 * over the kept tokens computed it (*fresh). False when the cache does
 * not hold the column at t.
 */
bool rope_shift_k(const RopeShift *rs, int t, int layer, int head, int r,
		  int col, double *shifted, double *fresh);

/* The score of key `col` for query t in `layer`, query head `head`: from
 * the shifted cache and from the fresh run. False for a key not kept. */
bool rope_shift_s(const RopeShift *rs, int t, int layer, int head, int col,
		  double *shifted, double *fresh);

#endif
