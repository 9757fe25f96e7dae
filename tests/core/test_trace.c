/*
 * The trace keyed by producer: a second producer keeps its own numbers for
 * the same cell and is never a mismatch; the same producer writing other
 * bits is one; the teaching modes are one producer and agree bit for bit
 * (memcmp); a teaching run holds exactly one value plane.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "engine.h"
#include "model.h"
#include "run.h"
#include "schedule.h"
#include "trace.h"

static Model *load(const char *name)
{
	KvError err = { 0 };
	Model *m = model_load_named(name, &err);
	assert_non_null(m);
	return m;
}

/* Writes column `col` of X (layer 1, head 1) through `sink`. */
static void put_x(const EngineSink *sink, int col, const double *v, int n)
{
	sink->column(sink->ctx, 1, MAT_X, 1, 1, col, 1, v, n);
}

static void test_producer_ids(void **state)
{
	(void)state;
	for (int p = 0; p < PRODUCER_COUNT; p++) {
		Producer id = (Producer)p;
		assert_int_equal(producer_make(producer_model(id),
					       producer_kernel(id)), id);
	}
	assert_int_equal(producer_make(PRODUCER_MODEL_TARGET,
				       PRODUCER_KERNEL_STANDARD),
			 PRODUCER_TARGET_STANDARD);
	assert_int_equal(producer_make(PRODUCER_MODEL_DRAFT,
				       PRODUCER_KERNEL_TILED),
			 PRODUCER_DRAFT_TILED);
	assert_string_equal(producer_name(PRODUCER_TARGET_TILED),
			    "target/tiled");
	assert_string_equal(producer_name(PRODUCER_COUNT), "?");
	for (int mode = 0; mode < MODE_COUNT; mode++)
		assert_int_equal(trace_mode_producer((Mode)mode),
				 PRODUCER_TARGET_STANDARD);
}

/* Two producers, the same cell, different bits: both kept, no mismatch. */
static void test_second_producer_keeps_its_numbers(void **state)
{
	(void)state;
	Model *m = load("default");
	int dm = m->d_model;
	Trace *t = trace_new(m, 3, 0, NULL);
	assert_non_null(t);
	assert_false(trace_has_producer(t, PRODUCER_TARGET_STANDARD));
	size_t empty = trace_memory(t);

	double a[16], b[16], got;
	for (int r = 0; r < dm; r++) {
		a[r] = 0.1 * (r + 1);
		b[r] = nextafter(a[r], 1.0); /* a tiled kernel's rounding */
	}
	EngineSink std = trace_sink(t);
	EngineSink tiled = trace_sink_for(t, PRODUCER_TARGET_TILED);
	put_x(&std, 2, a, dm);
	size_t one = trace_memory(t);
	put_x(&tiled, 2, b, dm);
	size_t two = trace_memory(t);

	assert_true(trace_has_producer(t, PRODUCER_TARGET_STANDARD));
	assert_true(trace_has_producer(t, PRODUCER_TARGET_TILED));
	assert_false(trace_has_producer(t, PRODUCER_DRAFT_STANDARD));
	for (int r = 1; r <= dm; r++) {
		assert_true(trace_value_at(t, 1, 1, MAT_X, r, 2, &got));
		assert_memory_equal(&got, &a[r - 1], sizeof got);
		assert_true(trace_value_of(t, PRODUCER_TARGET_STANDARD, 1, 1,
					   MAT_X, r, 2, &got));
		assert_memory_equal(&got, &a[r - 1], sizeof got);
		assert_true(trace_value_of(t, PRODUCER_TARGET_TILED, 1, 1,
					   MAT_X, r, 2, &got));
		assert_memory_equal(&got, &b[r - 1], sizeof got);
		assert_false(trace_value_of(t, PRODUCER_DRAFT_STANDARD, 1, 1,
					    MAT_X, r, 2, &got));
	}
	/* a cell only the tiled kernel wrote is not the teaching modes' */
	put_x(&tiled, 3, b, dm);
	assert_false(trace_value_at(t, 1, 1, MAT_X, 1, 3, &got));
	assert_true(trace_value_of(t, PRODUCER_TARGET_TILED, 1, 1, MAT_X, 1,
				   3, &got));
	assert_int_equal(trace_mismatches(t), 0);
	assert_false(trace_values_lost(t));
	/* every plane costs the same, allocated when its producer writes */
	assert_true(one > empty);
	assert_int_equal(two - one, one - empty);
	trace_free(t);
	model_free(m);
}

