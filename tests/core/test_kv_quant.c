/*
 * The quantised KV cache (kv_quant.h, --kv-quant): the arithmetic by hand,
 * then whole runs checked against a direct computation written here, apart
 * from kv_quant.c.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "kv_quant.h"
#include "model.h"
#include "run.h"
#include "trace.h"

/* ---- the arithmetic ---- */

static void test_group_by_hand(void **state)
{
	(void)state;
	/* min 0.1, max 0.5, 4 bits: scale 0.4/15; (0.35−0.1)/scale = 9.375 */
	double x[3] = { 0.1, 0.5, 0.35 };
	KvQuantCell c[3];
	kv_quant_group(x, 3, 1, 4, c);
	double scale = (0.5 - 0.1) / 15.0;
	for (int i = 0; i < 3; i++) {
		assert_true(c[i].min == 0.1);
		assert_true(c[i].scale == scale);
	}
	assert_int_equal(c[0].code, 0);
	assert_int_equal(c[1].code, 15);
	assert_int_equal(c[2].code, 9);
	assert_true(x[0] == 0.1);
	assert_true(x[1] == 0.1 + 15.0 * scale);
	assert_true(x[2] == 0.1 + 9.0 * scale);
	assert_true(fabs(x[2] - 0.34) < 1e-15);
}

static void test_half_rounds_away_from_zero(void **state)
{
	(void)state;
	/* 0..15 with 4 bits: scale 1; 2.5 → 3 (C's round), not 2 (even) */
	double x[3] = { 0.0, 15.0, 2.5 };
	KvQuantCell c[3];
	kv_quant_group(x, 3, 1, 4, c);
	assert_true(c[0].scale == 1.0);
	assert_int_equal(c[2].code, 3);
	assert_true(x[2] == 3.0);
}

static void test_constant_group_is_exact(void **state)
{
	(void)state;
	double x[4] = { -0.3, -0.3, -0.3, -0.3 };
	KvQuantCell c[4];
	kv_quant_group(x, 4, 1, 8, c);
	for (int i = 0; i < 4; i++) {
		assert_true(c[i].scale == 0.0);
		assert_int_equal(c[i].code, 0);
		assert_true(x[i] == -0.3);
	}
}

static void test_stride_reads_a_row(void **state)
{
	(void)state;
	/* two columns of 3 rows, position-major: row 2 is x[1], x[4] */
	double x[6] = { 9, 1.0, 9, 9, 2.0, 9 };
	KvQuantCell c[2];
	kv_quant_group(x + 1, 2, 3, 8, c);
	assert_true(c[0].min == 1.0 && c[0].scale == 1.0 / 255.0);
	assert_int_equal(c[1].code, 255);
	assert_true(x[0] == 9 && x[2] == 9 && x[3] == 9 && x[5] == 9);
}

static void test_due_and_count(void **state)
{
	(void)state;
	KvQuant off = { 0 };
	int lo, hi;
	assert_false(kv_quant_due(&off, 4, &lo, &hi));
	assert_int_equal(kv_quant_count(&off, 9), 0);
	for (int G = 1; G <= 4; G++)
		for (int R = G; R <= G + 3; R++) {
			KvQuant q = { .bits = 4, .group = G, .residual = R };
			int done = 0; /* positions quantised so far */
			for (int len = 1; len <= 20; len++) {
				/* group g is due at len = g·G + R − G */
				bool due = len >= R && (len - R) % G == 0;
				assert_int_equal(kv_quant_due(&q, len, &lo, &hi),
						 due);
				if (due) {
					assert_int_equal(lo, done + 1);
					assert_int_equal(hi, done + G);
					done += G;
				}
				assert_int_equal(kv_quant_count(&q, len), done);
				int full = len - done;
				/* the residual: R−G .. R−1 newest positions */
				if (len >= R) {
					assert_true(full >= R - G);
					assert_true(full <= R - 1);
				}
				for (int p = 1; p <= len; p++)
					assert_int_equal(
						kv_quant_is_quantised(&q, p, len),
						p <= done);
			}
		}
}

