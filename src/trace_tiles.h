#ifndef KVSTEP_TRACE_TILES_H
#define KVSTEP_TRACE_TILES_H
/*
 * The tiled kernel's states in the trace (attention.h): for each
 * (layer, head, query column) the list of TileState the kernel reported,
 * in order. The three modes produce the same states bit for bit, so each
 * list is stored once, by the first pass to compute the column; every
 * later pass is compared with memcmp (a difference counts as a mismatch).
 * A step and mode's states are those of the queries its pass attended
 * (TraceStep.info.att_lo..hi). Memory: Σ over columns of (tiles + merges)
 * records of 4 + d_v doubles, about L·H·T²/(2B) records.
 *
 * The store also keeps the kernel's settings and the comparison of the
 * tiled z with the standard kernel's (run.c computes it).
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "attention.h"

typedef struct TraceTiles TraceTiles;

/* The kernel a run used. */
typedef struct TileKernel {
	bool tiled;     /* false: the standard kernel, the store stays empty */
	int tile;       /* keys per tile */
	int split;      /* parts of a split column (1 = unsplit) */
	int split_from; /* first query position split */
} TileKernel;

/* Tiled z (and logits) against the standard kernel's, over a whole run. */
typedef struct TileCompare {
	bool done;          /* computed (tiled runs only) */
	uint64_t cells;     /* cells compared (every Z cell and the logits) */
	uint64_t differ;    /* cells whose bits differ */
	double max_abs;     /* largest |tiled − standard| */
	uint64_t max_ulps;  /* largest distance in units in the last place */
	int layer, head, row, col; /* a Z cell with the largest ULP distance
				      (0 when all cells agree) */
	double tiled_z, standard_z; /* its two values */
} TileCompare;

/* Returns NULL when memory runs out. */
TraceTiles *trace_tiles_new(int n_layers, int n_heads, int T, int d_v);
void trace_tiles_free(TraceTiles *tt);

/* Sets the kernel; a tiled one gets its store (-1 when memory runs out). */
int trace_tiles_set_kernel(TraceTiles *tt, const TileKernel *k);
const TileKernel *trace_tiles_kernel(const TraceTiles *tt);
void trace_tiles_set_compare(TraceTiles *tt, const TileCompare *c);
const TileCompare *trace_tiles_compare(const TraceTiles *tt);

/*
 * Stores (or compares) state `ts` of query `query` of `layer`, `head`
 * (1-based). ts->seqno 1 starts the column again. Returns 0, or -1 when
 * memory runs out (the state is lost).
 */
int trace_tiles_record(TraceTiles *tt, int layer, int head, int query,
		       const TileState *ts);

/* States held for a query column (0 for bad indices). */
int trace_tiles_count(const TraceTiles *tt, int layer, int head, int query);
/* State `index` (1-based) of a query column; o points into the store.
 * Returns false for bad indices. */
bool trace_tiles_get(const TraceTiles *tt, int layer, int head, int query,
		     int index, TileState *out);

uint64_t trace_tiles_mismatches(const TraceTiles *tt);
/* Bytes of an empty store (a standard run's), for estimate.c. */
size_t trace_tiles_base_bytes(void);
/* What a tiled kernel adds, for estimate.c, exactly as this store
 * allocates it: the index of `columns` query columns (layers · heads · T),
 * and one column holding `states` states of d_v values of o (its
 * capacity doubles from 4). */
size_t trace_tiles_index_bytes(size_t columns);
size_t trace_tiles_column_bytes(int states, int d_v);
/* States the tiled kernel reports for a column of n keys, the first
 * `pinned` of them a run apart from the rest (a tile stops at the gap;
 * 0 for none): ceil(n/B) tiles without a gap, or with `split` S > 1 and
 * ceil(n/S) < n, each part's tiles plus one merge per part (attention.h). */
int trace_tiles_states_for(int n, int pinned, int tile, int split);
size_t trace_tiles_memory(const TraceTiles *tt);

/* Distance between two doubles in units in the last place (0 if equal;
 * counts across zero; UINT64_MAX when either is NaN). */
uint64_t trace_tiles_ulps(double a, double b);

#endif
