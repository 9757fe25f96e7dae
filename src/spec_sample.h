#ifndef KVSTEP_SPEC_SAMPLE_H
#define KVSTEP_SPEC_SAMPLE_H
/*
 * Sampled speculative decoding (Leviathan et al. 2022; Chen et al. 2023),
 * at temperature 1: p = softmax of the target's logits, q = the draft's.
 * Each iteration the draft samples d_1..d_k from q (one pass each); the
 * target verifies t..t+k in one pass; d_i is accepted with probability
 * min(1, p_i(d_i)/q_i(d_i)) (p_i, q_i: the distributions at t+i−1); at the
 * first rejection the iteration emits a token sampled from
 * norm(max(0, p_i − q_i)) and stops; when all k are accepted it emits a
 * bonus token sampled from p_{k+1}. Rollback as in the greedy run
 * (spec.h). The output has exactly the target's distribution.
 *
 * The random numbers come from a 64-bit generator seeded by `seed`
 * (splitmix64), so a seed gives the same run on every machine with the
 * same libm.
 */
#include <stdint.h>
#include <stdio.h>

#include "kv_error.h"
#include "model.h"

typedef struct SpecSampleConfig {
	const int *prompt;
	int prompt_n, generate, k;
	uint64_t seed;
	int trials; /* spec_sample_print: 0 prints one run */
} SpecSampleConfig;

/* What one sampled run did. */
typedef struct SpecSampleStats {
	int iterations;     /* target verify passes */
	int proposed;       /* draft tokens proposed */
	int accepted;       /* of them accepted */
	int resampled;      /* rejections that resampled from max(0, p − q) */
	int bonus;          /* iterations that accepted all k: a bonus token */
} SpecSampleStats;

/*
 * One sampled run: x_{P+1} is sampled from p at P, then iterations until N
 * tokens. Writes the P+N token ids to tokens. Returns 0, or EX_USAGE /
 * EX_DATAERR / EX_OSERR as spec_run (spec.h), with `err` set.
 */
int spec_sample_run(const Model *target, const Model *draft,
		    const SpecSampleConfig *c, int *tokens,
		    SpecSampleStats *stats, KvError *err);

/*
 * `trials` independent first iterations after the prompt and x_{P+1} =
 * the target's argmax at P (as in the greedy run): hist[v] counts how
 * often token v was the first token emitted (position P+2); p receives
 * the target's softmax at P+1, the distribution hist must follow.
 * Needs N ≥ 2 positions' room (P+2 ≤ the models' positions).
 */
int spec_sample_first(const Model *target, const Model *draft,
		      const SpecSampleConfig *c, uint64_t *hist, double *p,
		      KvError *err);

/* The text `kvstep spec --sample` prints (with --trials, the histogram). */
int spec_sample_print(FILE *out, const Model *target, const Model *draft,
		      const SpecSampleConfig *c, KvError *err);

#endif
