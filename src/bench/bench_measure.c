/*
 * Measurements. Every timed pass runs the engine with no sink, so no trace
 * is kept, and every buffer was allocated before timing starts.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench.h"
#include "dot.h"
#include "engine.h"
#include "model.h"

/*
 * CPU time of this thread, not the wall clock: on a shared machine another
 * busy process takes whole time slices, which a 1 s pass always meets and a
 * 1 ms step mostly escapes, so wall-clock ratios drift by 2-3x. CPU time
 * counts only the work done here; what load still changes (caches, memory
 * bandwidth) the interleaved rounds spread over every mode alike.
 */
static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static double median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof *v, cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2.0;
}

static uint64_t cache_step_bytes(const BenchConfig *c, int T);

uint64_t bench_bytes(const BenchConfig *c)
{
	uint64_t T = (uint64_t)c->tokens[c->n_tokens - 1];
	uint64_t dm = (uint64_t)c->d_model, d = (uint64_t)c->d_head;
	uint64_t L = (uint64_t)c->layers, H = (uint64_t)c->heads;
	uint64_t G = (uint64_t)c->kv_heads;
	/* per engine: x (L+1)·T·dm, q and z L·H·T·d, k and v L·G·T·d */
	uint64_t engine = ((L + 1) * T * dm + 2 * L * H * T * d +
			   2 * L * G * T * d) * sizeof(double);
	uint64_t weights = (L * dm * (H * d + 2 * G * d + H * d) +
			    (uint64_t)c->vocab * dm * 2) * sizeof(double);
	return 3 * engine + weights + cache_step_bytes(c, (int)T);
}

uint64_t bench_cache_step_macs(const BenchConfig *c, int T)
{
	uint64_t dm = (uint64_t)c->d_model, d = (uint64_t)c->d_head;
	uint64_t H = (uint64_t)c->heads, G = (uint64_t)c->kv_heads;
	uint64_t proj = dm * (H * d + G * 2 * d) + dm * H * d;
	return (uint64_t)c->layers * (proj + H * 2 * d * (uint64_t)T) +
	       (uint64_t)c->vocab * dm;
}

uint64_t bench_nocache_pass_macs(const BenchConfig *c, int T)
{
	uint64_t dm = (uint64_t)c->d_model, d = (uint64_t)c->d_head;
	uint64_t H = (uint64_t)c->heads, G = (uint64_t)c->kv_heads;
	uint64_t t = (uint64_t)T;
	uint64_t proj = dm * (H * d + G * 2 * d) + dm * H * d;
	return (uint64_t)c->layers * (t * proj + H * 2 * d * t * (t + 1) / 2) +
	       (uint64_t)c->vocab * dm;
}

/* Bytes a cached step at T reads: every weight once, and the K/V cache. */
static uint64_t cache_step_bytes(const BenchConfig *c, int T)
{
	uint64_t dm = (uint64_t)c->d_model, d = (uint64_t)c->d_head;
	uint64_t H = (uint64_t)c->heads, G = (uint64_t)c->kv_heads;
	uint64_t weights = (uint64_t)c->layers *
				   (dm * (H * d + G * 2 * d) + dm * H * d) +
			   (uint64_t)c->vocab * dm;
	uint64_t cache = (uint64_t)c->layers * G * 2 * d * (uint64_t)T;
	return (weights + cache) * sizeof(double);
}

/* Fastest of `repeats` streams through `n` doubles: the bandwidth bound. */
static double stream_ms(const double *buf, size_t n, int repeats, double *sink)
{
	double t[128];
	for (int r = 0; r < repeats; r++) {
		double t0 = now_ms();
		double s = 0;
		for (size_t i = 0; i + 64 <= n; i += 64)
			s += dot(buf + i, buf + i, 64);
		t[r] = now_ms() - t0;
		*sink += s;
	}
	qsort(t, (size_t)repeats, sizeof *t, cmp_double);
	return t[0];
}

typedef struct Rig {
	Model *m;
	Engine *nocache, *cache, *prefill;
	int *tokens;
	double *stream;   /* as many doubles as the largest cached step reads */
	size_t stream_n;
} Rig;

static void rig_free(Rig *r)
{
	engine_free(r->nocache);
	engine_free(r->cache);
	engine_free(r->prefill);
	model_free(r->m);
	free(r->tokens);
	free(r->stream);
}

