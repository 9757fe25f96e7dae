/*
 * StreamingLLM's attention sinks (`sink_tokens`) end to end: the visible
 * keys against a direct computation, S, A and Z of tests/core/data/
 * pinned.ini by hand, the masked gap, the pinned cache columns, the tiled
 * kernel's tiles around the gap, and a sink logit on top.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model.h"
#include "run.h"
#include "trace.h"

/* Key i is visible to query j: causal, and pinned or in the window. */
static bool direct_visible(int i, int j, int w, int n)
{
	return i >= 1 && i <= j && (w == 0 || i > j - w || i <= n);
}

static void test_visible_direct(void **state)
{
	(void)state;
	for (int w = 0; w <= 5; w++)
		for (int n = 0; n <= 4; n++)
			for (int j = 1; j <= 20; j++) {
				int win = w, pin = w > 0 ? n : 0;
				Model m = { .n_layers = 1, .window = &win,
					    .sink_tokens = &pin };
				int np, lo, count = 0;
				model_visible(&m, 0, j, &np, &lo);
				/* the two runs, in rising order, are exactly
				 * the visible keys */
				for (int i = 1; i <= j; i++) {
					bool in = i <= np || i >= lo;
					assert_int_equal(in, direct_visible(i, j, w, pin));
					count += in;
				}
				assert_true(np == 0 || lo > np + 1);
				assert_int_equal(model_visible_upto(&m, 0, j, j), count);
				for (int u = 0; u <= j; u++) {
					int c = 0;
					for (int i = 1; i <= u; i++)
						c += direct_visible(i, j, w, pin);
					assert_int_equal(model_visible_upto(&m, 0, j, u), c);
				}
			}
}

static Model *load_pinned(const char *extra)
{
	char path[512];
	snprintf(path, sizeof path, "%s/data/pinned.ini", KV_TEST_DIR);
	FILE *f = fopen(path, "rb");
	assert_non_null(f);
	static char text[4096];
	size_t n = fread(text, 1, sizeof text - 1, f);
	fclose(f);
	text[n] = '\0';
	/* an extra [model] line goes right after the section header */
	static char edited[4200];
	char *at = strstr(text, "[model]\n");
	assert_non_null(at);
	at += strlen("[model]\n");
	snprintf(edited, sizeof edited, "%.*s%s%s", (int)(at - text), text,
		 extra, at);
	KvError err;
	kv_error_clear(&err);
	Model *m = model_parse("pinned.ini", edited, strlen(edited), &err);
	if (!m)
		fail_msg("%s", err.msg);
	return m;
}

static Trace *run_of(const Model *m, bool tiled, int tile, int split)
{
	KvError err;
	kv_error_clear(&err);
	RunConfig cfg = run_config_default(m);
	cfg.tiled = tiled;
	cfg.tile = tile;
	cfg.split = split;
	Trace *t = run_trace(m, &cfg, &err);
	if (!t)
		fail_msg("%s", err.msg);
	return t;
}

static char letter(CellStatus s)
{
	static const char l[CELL_STATUS_COUNT] = {
		[CELL_ABSENT] = '.', [CELL_COMPUTED] = 'c', [CELL_REUSED] = 'u',
		[CELL_RECOMPUTED] = 'r', [CELL_MASKED] = 'm',
		[CELL_EVICTED] = 'e',
	};
	return l[s];
}

/* Tokens a b c b c a, then 2 generated; q = 1 0 1 0 1 1, k = 0 1 1 1 1 0,
 * v = 1 1 2 1 2 1 for the prompt (q, k, v of a, b, c: 1 0 1, 0 1 1,
 * 1 1 2). Window 2, position 1 pinned. */