static void test_bits_closed_form(void **state)
{
	(void)state;
	/* G = 2, R = 3, len 7: groups due at 3, 5, 7: 6 quantised, 1 full */
	KvQuant q = { .bits = 4, .group = 2, .residual = 3 };
	int dk = 4, dv = 6, e = 4;
	uint64_t want = 6 * (4 + 6) * 4 +          /* codes */
			(3 * 2 * 4 + 2 * 6) * 32 + /* K: 3 groups, V: 6 */
			1 * (4 + 6) * 32;          /* the residual */
	assert_int_equal(kv_quant_bits(&q, 1, 7, dk, dv, e), want);
	/* a window evicted 1..2: lo = 3, 4 quantised in 2 groups */
	want = 4 * 10 * 4 + (2 * 2 * 4 + 2 * 4) * 32 + 1 * 10 * 32;
	assert_int_equal(kv_quant_bits(&q, 3, 7, dk, dv, e), want);
	/* lo = 4 cuts group 2 (3..4) in half: it still needs its scales */
	want = 3 * 10 * 4 + (2 * 2 * 4 + 2 * 3) * 32 + 1 * 10 * 32;
	assert_int_equal(kv_quant_bits(&q, 4, 7, dk, dv, e), want);
	/* int8, nothing quantised yet (len 2 < R) */
	q.bits = 8;
	assert_int_equal(kv_quant_bits(&q, 1, 2, dk, dv, 2), 2 * 10 * 16);
	KvQuant off = { 0 };
	assert_int_equal(kv_quant_bits(&off, 1, 7, dk, dv, 4), 7 * 10 * 32);
	assert_int_equal(kv_quant_bytes(12), 2);
	assert_int_equal(kv_quant_bytes(16), 2);
	int b;
	assert_true(kv_quant_parse_bits("int8", &b) && b == 8);
	assert_true(kv_quant_parse_bits("int4", &b) && b == 4);
	assert_false(kv_quant_parse_bits("int3", &b));
	assert_false(kv_quant_parse_bits("", &b));
}

/* ---- whole runs ---- */

static Model *model_of(unsigned seed, int layers, int positions)
{
	ModelShape s = { .d_model = 5, .d_k = 4, .d_v = 6, .vocab = 7,
			 .n_layers = layers, .n_heads = layers ? 2 : 0,
			 .n_kv_heads = layers ? 1 : 0, .prompt_n = 4,
			 .positions = positions, .with_positions = true };
	Model *m = model_random(&s, seed, NULL);
	assert_non_null(m);
	return m;
}

static Trace *run_of(const Model *m, int N, const KvQuant *q)
{
	RunConfig cfg = run_config_default(m);
	cfg.generate = N;
	if (q)
		cfg.quant = *q;
	KvError err = { 0 };
	Trace *t = run_trace(m, &cfg, &err);
	if (!t)
		fail_msg("run_trace: %s", err.msg);
	return t;
}

/* What the cache should read back for cell (r, c) after `len` positions:
 * computed here from the exact K (V) of the quantised producer. */
static double direct(const Trace *t, const KvQuant *q, Matrix exact, int l,
		     int h, int r, int c, int len)
{
	double x;
	assert_true(trace_value_of(t, PRODUCER_TARGET_QUANT, l, h, exact, r,
				   c, &x));
	if (c > kv_quant_count(q, len))
		return x; /* the residual: exact */
	int lo = c, hi = c, rows = trace_matrix_rows(t, exact);
	if (exact == MAT_K) { /* a row over the G positions of c's group */
		lo = (c - 1) / q->group * q->group + 1;
		hi = lo + q->group - 1;
	}
	double mn = INFINITY, mx = -INFINITY, v;
	for (int cc = lo; cc <= hi; cc++)
		for (int rr = 1; rr <= rows; rr++) {
			if (exact == MAT_K && rr != r)
				continue;
			assert_true(trace_value_of(t, PRODUCER_TARGET_QUANT, l,
						   h, exact, rr, cc, &v));
			mn = fmin(mn, v);
			mx = fmax(mx, v);
		}
	double scale = (mx - mn) / (double)((1 << q->bits) - 1);
	if (scale == 0)
		return mn;
	return mn + round((x - mn) / scale) * scale;
}