static int rig_build(Rig *r, const BenchConfig *c, KvError *err)
{
	int T = c->tokens[c->n_tokens - 1];
	ModelShape s = { .d_model = c->d_model, .d_k = c->d_head,
			 .d_v = c->d_head, .vocab = c->vocab,
			 .n_layers = c->layers, .n_heads = c->heads,
			 .n_kv_heads = c->kv_heads, .prompt_n = T,
			 .positions = T };
	memset(r, 0, sizeof *r);
	if (!(r->m = model_random(&s, 2024, err)))
		return EX_OSERR;
	r->nocache = engine_new(r->m, T, false, 4, err);
	r->cache = engine_new(r->m, T, true, 4, err);
	r->prefill = engine_new(r->m, T, true, 4, err);
	r->tokens = malloc((size_t)T * sizeof *r->tokens);
	r->stream_n = cache_step_bytes(c, T) / sizeof(double);
	r->stream = malloc(r->stream_n * sizeof *r->stream);
	if (!r->nocache || !r->cache || !r->prefill || !r->tokens ||
	    !r->stream)
		return kv_error_set(err, EX_OSERR, "out of memory for T = %d", T);
	memcpy(r->tokens, r->m->prompt, (size_t)T * sizeof *r->tokens);
	for (size_t i = 0; i < r->stream_n; i++)
		r->stream[i] = (double)(i % 7) * 0.25;
	return 0;
}

/* Time of one pass lo..hi of `e`; its counters to `c` when not NULL. */
static double time_once(Engine *e, const int *tokens, int lo, int hi,
			Counters *c)
{
	PassInfo info;
	Counters scratch;
	double t0 = now_ms();
	engine_pass(e, tokens, lo, hi, NULL, c ? c : &scratch, &info);
	return now_ms() - t0;
}

/* Rounds for a no-cache pass of about `macs`: fewer for the slow ones,
 * never fewer than 5, so that a median exists. */
static int rounds_for(const BenchConfig *c, uint64_t macs)
{
	int r = macs > 500000000u ? 5 : macs > 50000000u ? 7 : c->repeats;
	return r < 1 ? 1 : r > 64 ? 64 : r;
}

/*
 * The three modes at T, interleaved: every round times one no-cache pass,
 * one prefill pass and a few cached steps, one after the other, and each
 * figure is the median over the rounds. Another process that takes the
 * CPU for a while then slows every mode alike, instead of the one pass
 * that happened to run then, so time_ratio follows mac_ratio under load.
 */
static void measure_row(Rig *r, const BenchConfig *c, int T, int *filled,
			BenchRow *row)
{
	Counters nc, cc, pc;
	PassInfo info;
	/* fill the cache up to T-1 in one untimed pass, then time step T */
	if (*filled < T - 1)
		engine_pass(r->cache, r->tokens, *filled + 1, T - 1, NULL, &cc,
			    &info);
	*filled = T;
	int rounds = rounds_for(c, bench_nocache_pass_macs(c, T));
	int per = c->repeats / rounds > 3 ? c->repeats / rounds : 3;
	double tn[64], tp[64], tc[64 * 8];
	int nc_n = 0;
	if (per > 8)
		per = 8;
	for (int k = 0; k < rounds; k++) {
		tn[k] = time_once(r->nocache, r->tokens, 1, T, k ? NULL : &nc);
		for (int i = 0; i < per; i++)
			tc[nc_n++] = time_once(r->cache, r->tokens, T, T,
					       k || i ? NULL : &cc);
		tp[k] = time_once(r->prefill, r->tokens, 1, T, k ? NULL : &pc);
	}
	row->nocache_ms = median(tn, rounds);
	row->cache_ms = median(tc, nc_n);
	row->prefill_ms = median(tp, rounds);
	row->T = T;
	row->nocache_macs = counters_macs(&nc);
	row->cache_macs = counters_macs(&cc);
	row->prefill_macs = counters_macs(&pc);
	row->mac_ratio = (double)row->nocache_macs / (double)row->cache_macs;
	row->time_ratio = row->nocache_ms / row->cache_ms;
	row->gflops = 2.0 * (double)row->nocache_macs / row->nocache_ms / 1e6;
	row->cache_step_bytes = cache_step_bytes(c, T);
}

int bench_measure(const BenchConfig *c, BenchRow *rows, KvError *err)
{
	Rig r;
	int rc = rig_build(&r, c, err);
	int filled = 0;
	double sink = 0;
	for (int i = 0; i < c->n_tokens && !rc; i++) {
		measure_row(&r, c, c->tokens[i], &filled, &rows[i]);
		rows[i].stream_ms = stream_ms(
			r.stream, rows[i].cache_step_bytes / sizeof(double),
			c->repeats, &sink);
	}
	rig_free(&r);
	/* the sums must be used, or the stream loop could be optimised away */
	if (sink < 0)
		rc = kv_error_set(err, EX_SOFTWARE, "negative stream sum");
	return rc;
}