static void test_pinned_by_hand(void **state)
{
	(void)state;
	Model *m = load_pinned("");
	Trace *t = run_of(m, false, 0, 0);
	assert_int_equal(trace_steps(t), 8);
	assert_int_equal(trace_pinned(t, 1), 1);
	/* the gap: query j sees 1 and j-1..j; the others are masked */
	for (int j = 1; j <= 8; j++)
		for (int i = 1; i <= 8; i++)
			assert_int_equal(trace_key_visible(t, 1, i, j),
					 direct_visible(i, j, 2, 1));
	assert_int_equal(trace_first_key(t, 1, 6), 5);
	/* query 6 (a, q = 1) over keys 1 (a), 5 (c), 6 (a): s = 0, 1, 0 */
	double s, a, z, e = exp(1.0), d = 2 + e;
	static const int keys[3] = { 1, 5, 6 };
	static const double sv[3] = { 0, 1, 0 };
	for (int x = 0; x < 3; x++) {
		assert_true(trace_value(t, MAT_S, keys[x], 6, &s));
		assert_true(s == sv[x]);
		assert_true(trace_value(t, MAT_A, keys[x], 6, &a));
		assert_true(fabs(a - (x == 1 ? e : 1) / d) <= 2 * DBL_EPSILON);
	}
	for (int i = 2; i <= 4; i++) {
		assert_false(trace_value(t, MAT_S, i, 6, &s));
		assert_false(trace_value(t, MAT_A, i, 6, &a));
	}
	assert_true(trace_value(t, MAT_Z, 1, 6, &z));
	assert_true(fabs(z - (2 + 2 * e) / d) <= 4 * DBL_EPSILON);
	/* statuses: no-cache step 8 recomputes every column, the gap masked */
	char got[80], want[80];
	int n = 0, k = 0;
	for (int i = 1; i <= 8; i++)
		for (int j = 1; j <= 8; j++) {
			got[n++] = letter(trace_status(t, 8, MODE_NOCACHE, MAT_A, i, j));
			want[k++] = !direct_visible(i, j, 2, 1) ? 'm'
				    : j == 8		 ? 'c' : 'r';
		}
	got[n] = want[k] = '\0';
	assert_string_equal(got, want);
	/* the cache mode's step 8: one column, keys 1, 7, 8 */
	n = 0;
	for (int i = 1; i <= 8; i++)
		got[n++] = letter(trace_status(t, 8, MODE_CACHE, MAT_S, i, 8));
	got[n] = '\0';
	assert_string_equal(got, "cmmmmmcc");
	/* K: 1 held for good (reused), 2..6 evicted, 7 reused, 8 new */
	n = 0;
	for (int i = 1; i <= 8; i++)
		got[n++] = letter(trace_status(t, 8, MODE_CACHE, MAT_K, 1, i));
	got[n] = '\0';
	assert_string_equal(got, "ueeeeeuc");
	TraceKv kv;
	assert_true(trace_kv_at(t, 8, MODE_CACHE, 1, 1, &kv));
	assert_true(kv.pinned);
	assert_int_equal(kv.state, TRACE_KV_REUSED);
	assert_int_equal(kv.place.slot, 1);
	assert_int_equal(kv.written, 1);
	assert_true(trace_kv_at(t, 8, MODE_CACHE, 1, 2, &kv));
	assert_false(kv.pinned);
	assert_int_equal(kv.state, TRACE_KV_EVICTED);
	/* ring slots after the pinned one: 1 + (p-2) mod 2 + 1 */
	assert_true(trace_kv_at(t, 8, MODE_CACHE, 1, 7, &kv));
	assert_int_equal(kv.place.slot, 3);
	assert_true(trace_kv_at(t, 8, MODE_CACHE, 1, 8, &kv));
	assert_int_equal(kv.place.slot, 2);
	/* (1 + 2) columns × (1 + 1) cells */
	assert_int_equal(trace_step(t, 8, MODE_CACHE)->pass_c.cache_cells, 6);
	assert_int_equal(trace_step(t, 8, MODE_NOCACHE)->pass_c.cache_cells, 0);
	trace_free(t);
	model_free(m);
}

