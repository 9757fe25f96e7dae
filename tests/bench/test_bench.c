/*
 * `kvstep bench`, the parts that do not depend on timing: the line format,
 * MAC ratios against their closed form, bit-identical modes on the bench's
 * random models, and the no-trace path against the traced one.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "bench.h"
#include "engine.h"
#include "model.h"
#include "run.h"
#include "trace.h"

static void test_line_format(void **state)
{
	(void)state;
	BenchRow r = { .T = 2048, .nocache_ms = 1234.5678, .cache_ms = 1.23456,
		       .prefill_ms = 1200.25, .mac_ratio = 1003.456,
		       .time_ratio = 999.5, .gflops = 3.456 };
	char line[256];
	bench_format_line(line, sizeof line, &r);
	assert_string_equal(line,
			    "T=2048 nocache_ms=1234.568 cache_ms=1.2346 prefill_ms=1200.250 mac_ratio=1003.46 time_ratio=999.50 gflops=3.46");
}

/* Closed forms worked by hand for a tiny config, then measured MACs. */
static void test_mac_ratio_closed_form(void **state)
{
	(void)state;
	BenchConfig c = { .d_model = 8, .d_head = 2, .heads = 4, .kv_heads = 2,
			  .layers = 2, .vocab = 5, .repeats = 1, .n_tokens = 2,
			  .tokens = { 3, 6 } };
	/* per layer and column: 8·(4·2 + 2·2·2) + 8·4·2 = 128 + 64 = 192;
	 * cached step at T: 2·(192 + 4·2·2·T) + 5·8 */
	assert_int_equal(bench_cache_step_macs(&c, 6), 2 * (192 + 16 * 6) + 40);
	/* no cache over 1..T: 2·(T·192 + 16·T(T+1)/2) + 40 */
	assert_int_equal(bench_nocache_pass_macs(&c, 6),
			 2 * (6 * 192 + 16 * 21) + 40);
	BenchRow rows[2];
	KvError err;
	kv_error_clear(&err);
	assert_int_equal(bench_measure(&c, rows, &err), 0);
	for (int i = 0; i < 2; i++) {
		int T = c.tokens[i];
		assert_int_equal(rows[i].T, T);
		assert_int_equal(rows[i].cache_macs, bench_cache_step_macs(&c, T));
		assert_int_equal(rows[i].nocache_macs,
				 bench_nocache_pass_macs(&c, T));
		assert_int_equal(rows[i].prefill_macs, rows[i].nocache_macs);
		assert_true(rows[i].mac_ratio ==
			    (double)bench_nocache_pass_macs(&c, T) /
				    (double)bench_cache_step_macs(&c, T));
	}
}

static Model *bench_model(int T)
{
	ModelShape s = { .d_model = 64, .d_k = 16, .d_v = 16, .vocab = 32,
			 .n_layers = 2, .n_heads = 4, .n_kv_heads = 2,
			 .prompt_n = 8, .positions = T };
	Model *m = model_random(&s, 7, NULL);
	assert_non_null(m);
	return m;
}

/* The bench's kind of model runs bit-identically in the three modes. */
static void test_bench_models_identical(void **state)
{
	(void)state;
	Model *m = bench_model(48);
	KvError err;
	kv_error_clear(&err);
	RunConfig cfg = run_config_default(m);
	Trace *t = run_trace(m, &cfg, &err);
	assert_non_null(t);
	assert_int_equal(trace_mismatches(t), 0);
	trace_free(t);
	model_free(m);
}

/* The no-trace path (sink NULL) gives the traced path's logits, bit for bit. */
static void test_untraced_matches_traced(void **state)
{
	(void)state;
	Model *m = bench_model(24);
	KvError err;
	kv_error_clear(&err);
	RunConfig cfg = run_config_default(m);
	Trace *t = run_trace(m, &cfg, &err);
	assert_non_null(t);
	Engine *e = engine_new(m, 24, true, 4, &err);
	int tokens[24];
	for (int p = 1; p <= 24; p++)
		tokens[p - 1] = trace_token(t, p);
	for (int p = 1; p <= 24; p++) {
		Counters c;
		PassInfo info;
		engine_pass(e, tokens, p, p, NULL, &c, &info);
		for (int v = 1; v <= m->vocab_n; v++) {
			double traced;
			assert_true(trace_value(t, MAT_LOGITS, v, p, &traced));
			assert_memory_equal(&engine_logits(e)[v - 1], &traced,
					    sizeof traced);
		}
	}
	engine_free(e);
	trace_free(t);
	model_free(m);
}

static void test_parse(void **state)
{
	(void)state;
	BenchConfig c;
	KvError err;
	kv_error_clear(&err);
	char w0[] = "bench", w1[] = "--quick", w2[] = "--tokens", w3[] = "100,50";
	char w4[] = "--heads", w5[] = "6", w6[] = "--kv-heads", w7[] = "4";
	char *a[] = { w0, w1, NULL };
	assert_int_equal(bench_parse(2, a, &c, stdout, &err), 0);
	assert_int_equal(c.n_tokens, 3);
	assert_int_equal(c.tokens[2], 256);
	assert_int_equal(c.kv_heads, 8);
	char *b[] = { w0, w2, w3, NULL };
	assert_int_equal(bench_parse(3, b, &c, stdout, &err), 64);
	assert_string_equal(err.msg, "bench: --tokens must rise, got 50 after 100");
	kv_error_clear(&err);
	char *d[] = { w0, w4, w5, w6, w7, NULL };
	assert_int_equal(bench_parse(5, d, &c, stdout, &err), 64);
	assert_string_equal(err.msg,
			    "bench: --heads 6 is not a multiple of --kv-heads 4");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_line_format),
		cmocka_unit_test(test_mac_ratio_closed_form),
		cmocka_unit_test(test_bench_models_identical),
		cmocka_unit_test(test_untraced_matches_traced),
		cmocka_unit_test(test_parse),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
