/*
 * estimate.c: the closed forms of a run's cost and its export size, checked
 * exactly against the counters of real runs and the lines of real exports,
 * and the refusal of a run past the limits before anything is computed.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "csv_out.h"
#include "estimate.h"
#include "model.h"
#include "run.h"
#include "trace.h"
#include "trace_tiles.h"

static const char *const bundled[] = { "default", "gqa", "mqa",
				       "local-global", "streaming" };

static Trace *run_of(const Model *m, int prompt_n, int generate)
{
	RunConfig cfg = run_config_default(m);
	cfg.prompt_n = prompt_n < m->prompt_n ? prompt_n : m->prompt_n;
	cfg.generate = generate;
	KvError err;
	kv_error_clear(&err);
	Trace *t = run_trace(m, &cfg, &err);
	if (!t)
		fail_msg("%s", err.msg);
	return t;
}

static void assert_estimate_matches(const Model *m, int P, int N)
{
	Trace *t = run_of(m, P, N);
	int T = trace_steps(t);
	RunEstimate e = estimate_run(m, trace_prompt_len(t), T);
	uint64_t macs = 0, scores = 0;
	for (int mode = 0; mode < MODE_COUNT; mode++) {
		const Counters *c = &trace_step(t, T, (Mode)mode)->total;
		assert_int_equal(e.macs[mode], counters_macs(c));
		assert_int_equal(e.scores[mode], c->exps);
		macs += counters_macs(c);
		scores += c->exps;
	}
	assert_int_equal(e.macs_total, macs);
	assert_int_equal(e.scores_total, scores);
	/*
	 * The arrays are estimated exactly (the trace adds only its own
	 * struct); the cache events stay within their bound.
	 */
	uint64_t arrays = e.trace_bytes - e.events_bytes;
	assert_true(arrays <= trace_memory(t));
	/* + the Trace struct and a plane's header, which grow with
	 * MAT_COUNT and PRODUCER_COUNT */
	assert_true(trace_memory(t) <= e.trace_bytes + 1024);
	assert_true(trace_memory(t) - arrays >= sizeof(void *)); /* events */
	trace_free(t);
}

static void test_estimate_equals_counters(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof bundled / sizeof *bundled; i++) {
		Model *m = model_load_named(bundled[i], NULL);
		assert_non_null(m);
		assert_estimate_matches(m, 3, 0);
		assert_estimate_matches(m, 1, 9);
		assert_estimate_matches(m, 3, 40);
		model_free(m);
	}
}

static void test_estimate_random_windows(void **state)
{
	(void)state;
	const int windows[] = { 2, 0, 5 };
	ModelShape s = { .d_model = 5, .d_k = 3, .d_v = 2, .vocab = 9,
			 .n_layers = 3, .n_heads = 4, .n_kv_heads = 2,
			 .windows = windows, .prompt_n = 4, .positions = 17 };
	Model *m = model_random(&s, 7, NULL);
	assert_non_null(m);
	assert_estimate_matches(m, 4, 13);
	model_free(m);
}

/* A tiled run (--attention flash) of m over its prompt and N more. */
static Trace *tiled_run_of(const Model *m, int N, int tile, int split)
{
	RunConfig cfg = run_config_default(m);
	cfg.generate = N;
	cfg.tiled = true;
	cfg.tile = tile;
	cfg.split = split;
	KvError err;
	kv_error_clear(&err);
	Trace *t = run_trace(m, &cfg, &err);
	if (!t)
		fail_msg("%s", err.msg);
	return t;
}

/* States the trace's tile store holds, over every column. */
static uint64_t states_held(const Trace *t)
{
	const Model *m = trace_model(t);
	uint64_t n = 0;
	for (int l = 1; l <= m->n_layers; l++)
		for (int h = 1; h <= m->n_heads; h++)
			for (int q = 1; q <= trace_steps(t); q++)
				n += (uint64_t)trace_tiles_count(trace_tiles(t),
								 l, h, q);
	return n;
}

/*
 * The tile store and the second value plane of a tiled run: the store's
 * states and bytes exactly as the run holds them, for every tile size
 * 1..T and splits 1..3, the plane equal to a standard run's, and the
 * comparison pass costing what the no-cache pass over 1..T costs.
 */
