#ifndef KVSTEP_ATTENTION_H
#define KVSTEP_ATTENTION_H
/*
 * The two attention kernels for one query column of one head.
 *
 * Standard: s_i = (k_i·q)·scale for every visible key, a = softmax(s) down
 * the column, z = Σ_i a_i·v_i in rising i. The whole column of S and A is
 * written to memory.
 *
 * Tiled (FlashAttention's online softmax): keys are visited in tiles of B
 * in rising position, and only a running state is held:
 *   m' = max(m, max of the tile's scores)
 *   α  = exp(m − m')                  (1 for a part's first tile)
 *   l' = α·l + Σ exp(s − m')          (α·l first, then the tile in rising i)
 *   o' = α·o + Σ exp(s − m')·v        (o scaled by α, then axpy in rising i)
 *   z  = o / l
 * With `split` S > 1 (Flash-Decoding) the keys are cut into S parts of
 * ceil(n/S) keys; each part runs the loop above from scratch and leaves a
 * partial (o, m, l); the partials are merged in order by rescaling to the
 * common max: M' = max(M, m_p), α = exp(M − M'), β = exp(m_p − M'),
 * L' = α·L + β·l_p, O' = α·O + β·o_p, and z = O / L.
 *
 * Keys come in at most two runs of positions: the pinned run 1..n_pinned
 * and the window run key_lo.. (a gap between them). A tile never straddles
 * the gap, so its keys are the positions key_lo..key_hi; a split part may
 * (its merge row spans its first to its last key).
 *
 * A sink logit (GPT-OSS) joins every softmax denominator with no value: the
 * standard kernel takes the max over the scores and the sink and adds
 * exp(sink − max) to the sum first; the tiled kernel starts part 1 from the
 * state m = sink, l = 1, o = 0, so its first tile's α is exp(sink − m').
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* One query column's inputs; keys and values in position order. */
typedef struct AttnInput {
	const double *q;            /* (d_k) */
	const double *const *k;     /* (n) pointers to K columns */
	const double *const *v;     /* (n) pointers to V columns */
	int n;                      /* visible keys, ≥ 1 */
	int n_pinned;               /* keys 0..n_pinned-1 are positions
				       1..n_pinned (StreamingLLM's pinned
				       first positions), 0 if none */
	int key_lo;                 /* position of k[n_pinned] (1-based); the
				       rest follow it one by one */
	int d_k, d_v;
	double scale;
	bool has_sink;
	double sink;                /* the sink logit when has_sink */
} AttnInput;

typedef enum TileKind {
	TILE_STEP,  /* a tile of keys folded into its part's running state */
	TILE_MERGE, /* a part's partial folded into the merged state */
} TileKind;

/* The state after one tile (or one merge), as the tiled kernel holds it. */
typedef struct TileState {
	TileKind kind;
	int seqno;          /* 1.. within the query column, in the order made */
	int part;           /* 1..parts */
	int tile;           /* TILE_STEP: 1.. within the column; MERGE: part */
	int key_lo, key_hi; /* positions this tile (or part) covers */
	double m, l;        /* running max and sum after the tile */
	double alpha;       /* rescale of the earlier state */
	double beta;        /* TILE_MERGE: rescale of the partial; else 1 */
	const double *o;    /* (d_v) unnormalised output after the tile */
} TileState;

/* Receives every tile state of a query column in order. */
typedef void (*AttnTileFn)(void *ctx, const TileState *ts);

/* What a kernel did, for the counters. */
typedef struct AttnWork {
	uint64_t exps;        /* calls of exp */
	uint64_t tiles;       /* tiles visited (TILE_STEP states) */
	uint64_t score_cells; /* scores written to memory (standard: n) */
} AttnWork;

/*
 * The standard kernel: s and a get n values each, z gets d_v. `work` is
 * added to. No sink: exactly dot.h's softmax.
 */
void attn_standard(const AttnInput *in, double *s, double *a, double *z,
		   AttnWork *work);

/* Scratch doubles attn_tiled needs for tiles of `tile` keys. */
size_t attn_tiled_scratch(int tile, int d_v);

/*
 * The tiled kernel with tiles of `tile` keys (≥ 1) and `split` parts
 * (≥ 1; more parts than keys act as n parts): writes z (d_v), reports
 * every state to `fn` (may be NULL) and adds to `work`. `scratch` holds
 * attn_tiled_scratch() doubles. Scores are never stored beyond one tile.
 */
void attn_tiled(const AttnInput *in, int tile, int split, double *scratch,
		double *z, AttnTileFn fn, void *ctx, AttnWork *work);

#endif