/* The same producer writing other bits is a mismatch, one per cell, and
 * the first value stays. */
static void test_same_producer_mismatch(void **state)
{
	(void)state;
	Model *m = load("default");
	Trace *t = trace_new(m, 3, 0, NULL);
	assert_non_null(t);
	double a[4] = { 1.0, 2.0, 3.0, 4.0 }, b[4] = { 1.0, 2.5, 3.0, -4.0 };
	double zero[4] = { 0.0 }, negzero[4] = { -0.0 }, got;
	EngineSink tiled = trace_sink_for(t, PRODUCER_TARGET_TILED);
	EngineSink std = trace_sink(t);
	put_x(&std, 1, a, 4);
	put_x(&std, 1, a, 4); /* a second mode, the same bits */
	assert_int_equal(trace_mismatches(t), 0);
	put_x(&std, 1, b, 4); /* rows 2 and 4 differ */
	assert_int_equal(trace_mismatches(t), 2);
	assert_true(trace_value_at(t, 1, 1, MAT_X, 2, 1, &got));
	assert_memory_equal(&got, &a[1], sizeof got);
	/* bits, not tolerance: 0.0 and -0.0 compare equal but differ */
	put_x(&tiled, 1, zero, 1);
	put_x(&tiled, 1, negzero, 1);
	assert_int_equal(trace_mismatches(t), 3);
	trace_free(t);
	model_free(m);
}

/* Writes that fit no cell are dropped and reported, never stored. */
static void test_bad_writes(void **state)
{
	(void)state;
	Model *m = load("default");
	Trace *t = trace_new(m, 3, 0, NULL);
	assert_non_null(t);
	KvError err = { 0 };
	double v[16] = { 0 }, got;
	assert_int_equal(trace_reserve(t, PRODUCER_COUNT, &err), EX_USAGE);
	assert_int_equal(trace_reserve(t, PRODUCER_DRAFT_STANDARD, &err), 0);
	assert_true(trace_has_producer(t, PRODUCER_DRAFT_STANDARD));
	assert_null(trace_sink_for(t, PRODUCER_COUNT).column);
	assert_false(trace_value_of(t, PRODUCER_COUNT, 1, 1, MAT_X, 1, 1,
				    &got));
	EngineSink draft = trace_sink_for(t, PRODUCER_DRAFT_STANDARD);
	put_x(&draft, 4, v, 1); /* T = 3 */
	assert_int_equal(trace_misfits(t), 1);
	assert_false(trace_values_lost(t));
	Trace *u = trace_new(m, 3, 0, NULL);
	assert_non_null(u);
	EngineSink s = trace_sink(u);
	put_x(&s, 1, v, m->d_model + 1); /* one row too many */
	s.column(s.ctx, 1, MAT_H, 1, 1, 1, 1, v, 1); /* no H in a classic model */
	assert_int_equal(trace_misfits(u), 2);
	assert_int_equal(trace_mismatches(u), 0);
	assert_false(trace_value_at(u, 1, 1, MAT_X, 1, 1, &got));
	trace_free(u);
	trace_free(t);
	model_free(m);
}

/* The cells of `mat` in two planes, compared with memcmp; returns how
 * many hold a value. */