/* Key ranges of the tile states of query q (head 1, layer 1). */
static void tile_ranges(const Trace *t, int q, char *out, size_t size)
{
	const TraceTiles *tt = trace_tiles(t);
	size_t n = 0;
	out[0] = '\0';
	for (int i = 1; i <= trace_tiles_count(tt, 1, 1, q); i++) {
		TileState ts;
		assert_true(trace_tiles_get(tt, 1, 1, q, i, &ts));
		n += (size_t)snprintf(out + n, size - n, "%s%c%d-%d",
				      i > 1 ? " " : "",
				      ts.kind == TILE_MERGE ? 'M' : 't',
				      ts.key_lo, ts.key_hi);
	}
}

static void test_pinned_tiles(void **state)
{
	(void)state;
	Model *m = load_pinned("");
	Trace *std = run_of(m, false, 0, 0);
	char got[128];
	/* a tile stops at the gap: its keys are one run of positions */
	Trace *t = run_of(m, true, 2, 0);
	tile_ranges(t, 6, got, sizeof got);
	assert_string_equal(got, "t1-1 t5-6");
	tile_ranges(t, 3, got, sizeof got);
	assert_string_equal(got, "t1-2 t3-3");
	trace_free(t);
	t = run_of(m, true, 3, 0);
	tile_ranges(t, 8, got, sizeof got);
	assert_string_equal(got, "t1-1 t7-8");
	trace_free(t);
	/* split in 2 from the first decode position (7): part 1 is keys 1
	 * and 7 across the gap, part 2 is key 8 */
	t = run_of(m, true, 1, 2);
	tile_ranges(t, 8, got, sizeof got);
	assert_string_equal(got, "t1-1 t7-7 M1-7 t8-8 M8-8");
	/* z against the standard kernel, for every query: a few ulps */
	for (int B = 1; B <= 8; B++)
		for (int S = 1; S <= 3; S++) {
			Trace *u = run_of(m, true, B, S);
			for (int j = 1; j <= 8; j++) {
				double zs, zt;
				assert_true(trace_value_of(std, PRODUCER_TARGET_STANDARD,
							   1, 1, MAT_Z, 1, j, &zs));
				assert_true(trace_value_at(u, 1, 1, MAT_Z, 1, j, &zt));
				/* |Δz| ≤ 8·(n+2)·ε·max|v|, n ≤ 3, max|v| = 2 */
				assert_true(fabs(zs - zt) <= 8 * 5 * DBL_EPSILON * 2);
			}
			trace_free(u);
		}
	trace_free(t);
	trace_free(std);
	model_free(m);
}

/* With a sink logit too, a column of A sums to 1 − w over the visible
 * keys (pinned and window): w = e^(sink−M) / (e^(sink−M) + Σ e^(s−M)). */
static void test_pinned_with_sink_logit(void **state)
{
	(void)state;
	Model *m = load_pinned("sink = 0.5\n");
	Trace *t = run_of(m, false, 0, 0);
	for (int j = 1; j <= 8; j++) {
		double M = 0.5, s, a, sum = 0;
		for (int i = 1; i <= j; i++)
			if (direct_visible(i, j, 2, 1)) {
				assert_true(trace_value(t, MAT_S, i, j, &s));
				M = fmax(M, s);
			}
		double den = exp(0.5 - M);
		for (int i = 1; i <= j; i++)
			if (direct_visible(i, j, 2, 1)) {
				trace_value(t, MAT_S, i, j, &s);
				den += exp(s - M);
				assert_true(trace_value(t, MAT_A, i, j, &a));
				sum += a;
			}
		double w = exp(0.5 - M) / den;
		assert_true(w > 0.05);
		assert_true(fabs(sum - (1 - w)) <= 8 * (j + 2) * DBL_EPSILON);
	}
	/* query 6 by hand: s = 0, 1, 0 and the sink 0.5 */
	double a, want = exp(0.0 - 1.0) / (exp(-0.5) + 2 * exp(-1.0) + 1);
	assert_true(trace_value(t, MAT_A, 1, 6, &a));
	assert_true(fabs(a - want) <= 4 * DBL_EPSILON);
	trace_free(t);
	model_free(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_visible_direct),
		cmocka_unit_test(test_pinned_by_hand),
		cmocka_unit_test(test_pinned_tiles),
		cmocka_unit_test(test_pinned_with_sink_logit),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