/* Every Kq and Vq cell both cache modes hold, every step. */
static void assert_direct(const Trace *t, const KvQuant *q)
{
	const Model *m = trace_model(t);
	static const Matrix mats[2][2] = { { MAT_KQ, MAT_K },
					   { MAT_VQ, MAT_V } };
	for (int step = 1; step <= trace_steps(t); step++)
		for (int mode = MODE_CACHE; mode < MODE_COUNT; mode++) {
			int len = trace_step(t, step, (Mode)mode)->info.hi;
			for (int k = 0; k < 2; k++) {
				Matrix mq = mats[k][0], mx = mats[k][1];
				int rows = trace_matrix_rows(t, mx);
				for (int l = 1; l <= m->n_layers; l++)
					for (int h = 1; h <= m->n_kv_heads; h++)
						for (int c = 1; c <= len; c++)
							for (int r = 1; r <= rows; r++) {
								double got, want = direct(t, q, mx, l, h, r, c, len);
								assert_true(trace_value_in(t, step, (Mode)mode, l, h, mq, r, c, &got));
								assert_memory_equal(&got, &want, sizeof got);
								assert_int_equal(trace_quantised_at(t, step, (Mode)mode, c), c <= kv_quant_count(q, len));
							}
			}
		}
}

static void test_runs_match_direct(void **state)
{
	(void)state;
	for (int layers = 0; layers <= 2; layers += 2) {
		Model *m = model_of(11u + (unsigned)layers, layers, 12);
		for (int G = 1; G <= 4; G++)
			for (int bits = 4; bits <= 8; bits += 4)
				for (int extra = 0; extra <= 1; extra++) {
					KvQuant q = { .bits = bits, .group = G,
						      .residual = G + extra };
					Trace *t = run_of(m, 8, &q);
					assert_int_equal(trace_mismatches(t), 0);
					assert_direct(t, &q);
					trace_free(t);
				}
		model_free(m);
	}
}

/* Scores of the cache mode come from Kq: S[i][t] = Kq_i·q_t·scale. */
static void test_scores_read_kq(void **state)
{
	(void)state;
	Model *m = model_of(5, 0, 10);
	KvQuant q = { .bits = 4, .group = 3, .residual = 3 };
	Trace *t = run_of(m, 6, &q);
	double worst = 0;
	for (int step = 1; step <= trace_steps(t); step++)
		for (int i = 1; i <= step; i++) {
			double s = 0, k, qq, got;
			for (int r = 1; r <= m->d_k; r++) {
				assert_true(trace_value_in(t, step, MODE_CACHE, 1, 1, MAT_KQ, r, i, &k));
				assert_true(trace_value_in(t, step, MODE_CACHE, 1, 1, MAT_Q, r, step, &qq));
				s += k * qq;
			}
			s *= m->scale;
			assert_true(trace_value_in(t, step, MODE_CACHE, 1, 1,
						   MAT_S, i, step, &got));
			worst = fmax(worst, fabs(got - s));
		}
	assert_true(worst < 1e-12);
	/* and they differ from the exact scores somewhere */
	const TraceQuantErr *run = trace_quant_err(t, 0);
	assert_non_null(run);
	assert_true(run->max[QERR_K] > 0);
	assert_true(run->max[QERR_S] > 0);
	trace_free(t);
	model_free(m);
}

/* Bits compared one by one: the no-cache mode of a quantised run is the
 * run without --kv-quant, and the drift is measured against it. */
