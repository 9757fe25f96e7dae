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
		cmocka_unit_test(test_huge_refused_before_computing),
		cmocka_unit_test(test_progress_and_stop),
		cmocka_unit_test(test_export_rows_closed_form),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
