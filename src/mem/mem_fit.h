#ifndef KVSTEP_MEM_FIT_H
#define KVSTEP_MEM_FIT_H
/*
 * "Will it fit": the largest context per sequence at a batch, and the
 * largest batch at a context, whose cache fits in a byte budget. The cache
 * grows (never shrinks) with the context and with the batch under every
 * engine policy, so a binary search finds the exact boundary.
 */
#include <stdbool.h>
#include <stdint.h>

#include "kv_error.h"
#include "mem_calc.h"
#include "mem_config.h"

#define MEM_FIT_BATCH_MAX ((uint64_t)1 << 20) /* largest --batch */

/*
 * Parses a size: a whole number of bytes with an optional unit, B, KiB, MiB,
 * GiB, TiB (powers of 1024) or kB, KB, MB, GB, TB (powers of 1000), in any
 * letter case except that "b" alone is not a unit. "24GiB", "80GB",
 * "1073741824". Returns false for anything else or a value over 2^63.
 */
bool mem_size_parse(const char *s, uint64_t *out);

/*
 * Largest context n in 0 .. MEM_CONTEXT_MAX whose cache for `batch`
 * sequences is at most `avail` bytes (0: not even one token fits). Sets
 * *bytes_at to the bytes at n (0 for n = 0). Returns 0 or an error code.
 */
int mem_fit_tokens(const MemConfig *c, MemKvType t, const MemPolicy *p,
		   uint64_t batch, uint64_t avail, uint64_t *max,
		   uint64_t *bytes_at, KvError *e);

/*
 * Largest batch in 0 .. MEM_FIT_BATCH_MAX whose cache at context `ctx` is at
 * most `avail` bytes. A batch too large to count in 64 bits does not fit.
 */
int mem_fit_batch(const MemConfig *c, MemKvType t, const MemPolicy *p,
		  uint64_t ctx, uint64_t avail, uint64_t *max,
		  uint64_t *bytes_at, KvError *e);

/* Bytes of the weights: n_params × weight_bits / 8, rounded up (0 if unknown). */
uint64_t mem_weight_bytes(const MemConfig *c);

#endif