static long matrix_equal(const Trace *t, Producer p1, Producer p2, Matrix mat)
{
	long n = 0;
	double x, y;
	int rows = trace_matrix_rows(t, mat), heads = trace_heads(t, mat);
	for (int l = 1; l <= trace_layers(t); l++)
		for (int h = 1; h <= heads; h++)
			for (int c = 1; c <= trace_steps(t); c++)
				for (int r = 1; r <= rows; r++) {
					bool a = trace_value_of(t, p1, l, h, mat,
								r, c, &x);
					bool b = trace_value_of(t, p2, l, h, mat,
								r, c, &y);
					assert_int_equal(a, b);
					if (a)
						assert_memory_equal(&x, &y, sizeof x);
					n += a;
				}
	return n;
}

/* Every cell of two planes; returns how many hold a value. */
static long planes_equal(const Trace *t, Producer p1, Producer p2)
{
	long n = 0;
	for (int mat = 0; mat < MAT_COUNT; mat++)
		n += matrix_equal(t, p1, p2, (Matrix)mat);
	return n;
}

/*
 * The teaching modes as one producer: the run records no mismatch and one
 * plane. Then the no-cache mode's engine writes the standard plane and the
 * cache mode's engine a second plane (as if another producer), and every
 * cell of both is the same bits.
 */
static void test_teaching_modes_bit_identical(void **state)
{
	(void)state;
	const char *names[] = { "default", "gqa", "local-global",
				"streaming" };
	for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
		Model *m = load(names[i]);
		RunConfig cfg = run_config_default(m);
		KvError err = { 0 };
		Trace *run = run_trace(m, &cfg, &err);
		assert_non_null(run);
		assert_int_equal(trace_mismatches(run), 0);
		assert_false(trace_values_lost(run));
		assert_int_equal(trace_misfits(run), 0);
		for (int p = 0; p < PRODUCER_COUNT; p++)
			assert_int_equal(trace_has_producer(run, (Producer)p),
					 p == PRODUCER_TARGET_STANDARD);

		int T = cfg.prompt_n + cfg.generate;
		Trace *t = trace_new(m, cfg.prompt_n, cfg.generate, &err);
		assert_non_null(t);
		const Mode modes[2] = { MODE_NOCACHE, MODE_CACHE };
		const Producer as[2] = { PRODUCER_TARGET_STANDARD,
					 PRODUCER_TARGET_TILED };
		int *tokens = calloc((size_t)T, sizeof *tokens);
		assert_non_null(tokens);
		for (int j = 0; j < T; j++)
			tokens[j] = trace_token(run, j + 1);
		for (int k = 0; k < 2; k++) {
			Engine *e = engine_new(m, T, modes[k] != MODE_NOCACHE, 4,
					       &err);
			assert_non_null(e);
			EngineSink sink = trace_sink_for(t, as[k]);
			for (int step = 1; step <= T; step++) {
				SchedulePass pass;
				Counters c;
				PassInfo info[SCHEDULE_MAX_CHUNKS];
				trace_begin_pass(t, modes[k], modes[k] != MODE_NOCACHE);
				if (schedule_teaching(modes[k], step, cfg.prompt_n,
						      tokens, &pass))
					assert_int_equal(engine_run(e, pass.chunk, pass.n,
								    &sink, &c, info,
								    &err), 0);
			}
			engine_free(e);
		}
		assert_int_equal(trace_mismatches(t), 0);
		long n = planes_equal(t, PRODUCER_TARGET_STANDARD,
				      PRODUCER_TARGET_TILED);
		assert_true(n > 0);
		/* and the run's plane holds the same bits */
		double x, y;
		for (int c = 1; c <= T; c++)
			for (int r = 1; r <= m->vocab_n; r++) {
				assert_true(trace_value_at(run, 1, 1, MAT_LOGITS, r, c, &x));
				assert_true(trace_value_of(t, PRODUCER_TARGET_TILED, 1, 1,
							   MAT_LOGITS, r, c, &y));
				assert_memory_equal(&x, &y, sizeof x);
			}
		free(tokens);
		trace_free(t);
		trace_free(run);
		model_free(m);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_producer_ids),
		cmocka_unit_test(test_second_producer_keeps_its_numbers),
		cmocka_unit_test(test_same_producer_mismatch),
		cmocka_unit_test(test_bad_writes),
		cmocka_unit_test(test_teaching_modes_bit_identical),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