static void assert_tiled_estimate(const Model *m, int N)
{
	int P = m->prompt_n, T = P + N;
	RunEstimate std = estimate_run(m, P, T);
	assert_int_equal(std.tile_bytes, 0);
	assert_int_equal(std.macs_compare, 0);
	Trace *ts = run_of(m, P, N);
	uint64_t nocache_last =
		counters_macs(&trace_step(ts, T, MODE_NOCACHE)->pass_c);
	trace_free(ts);
	for (int B = 1; B <= T; B++)
		for (int S = 1; S <= 3; S++) {
			Trace *t = tiled_run_of(m, N, B, S);
			TileKernel k = { .tiled = true, .tile = B, .split = S,
					 .split_from = P + 1 };
			RunEstimate e = estimate_run_kernel(m, P, T, &k);
			assert_int_equal(e.tile_states, states_held(t));
			assert_int_equal(e.tile_bytes,
					 trace_tiles_memory(trace_tiles(t)) -
						 trace_tiles_base_bytes());
			assert_int_equal(e.trace_bytes - std.trace_bytes,
					 e.plane_bytes + e.tile_bytes);
			assert_int_equal(e.plane_bytes, std.plane_bytes);
			assert_int_equal(e.macs_compare, nocache_last);
			for (int mode = 0; mode < MODE_COUNT; mode++)
				assert_int_equal(e.macs[mode], std.macs[mode]);
			/* the arrays exactly, give or take the structs */
			uint64_t arrays = e.trace_bytes - e.events_bytes;
			assert_true(arrays <= trace_memory(t));
			assert_true(trace_memory(t) <= e.trace_bytes + 1024);
			trace_free(t);
		}
}

static void test_estimate_tiled(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof bundled / sizeof *bundled; i++) {
		Model *m = model_load_named(bundled[i], NULL);
		assert_non_null(m);
		assert_tiled_estimate(m, 3);
		model_free(m);
	}
	const int windows[] = { 2, 0, 5 };
	ModelShape s = { .d_model = 5, .d_k = 3, .d_v = 2, .vocab = 9,
			 .n_layers = 3, .n_heads = 4, .n_kv_heads = 2,
			 .windows = windows, .prompt_n = 4, .positions = 17 };
	Model *m = model_random(&s, 7, NULL);
	assert_non_null(m);
	assert_tiled_estimate(m, 9);
	model_free(m);
}

/*
 * The closed form by hand: one global layer, no split, tiles of B: query
 * j keeps ceil(j/B) states, Σ_j ceil(j/B) per head; with B = 2 over
 * T = 6 that is 1+1+2+2+3+3 = 12. A column of r states holds
 * cap(r) = 4, 8, ... records.
 */
static void test_tile_states_closed_form(void **state)
{
	(void)state;
	ModelShape s = { .d_model = 2, .d_k = 1, .d_v = 3, .vocab = 4,
			 .n_layers = 1, .n_heads = 2, .n_kv_heads = 1,
			 .prompt_n = 2, .positions = 6 };
	Model *m = model_random(&s, 3, NULL);
	assert_non_null(m);
	TileKernel k = { .tiled = true, .tile = 2, .split = 1,
			 .split_from = 3 };
	RunEstimate e = estimate_run_kernel(m, 2, 6, &k);
	assert_int_equal(e.tile_states, 2 * 12);
	/* every column has at most 3 states: one 4-record block each */
	assert_int_equal(e.tile_bytes,
			 trace_tiles_index_bytes(12) +
				 12 * trace_tiles_column_bytes(4, 3));
	assert_int_equal(trace_tiles_column_bytes(5, 3),
			 2 * trace_tiles_column_bytes(4, 3));
	/* split 2 from query 3: q3 has parts of 2 and 1 keys (1 + 1 tiles
	 * and 2 merges = 4), q4 2 + 2 (4), q5 3 + 2 (2 + 1 + 2 = 5), q6
	 * 3 + 3 (6); q1, q2 unsplit: 1 each. 21 a head. */
	k.split = 2;
	e = estimate_run_kernel(m, 2, 6, &k);
	assert_int_equal(e.tile_states, 2 * 21);
	assert_int_equal(trace_tiles_states_for(5, 0, 2, 2), 5);
	assert_int_equal(trace_tiles_states_for(3, 0, 2, 5), 6); /* 3 parts of 1 key: a tile and a merge each */
	assert_int_equal(trace_tiles_states_for(7, 0, 3, 1), 3);
	/* a gap after 1 pinned key: k1 | k2-k4 | k5-k7 rather than 3 + 3 + 1 */
	assert_int_equal(trace_tiles_states_for(7, 1, 3, 1), 3);
	/* after 2 pinned keys, tiles of 3: k1-k2 | k3-k5 | k6-k7 */
	assert_int_equal(trace_tiles_states_for(7, 2, 3, 1), 3);
	/* after 4 pinned keys, tiles of 3: k1-k3 | k4 | k5-k7 */
	assert_int_equal(trace_tiles_states_for(7, 4, 3, 1), 3);
	/* after 1 pinned key, tiles of 2: k1 | k2-k3 | k4-k5 | k6-k7 */
	assert_int_equal(trace_tiles_states_for(7, 1, 2, 1), 4);
	/* 4 keys, 1 pinned, tiles of 2: k1 | k2-k3 | k4, one more than 2 */
	assert_int_equal(trace_tiles_states_for(4, 1, 2, 1), 3);
	assert_int_equal(trace_tiles_states_for(4, 0, 2, 1), 2);
	model_free(m);
}

