#ifndef KVSTEP_SPEC_H
#define KVSTEP_SPEC_H
/*
 * Speculative decoding (greedy): a small draft model proposes k tokens, the
 * target verifies them in one chunked pass, and both caches roll back what
 * was not kept. docs/speculative.md has the lesson; this is the schedule.
 *
 * Positions are 1-based. With the prompt 1..P prefilled by both models
 * (iteration 0), the target's logits at P give x_{P+1}. Each iteration,
 * with tokens 1..t known and the target's cache holding 1..t−1:
 *   1. the draft proposes d_1..d_k greedily: its first pass covers what its
 *      cache lacks up to t (lo = its length + 1), later ones t+i−1 alone,
 *      each giving d_i as the argmax of its logits;
 *   2. the target runs one chunk t..t+k over x_t, d_1..d_k with logits at
 *      every column;
 *   3. d_i is accepted while d_i = argmax of the target's logits at t+i−1;
 *      with a accepted the iteration emits d_1..d_a and the target's argmax
 *      at t+a (cut so that N tokens are generated in all);
 *   4. the target's cache is truncated to t+a, the draft's to
 *      min(t+a, t+k−1): positions past that are rolled back.
 * k is cut to the positions the models can hold (model_max_positions).
 * Every argmax takes the lowest index on a tie, as everywhere in kvstep.
 *
 * The run records, per iteration, the schedule and counters, and (when
 * asked) every value both models produced with its status: computed,
 * reused (a K/V column read from the cache) or rolled_back (computed, then
 * given back). Nothing here prints; errors come back as KvError.
 */
#include <stdbool.h>
#include <stdint.h>

#include "counters.h"
#include "kv_error.h"
#include "kv_types.h"
#include "model.h"

enum { SPEC_MAX_K = 8 };

typedef enum SpecModel { SPEC_TARGET, SPEC_DRAFT } SpecModel;

/* A recorded value's status; rolled_back is the one speculative decoding
 * adds to the teaching modes' statuses (kv_types.h). */
typedef enum SpecStatus {
	SPEC_COMPUTED,    /* computed by this iteration and kept */
	SPEC_REUSED,      /* a K/V column read from the cache */
	SPEC_ROLLED_BACK, /* computed by this iteration, then given back */
} SpecStatus;

typedef struct SpecConfig {
	const int *prompt; /* (prompt_n) token ids */
	int prompt_n;      /* P ≥ 1 */
	int generate;      /* N ≥ 0 */
	int k;             /* lookahead 1..SPEC_MAX_K */
	bool cells;        /* record every value (for views and exports) */
} SpecConfig;

/* One iteration; iteration 0 is the prefill (no proposals). */
typedef struct SpecIter {
	int t;                        /* first position verified (P for 0) */
	int k;                        /* proposals made (0 for iteration 0) */
	int draft[SPEC_MAX_K];        /* d_1..d_k */
	int target[SPEC_MAX_K + 1];   /* target's argmax at t..t+k */
	int accepted;                 /* a */
	int emitted[SPEC_MAX_K + 1];  /* tokens appended, cut to N */
	int emitted_n;
	int draft_lo;                 /* first position the draft computed */
	int target_keep;              /* target cache length after rollback */
	int draft_keep;               /* draft cache length after rollback */
	Counters target_c;            /* this iteration's target work */
	Counters draft_c;             /* this iteration's draft work (k passes) */
	uint64_t wasted_macs;         /* target MACs on columns t+a+1..t+k */
	int generated;                /* tokens generated after the iteration */
} SpecIter;

/* One recorded value. */
typedef struct SpecCell {
	int iter;
	SpecModel model;
	int layer, head; /* 1-based; 1 for X, H, logits */
	Matrix mat;
	int row, col;    /* 1-based, worksheet orientation */
	double value;
	SpecStatus status;
} SpecCell;

typedef struct SpecRun SpecRun;

/*
 * Checks that `draft` can draft for `target`: the same vocabulary, token
 * for token. EX_DATAERR naming both sources otherwise.
 */
int spec_check_pair(const Model *target, const Model *draft, KvError *err);

/*
 * Runs the schedule above. Returns NULL with `err` set: EX_USAGE for a bad
 * configuration (k out of range, a prompt the models cannot hold),
 * EX_DATAERR for a pair with different vocabularies, a value that is not
 * finite, or (with cfg.cells) more than about 4 million values to record,
 * EX_OSERR when memory runs out. Both models are borrowed and must
 * outlive the run.
 */
SpecRun *spec_run(const Model *target, const Model *draft,
		  const SpecConfig *cfg, KvError *err);
void spec_free(SpecRun *r);

const Model *spec_model(const SpecRun *r, SpecModel which);
int spec_prompt_len(const SpecRun *r);
int spec_generate(const SpecRun *r);
int spec_k(const SpecRun *r);
/* Iterations including 0 (the prefill). */
int spec_iters(const SpecRun *r);
const SpecIter *spec_iter(const SpecRun *r, int i);
/* Final token ids 1..P+N (spec_tokens(r)[pos-1]). */
const int *spec_tokens(const SpecRun *r);
/* Recorded values in production order (0 unless cfg.cells). */
size_t spec_cells(const SpecRun *r, const SpecCell **cells);
/* Cumulative counters of `which` after iteration i. */
Counters spec_total(const SpecRun *r, SpecModel which, int i);

/* "target" or "draft". */
const char *spec_model_name(SpecModel which);
/* "computed", "reused", "rolled_back". */
const char *spec_status_name(SpecStatus s);

#endif