static void test_nocache_unchanged(void **state)
{
	(void)state;
	Model *m = model_of(7, 2, 12);
	KvQuant q = { .bits = 4, .group = 2, .residual = 2 };
	Trace *a = run_of(m, 8, NULL), *b = run_of(m, 8, &q);
	assert_null(trace_quant_err(a, 0));
	assert_false(trace_has_producer(a, PRODUCER_TARGET_QUANT));
	for (int step = 1; step <= trace_steps(a); step++) {
		assert_int_equal(trace_token(a, step), trace_token(b, step));
		const TraceStep *sa = trace_step(a, step, MODE_NOCACHE);
		const TraceStep *sb = trace_step(b, step, MODE_NOCACHE);
		assert_memory_equal(sa, sb, sizeof *sa);
		/* the drift at this step, recomputed from the two planes */
		double worst = 0, x, y;
		for (int r = 1; r <= m->vocab_n; r++) {
			assert_true(trace_value_in(b, step, MODE_NOCACHE, 1, 1, MAT_LOGITS, r, step, &x));
			assert_true(trace_value_in(b, step, MODE_CACHE, 1, 1, MAT_LOGITS, r, step, &y));
			worst = fmax(worst, fabs(x - y));
		}
		const TraceQuantErr *e = trace_quant_err(b, step);
		assert_true(e->max[QERR_LOGITS] == worst);
		assert_int_equal(e->exact_token, sa->chosen);
		assert_int_equal(e->quant_token,
				 trace_step(b, step, MODE_CACHE)->chosen);
	}
	for (int mat = 0; mat < MAT_KQ; mat++)
		for (int l = 1; l <= m->n_layers; l++)
			for (int h = 1; h <= trace_heads(a, (Matrix)mat); h++)
				for (int c = 1; c <= trace_steps(a); c++)
					for (int r = 1; r <= trace_matrix_rows(a, (Matrix)mat); r++) {
						double x, y;
						bool hx = trace_value_of(a, PRODUCER_TARGET_STANDARD, l, h, (Matrix)mat, r, c, &x);
						bool hy = trace_value_of(b, PRODUCER_TARGET_STANDARD, l, h, (Matrix)mat, r, c, &y);
						assert_int_equal(hx, hy);
						if (hx)
							assert_memory_equal(&x, &y, sizeof x);
					}
	trace_free(a);
	trace_free(b);
	model_free(m);
}

/* cache_bytes of both cache modes: the closed form over layers and heads. */
static void test_cache_bytes(void **state)
{
	(void)state;
	Model *m = model_of(3, 2, 12);
	for (int G = 1; G <= 4; G++) {
		KvQuant q = { .bits = G % 2 ? 4 : 8, .group = G,
			      .residual = G + 1 };
		Trace *t = run_of(m, 8, &q);
		for (int step = 1; step <= trace_steps(t); step++)
			for (int mode = MODE_CACHE; mode < MODE_COUNT; mode++) {
				const TraceStep *s = trace_step(t, step, (Mode)mode);
				uint64_t bits = (uint64_t)m->n_kv_heads *
						kv_quant_bits(&q, 1, s->info.hi,
							      m->d_k, m->d_v, 4);
				assert_int_equal(s->pass_c.cache_bytes,
						 (uint64_t)m->n_layers *
							 kv_quant_bytes(bits));
			}
		trace_free(t);
	}
	model_free(m);
}

static void test_bad_settings(void **state)
{
	(void)state;
	Model *m = model_of(1, 0, 10);
	RunConfig cfg = run_config_default(m);
	const KvQuant bad[] = {
		{ .bits = 3, .group = 2, .residual = 2 },
		{ .bits = 8, .group = 0, .residual = 2 },
		{ .bits = 8, .group = 65, .residual = 65 },
		{ .bits = 8, .group = 3, .residual = 2 },
	};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		cfg.quant = bad[i];
		KvError err = { 0 };
		assert_int_equal(run_config_check(m, &cfg, &err), EX_USAGE);
	}
	cfg.quant = (KvQuant){ .bits = 8, .group = 2, .residual = 2 };
	cfg.tiled = true;
	KvError err = { 0 };
	assert_int_equal(run_config_check(m, &cfg, &err), EX_USAGE);
	model_free(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_group_by_hand),
		cmocka_unit_test(test_half_rounds_away_from_zero),
		cmocka_unit_test(test_constant_group_is_exact),
		cmocka_unit_test(test_stride_reads_a_row),
		cmocka_unit_test(test_due_and_count),
		cmocka_unit_test(test_bits_closed_form),
		cmocka_unit_test(test_runs_match_direct),
		cmocka_unit_test(test_scores_read_kq),
		cmocka_unit_test(test_nocache_unchanged),
		cmocka_unit_test(test_cache_bytes),
		cmocka_unit_test(test_bad_settings),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
