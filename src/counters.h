#ifndef KVSTEP_COUNTERS_H
#define KVSTEP_COUNTERS_H
/*
 * Work counters. A pass fills one Counters; a mode's cumulative Counters is
 * the sum of its passes, except the cache figures, which are a snapshot of
 * the cache after the latest pass, and `passes`, which counts passes.
 *
 * Closed forms for one pass over queries att_lo..hi with projections for
 * columns proj_lo..hi (tests check these):
 *   macs_proj   = (hi-proj_lo+1)·d_model·(2·d_k + d_v)
 *   macs_scores = d_k · Σ_{j=att_lo..hi} j      (masked cells cost nothing)
 *   macs_av     = d_v · Σ_{j=att_lo..hi} j
 *   macs_logits = vocab · d_v
 *   exps        = Σ_{j=att_lo..hi} j
 * The tiled kernel (attention.h) writes no scores (score_cells_written 0),
 * visits ceil(j/B) tiles per query and head (tile_passes), and adds one
 * exp per rescale: exps = Σ_j (j + ceil(j/B) − 1) without a sink or split.
 */
#include <stdint.h>

typedef struct Counters {
	uint64_t macs_proj;       /* Q, K, V projections */
	uint64_t macs_scores;     /* Kᵀ·Q, one MAC per (key, query, d_k) */
	uint64_t macs_av;         /* V·A */
	uint64_t macs_logits;     /* W_out·z */
	uint64_t exps;            /* one per unmasked score */
	uint64_t recomputed_macs; /* part of the MACs redone from an earlier pass */
	uint64_t cache_cells;     /* K plus V cells held after the pass */
	uint64_t cache_bytes;     /* cache_cells × element size */
	uint64_t cache_reads;     /* K and V cells read that an earlier pass stored */
	uint64_t passes;          /* sequential forward passes so far */
	uint64_t score_cells_written; /* S cells written to memory (standard) */
	uint64_t tile_passes;     /* tiles the tiled kernel visited */
} Counters;

/* Total multiply-adds of all stages. */
static inline uint64_t counters_macs(const Counters *c)
{
	return c->macs_proj + c->macs_scores + c->macs_av + c->macs_logits;
}

/*
 * Adds pass `p` to running total `sum`: work adds up, the cache figures and
 * the pass count are taken from `p`.
 */
static inline void counters_accumulate(Counters *sum, const Counters *p)
{
	sum->macs_proj += p->macs_proj;
	sum->macs_scores += p->macs_scores;
	sum->macs_av += p->macs_av;
	sum->macs_logits += p->macs_logits;
	sum->exps += p->exps;
	sum->recomputed_macs += p->recomputed_macs;
	sum->cache_reads += p->cache_reads;
	sum->score_cells_written += p->score_cells_written;
	sum->tile_passes += p->tile_passes;
	sum->cache_cells = p->cache_cells;
	sum->cache_bytes = p->cache_bytes;
	sum->passes = p->passes;
}

#endif