/* The model: 16 layers of 16 heads, one K/V head, every dim 1. */
static void test_huge_refused_before_computing(void **state)
{
	(void)state;
	KvError err;
	kv_error_clear(&err);
	Model *m = model_load_file(KV_TEST_DIR "/data/huge.ini", &err);
	assert_non_null(m);
	RunConfig cfg = run_config_default(m);
	assert_int_equal(cfg.prompt_n + cfg.generate, 1024);
	RunEstimate e = estimate_run(m, cfg.prompt_n, 1024);
	/* no cache: 16·16 heads · (1+1) MACs · Σ_t t(t+1)/2 dominate */
	assert_true(e.macs_total > 9.1e10 && e.macs_total < 9.4e10);
	Trace *t = run_trace(m, &cfg, &err);
	assert_null(t);
	assert_int_equal(err.code, EX_DATAERR);
	assert_non_null(strstr(err.msg, "huge.ini: this run needs about 9.3e+10 multiply-adds, 4.6e+10 attention scores and 4.5 GiB of trace; the limits are 2.0e+10, 1.0e+09 and 1.0 GiB"));
	model_free(m);
}

static bool stop_at_half(void *ctx, uint64_t done, uint64_t total)
{
	uint64_t *last = ctx;
	assert_true(done > *last && done <= total);
	*last = done;
	return done < total / 2;
}

static bool count_all(void *ctx, uint64_t done, uint64_t total)
{
	uint64_t *last = ctx;
	assert_true(done > *last && done <= total);
	*last = done;
	return true;
}

static void test_progress_and_stop(void **state)
{
	(void)state;
	Model *m = model_load_named("gqa", NULL);
	RunConfig cfg = run_config_default(m);
	cfg.generate = 30;
	uint64_t last = 0;
	cfg.progress = (RunProgress){ .step = count_all, .ctx = &last };
	KvError err;
	kv_error_clear(&err);
	Trace *t = run_trace(m, &cfg, &err);
	assert_non_null(t);
	assert_int_equal(last, estimate_run(m, cfg.prompt_n, 33).macs_total);
	trace_free(t);
	last = 0;
	cfg.progress = (RunProgress){ .step = stop_at_half, .ctx = &last };
	assert_null(run_trace(m, &cfg, &err));
	assert_int_equal(err.code, EX_TEMPFAIL);
	model_free(m);
}

static uint64_t lines_of(const Trace *t, const ExportFilter *f, bool counters)
{
	FILE *fp = tmpfile();
	assert_non_null(fp);
	KvError err;
	kv_error_clear(&err);
	assert_int_equal(counters ? csv_write_counters(fp, t, f, &err)
				  : csv_write_trace(fp, t, f, &err), 0);
	rewind(fp);
	uint64_t n = 0;
	int c;
	while ((c = getc(fp)) != EOF)
		n += c == '\n';
	fclose(fp);
	return n - 1; /* the header */
}

static void test_export_rows_closed_form(void **state)
{
	(void)state;
	const ExportFilter filters[] = {
		{ 0 },
		{ .modes = 1u << MODE_CACHE },
		{ .step_lo = 3, .step_hi = 7 },
		{ .matrices = (1u << MAT_S) | (1u << MAT_K) | (1u << MAT_LOGITS) },
		{ .blank = true },
		{ .blank = true, .masked = true },
		{ .blank = true, .modes = 1u << MODE_PREFILL, .step_lo = 5,
		  .step_hi = 5 },
	};
	for (size_t i = 0; i < sizeof bundled / sizeof *bundled; i++) {
		Model *m = model_load_named(bundled[i], NULL);
		Trace *t = run_of(m, 3, 9);
		for (size_t k = 0; k < sizeof filters / sizeof *filters; k++) {
			assert_int_equal(estimate_export_rows(t, &filters[k]),
					 lines_of(t, &filters[k], false));
			assert_int_equal(estimate_counter_rows(t, &filters[k]),
					 lines_of(t, &filters[k], true));
		}
		trace_free(t);
		model_free(m);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_estimate_equals_counters),
		cmocka_unit_test(test_estimate_random_windows),
		cmocka_unit_test(test_estimate_tiled),
		cmocka_unit_test(test_tile_states_closed_form),
		cmocka_unit_test(test_huge_refused_before_computing),
		cmocka_unit_test(test_progress_and_stop),
		cmocka_unit_test(test_export_rows_closed_form),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
