#ifndef KVSTEP_BENCH_H
#define KVSTEP_BENCH_H
/*
 * `kvstep bench`: the cache story measured in time on this machine, at
 * sizes where it hurts, with the same engine as the classroom model and the
 * trace off.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "kv_error.h"

enum { BENCH_MAX_TOKENS = 16 };

typedef struct BenchConfig {
	int d_model;     /* --d-model, default 512 */
	int d_head;      /* --d-head: d_k = d_v, default 64 */
	int heads;       /* --heads, default 8 */
	int kv_heads;    /* --kv-heads, default = heads (MHA) */
	int layers;      /* --layers, default 1 */
	int vocab;       /* random vocabulary, 256 */
	int tokens[BENCH_MAX_TOKENS]; /* positions T timed, rising */
	int n_tokens;
	int repeats;     /* timed runs of a cached step; the median counts */
	bool quick;      /* --quick: small T, fewer repeats */
} BenchConfig;

/* One position T, every mode. Times are medians in milliseconds. */
typedef struct BenchRow {
	int T;
	double nocache_ms;     /* the no-cache pass at T: columns 1..T */
	double cache_ms;       /* the cached decode step at T: column T */
	double prefill_ms;     /* prefill of a T-token prompt: one pass */
	uint64_t nocache_macs; /* counters of those passes */
	uint64_t cache_macs;
	uint64_t prefill_macs;
	double mac_ratio;      /* nocache_macs / cache_macs */
	double time_ratio;     /* nocache_ms / cache_ms */
	double gflops;         /* 2·nocache_macs / nocache time */
	uint64_t cache_step_bytes; /* bytes the cached step reads */
	double stream_ms;      /* fastest streaming read of as many bytes */
} BenchRow;

/*
 * Parses `kvstep bench` arguments (argv[0] = "bench"). Returns 0, -1 when
 * --help was asked (usage already written to `out`), or EX_USAGE.
 */
int bench_parse(int argc, char **argv, BenchConfig *c, FILE *out,
		KvError *err);

/*
 * Builds the random model and measures every T of `c` into rows[0..n).
 * EX_OSERR when memory runs out.
 */
int bench_measure(const BenchConfig *c, BenchRow *rows, KvError *err);

/*
 * The line for one row, exactly
 *   T=<n> nocache_ms=<x> cache_ms=<y> prefill_ms=<z> mac_ratio=<r>
 *   time_ratio=<s> gflops=<g>
 * (one line, no newline) into buf.
 */
void bench_format_line(char *buf, size_t size, const BenchRow *r);

/* Bytes a run of config `c` allocates (engines, weights, stream buffer). */
uint64_t bench_bytes(const BenchConfig *c);

/* The closed-form MACs of a cached decode step at T for config `c`. */
uint64_t bench_cache_step_macs(const BenchConfig *c, int T);
/* ... and of a no-cache pass over 1..T. */
uint64_t bench_nocache_pass_macs(const BenchConfig *c, int T);

/* `kvstep bench`: parse, measure, print lines and a summary. */
int bench_main(int argc, char **argv, FILE *out, FILE *err);

#endif
