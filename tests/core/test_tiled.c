/*
 * The tiled kernel (attention.h, --attention flash): its tile states
 * against a direct computation, z against the standard kernel within the
 * stated bound (bundled and random models, tile sizes 1..T), split-K
 * merged against unsplit, the three modes bit for bit, the counters'
 * closed forms, and S and A never held.
 *
 * The bound (docs/tiled-attention.md): for one column of n keys, every
 * component of z differs from the standard kernel's by at most
 * 8·(n+2)·ε·max_i |v_i| (ε = DBL_EPSILON); over a whole run, where the
 * differences pass through later layers, |Δ| ≤ 1e-12·(1 + |value|).
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

#include "attention.h"
#include "engine.h"
#include "model.h"
#include "run.h"
#include "trace.h"

enum { MAXN = 40, DV = 5, DK = 4 };

/* One column: n keys with random k, v and a query, from a seed. */
typedef struct Column {
	double q[DK], k[MAXN][DK], v[MAXN][DV];
	const double *kp[MAXN], *vp[MAXN];
	AttnInput in;
} Column;

static double rnd(uint64_t *s)
{
	*s = *s * 6364136223846793005ull + 1442695040888963407ull;
	return (double)(*s >> 11) / 9007199254740992.0 * 6.0 - 3.0;
}

static void column_make(Column *c, int n, uint64_t seed)
{
	for (int d = 0; d < DK; d++)
		c->q[d] = rnd(&seed);
	for (int i = 0; i < n; i++) {
		for (int d = 0; d < DK; d++)
			c->k[i][d] = rnd(&seed);
		for (int d = 0; d < DV; d++)
			c->v[i][d] = rnd(&seed);
		c->kp[i] = c->k[i];
		c->vp[i] = c->v[i];
	}
	c->in = (AttnInput){ .q = c->q, .k = c->kp, .v = c->vp, .n = n,
			     .key_lo = 1, .d_k = DK, .d_v = DV, .scale = 0.5 };
}

static double bound_of(const Column *c)
{
	double vmax = 0;
	for (int i = 0; i < c->in.n; i++)
		for (int d = 0; d < DV; d++)
			vmax = fmax(vmax, fabs(c->v[i][d]));
	return 8.0 * (c->in.n + 2) * DBL_EPSILON * vmax;
}

/* Collects the states the kernel reports. */
typedef struct States {
	TileState ts[2 * MAXN + 2];
	double o[2 * MAXN + 2][DV];
	int n;
} States;

static void collect(void *ctx, const TileState *ts)
{
	States *s = ctx;
	s->ts[s->n] = *ts;
	memcpy(s->o[s->n], ts->o, sizeof s->o[0]);
	s->ts[s->n].o = s->o[s->n];
	s->n++;
}

/* After each tile: m is the exact max of the keys so far, α the exact
 * rescale, and l, o the direct sums Σ exp(s − m), Σ exp(s − m)·v. */
static void test_tile_states_direct(void **state)
{
	(void)state;
	for (int n = 1; n <= 13; n++)
		for (int B = 1; B <= n + 1; B++) {
			Column c;
			column_make(&c, n, (uint64_t)(n * 131 + B));
			double s[MAXN], a[MAXN], z[DV], scratch[MAXN + 2 * DV];
			AttnWork w = { 0 };
			attn_standard(&c.in, s, a, z, &w);
			States st = { .n = 0 };
			attn_tiled(&c.in, B, 1, scratch, z, collect, &st, &w);
			assert_int_equal(st.n, (n + B - 1) / B);
			double m_prev = 0;
			for (int t = 0; t < st.n; t++) {
				const TileState *ts = &st.ts[t];
				assert_int_equal(ts->tile, t + 1);
				assert_int_equal(ts->key_lo, t * B + 1);
				assert_int_equal(ts->key_hi,
						 t * B + B < n ? t * B + B : n);
				double m = s[0];
				for (int i = 1; i < ts->key_hi; i++)
					m = fmax(m, s[i]);
				assert_true(ts->m == m);
				assert_true(ts->alpha ==
					    (t ? exp(m_prev - m) : 1.0));
				double l = 0, o[DV] = { 0 };
				for (int i = 0; i < ts->key_hi; i++) {
					double p = exp(s[i] - m);
					l += p;
					for (int d = 0; d < DV; d++)
						o[d] += p * c.v[i][d];
				}
				assert_true(fabs(ts->l - l) <=
					    4.0 * (n + 2) * DBL_EPSILON * l);
				for (int d = 0; d < DV; d++)
					assert_true(fabs(ts->o[d] - o[d]) <=
						    bound_of(&c) * l);
				m_prev = m;
			}
		}
}

/* z of the tiled kernel against the standard one, every tile size and
 * split, with and without a sink. */
static void test_z_bound_columns(void **state)
{
	(void)state;
	for (int n = 1; n <= MAXN; n += 3)
		for (int B = 1; B <= n; B++)
			for (int S = 1; S <= 4; S++)
				for (int sink = 0; sink < 2; sink++) {
					Column c;
					column_make(&c, n, (uint64_t)(n * 7919 + B));
					c.in.has_sink = sink;
					c.in.sink = 0.25;
					double s[MAXN], a[MAXN], zs[DV], zt[DV];
					double scratch[MAXN + 2 * DV];
					AttnWork w = { 0 };
					attn_standard(&c.in, s, a, zs, &w);
					attn_tiled(&c.in, B, S, scratch, zt,
						   NULL, NULL, &w);
					for (int d = 0; d < DV; d++)
						assert_true(fabs(zt[d] - zs[d]) <=
							    bound_of(&c));
				}
}

/* Split-K: parts of ceil(n/S) keys, each partial then one merge per part;
 * merged z equals the unsplit tiled z within the bound. */
static void test_split_merge(void **state)
{
	(void)state;
	Column c;
	column_make(&c, 10, 99);
	double z1[DV], z3[DV], scratch[MAXN + 2 * DV];
	AttnWork w = { 0 };
	attn_tiled(&c.in, 2, 1, scratch, z1, NULL, NULL, &w);
	States st = { .n = 0 };
	attn_tiled(&c.in, 2, 3, scratch, z3, collect, &st, &w);
	/* parts 1..4, 5..8, 9..10: tiles 2+2+1, a merge after each part */
	static const int kind[] = { 0, 0, 1, 0, 0, 1, 0, 1 };
	static const int lo[] = { 1, 3, 1, 5, 7, 5, 9, 9 };
	static const int hi[] = { 2, 4, 4, 6, 8, 8, 10, 10 };
	assert_int_equal(st.n, 8);
	for (int i = 0; i < 8; i++) {
		assert_int_equal(st.ts[i].kind, kind[i] ? TILE_MERGE : TILE_STEP);
		assert_int_equal(st.ts[i].key_lo, lo[i]);
		assert_int_equal(st.ts[i].key_hi, hi[i]);
	}
	/* the merge: M = max of the partial maxima, L = Σ β·l_p */
	double M = fmax(fmax(st.ts[1].m, st.ts[4].m), st.ts[6].m);
	assert_true(st.ts[7].m == M);
	double L = exp(st.ts[1].m - M) * st.ts[1].l +
		   exp(st.ts[4].m - M) * st.ts[4].l +
		   exp(st.ts[6].m - M) * st.ts[6].l;
	assert_true(fabs(st.ts[7].l - L) <= 8 * DBL_EPSILON * L);
	for (int d = 0; d < DV; d++) {
		assert_true(fabs(z3[d] - z1[d]) <= bound_of(&c));
		assert_true(z3[d] == st.ts[7].o[d] / st.ts[7].l);
	}
}

static Trace *run_of(const Model *m, bool tiled, int tile, int split,
		     int generate)
{
	KvError err;
	kv_error_clear(&err);
	RunConfig cfg = run_config_default(m);
	cfg.tiled = tiled;
	cfg.tile = tile;
	cfg.split = split;
	if (generate >= 0)
		cfg.generate = generate;
	Trace *t = run_trace(m, &cfg, &err);
	if (!t)
		fail_msg("%s", err.msg);
	return t;
}

/* Every Z and logits cell of a tiled run against a standard run. */
static void assert_runs_close(const Trace *a, const Trace *b)
{
	const Model *m = trace_model(a);
	int T = trace_steps(a);
	for (int l = 1; l <= m->n_layers; l++)
		for (int h = 1; h <= m->n_heads; h++)
			for (int j = 1; j <= T; j++)
				for (int r = 1; r <= m->d_v; r++) {
					double x, y;
					assert_true(trace_value_at(a, l, h, MAT_Z, r, j, &x));
					assert_true(trace_value_at(b, l, h, MAT_Z, r, j, &y));
					assert_true(fabs(x - y) <=
						    1e-12 * (1 + fabs(y)));
					/* the tiled run keeps the standard
					 * kernel's values under its producer,
					 * bit for bit a standard run's */
					double w;
					assert_true(trace_value_of(a, PRODUCER_TARGET_STANDARD, l, h, MAT_Z, r, j, &w));
					assert_memory_equal(&w, &y, sizeof w);
					assert_true(trace_value_of(a, PRODUCER_TARGET_TILED, l, h, MAT_Z, r, j, &w));
					assert_memory_equal(&w, &x, sizeof w);
				}
	assert_true(trace_has_producer(a, PRODUCER_TARGET_TILED));
	assert_false(trace_has_producer(b, PRODUCER_TARGET_TILED));
	const TileCompare *c = trace_tiles_compare(trace_tiles(a));
	assert_true(c->done);
	assert_true(c->max_abs <= 1e-12 * (1 + fabs(c->standard_z)) ||
		    c->max_abs <= 1e-10);
}

static void check_model(Model *m, int generate)
{
	Trace *std = run_of(m, false, 0, 0, generate);
	int T = trace_steps(std);
	for (int B = 1; B <= T; B++)
		for (int S = 1; S <= 3; S += 2) {
			Trace *t = run_of(m, true, B, S, generate);
			assert_int_equal(trace_steps(t), T);
			assert_runs_close(t, std);
			trace_free(t);
		}
	trace_free(std);
}

static void test_bundled_models(void **state)
{
	(void)state;
	static const char *const names[] = { "default", "gqa", "mqa",
					     "local-global", "streaming" };
	for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
		KvError err;
		Model *m = model_load(names[i], &err);
		assert_non_null(m);
		check_model(m, -1);
		model_free(m);
	}
}

static void test_random_models(void **state)
{
	(void)state;
	static const int windows[3] = { 3, 0, 5 };
	for (unsigned seed = 1; seed <= 4; seed++) {
		ModelShape s = { .d_model = 6, .d_k = 3, .d_v = 5, .vocab = 9,
				 .n_layers = seed % 2 ? 3 : 0,
				 .n_heads = seed % 2 ? 4 : 0,
				 .n_kv_heads = seed % 2 ? 2 : 0,
				 .windows = seed % 2 ? windows : NULL,
				 .prompt_n = 4, .positions = 12,
				 .with_positions = true };
		Model *m = model_random(&s, seed, NULL);
		assert_non_null(m);
		check_model(m, 8);
		model_free(m);
	}
}

/* Cache mode against no-cache mode under the tiled kernel: memcmp. */
static void test_modes_bit_identical(void **state)
{
	(void)state;
	Model *m = model_load("gqa", NULL);
	assert_non_null(m);
	Trace *t = run_of(m, true, 3, 2, 6);
	int T = trace_steps(t);
	const int *tok = NULL;
	int ids[64];
	for (int i = 0; i < T; i++)
		ids[i] = trace_token(t, i + 1);
	tok = ids;
	EngineSpec sp = { .capacity = T, .max_seqs = 1, .tiled = true,
			  .tile = 3, .split = 2,
			  .split_from = trace_prompt_len(t) + 1 };
	Engine *full = engine_new_spec(m, &sp, NULL);
	sp.keeps_cache = true;
	Engine *inc = engine_new_spec(m, &sp, NULL);
	Counters c;
	PassInfo info;
	engine_pass(full, tok, 1, T, NULL, &c, &info);
	for (int j = 1; j <= T; j++)
		engine_pass(inc, tok, j, j, NULL, &c, &info);
	for (int l = 1; l <= m->n_layers; l++)
		for (int h = 1; h <= m->n_heads; h++)
			for (int j = 1; j <= T; j++)
				assert_memory_equal(engine_column(full, MAT_Z, l, h, j),
						    engine_column(inc, MAT_Z, l, h, j),
						    (size_t)m->d_v * sizeof(double));
	assert_memory_equal(engine_logits(full), engine_logits(inc),
			    (size_t)m->vocab_n * sizeof(double));
	assert_int_equal(trace_mismatches(t), 0);
	assert_int_equal(trace_tiles_mismatches(trace_tiles(t)), 0);
	engine_free(full);
	engine_free(inc);
	trace_free(t);
	model_free(m);
}

/* Counters: no scores written, ceil(j/B) tiles per query, exps j +
 * ceil(j/B) − 1; the standard kernel writes j scores. S, A never held. */
static void test_counters_and_no_s(void **state)
{
	(void)state;
	Model *m = model_load_default(NULL);
	for (int B = 1; B <= 4; B++) {
		Trace *t = run_of(m, true, B, 0, -1);
		Trace *s = run_of(m, false, 0, 0, -1);
		int T = trace_steps(t);
		for (int step = 1; step <= T; step++) {
			const TraceStep *ts = trace_step(t, step, MODE_NOCACHE);
			uint64_t tiles = 0, exps = 0, cells = 0;
			for (uint64_t j = 1; j <= (uint64_t)step; j++) {
				uint64_t k = (j + (uint64_t)B - 1) / (uint64_t)B;
				tiles += k;
				exps += j + k - 1;
				cells += j;
			}
			assert_int_equal(ts->pass_c.tile_passes, tiles);
			assert_int_equal(ts->pass_c.exps, exps);
			assert_int_equal(ts->pass_c.score_cells_written, 0);
			const TraceStep *ss = trace_step(s, step, MODE_NOCACHE);
			assert_int_equal(ss->pass_c.score_cells_written, cells);
			assert_int_equal(ss->pass_c.tile_passes, 0);
			TraceSpan sp;
			assert_false(trace_span(t, step, MODE_CACHE, MAT_S, &sp));
			assert_false(trace_span(t, step, MODE_CACHE, MAT_A, &sp));
			assert_true(trace_span(s, step, MODE_CACHE, MAT_S, &sp));
			double v;
			assert_false(trace_value(t, MAT_A, 1, step, &v));
			assert_int_equal(trace_first_key(t, 1, step), 1);
		}
		trace_free(t);
		trace_free(s);
	}
	model_free(m);
}

/* A sink joins each column's denominator: Σ A = 1 − w with
 * w = exp(sink − M) / (exp(sink − M) + Σ exp(s − M)), M over S and the sink. */
static void assert_sink_columns(const Trace *t)
{
	const Model *m = trace_model(t);
	int T = trace_steps(t);
	for (int l = 1; l <= m->n_layers; l++)
		for (int h = 1; h <= m->n_heads; h++)
			for (int j = 1; j <= T; j++) {
				bool has;
				double sink = model_sink(m, l - 1, h - 1, &has);
				double M = sink, s, a;
				assert_true(has);
				/* the visible keys: pinned ones, then the window */
				for (int i = 1; i <= j; i++) {
					if (!trace_key_visible(t, l, i, j))
						continue;
					assert_true(trace_value_at(t, l, h, MAT_S, i, j, &s));
					M = fmax(M, s);
				}
				double den = exp(sink - M), sum = 0;
				for (int i = 1; i <= j; i++) {
					if (!trace_key_visible(t, l, i, j))
						continue;
					trace_value_at(t, l, h, MAT_S, i, j, &s);
					den += exp(s - M);
					assert_true(trace_value_at(t, l, h, MAT_A, i, j, &a));
					sum += a;
				}
				double w = exp(sink - M) / den;
				assert_true(w > 0);
				assert_true(fabs(sum - (1 - w)) <= 8 * (j + 2) * DBL_EPSILON);
			}
}

static void test_sinks(void **state)
{
	(void)state;
	KvError err;
	Model *m = model_load(KV_TEST_DIR "/data/sink.ini", &err);
	assert_non_null(m);
	assert_non_null(m->sink);
	Trace *t = run_of(m, false, 0, 0, 2);
	assert_sink_columns(t);
	/* by hand: query 3 sees s = 0, 1, 1 and sink 0.5 */
	double a, want = 1 / (exp(-0.5) + exp(-1.0) + 2);
	assert_true(trace_value(t, MAT_A, 2, 3, &a));
	assert_true(fabs(a - want) <= 4 * DBL_EPSILON);
	trace_free(t);
	check_model(m, 2);
	model_free(m);
	/* per-head sinks on a random stacked model, one of them 0 (the
	 * off-by-one softmax) */
	static const int windows[2] = { 3, 0 };
	ModelShape sh = { .d_model = 6, .d_k = 3, .d_v = 4, .vocab = 7,
			  .n_layers = 2, .n_heads = 4, .n_kv_heads = 2,
			  .windows = windows, .prompt_n = 3, .positions = 9,
			  .with_positions = true };
	m = model_random(&sh, 7, NULL);
	assert_non_null(m);
	m->sink = malloc(8 * sizeof *m->sink);
	assert_non_null(m->sink);
	/* (n_layers, n_heads): the layers differ */
	static const double sinks[8] = { 0, -1.5, 2, 0.25, 1, 0, -0.5, 3 };
	memcpy(m->sink, sinks, sizeof sinks);
	t = run_of(m, false, 0, 0, 6);
	assert_sink_columns(t);
	trace_free(t);
	check_model(m, 6);
	model_free(m);
}

static void test_sink_errors(void **state)
{
	(void)state;
	static const char *const bad[][2] = {
		{ "sink = 1 2 3", ":8: sink: expected one logit, one per head (n_heads = 2) or one per head of each layer (n_layers·n_heads = 2), got 3 values" },
		{ "sink = x", ":8: expected a number, got 'x'" },
		{ "sink = 1e400", ":8:" },
	};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		char path[] = "/tmp/kvstep-sink-XXXXXX";
		int fd = mkstemp(path);
		assert_true(fd >= 0);
		FILE *f = fdopen(fd, "w");
		fprintf(f, "[model]\nvocab = a\nd_model = 1\nd_k = 1\nd_v = 1\n"
			   "prompt = a\nn_heads = 2\n%s\n[embedding]\na = 1\n",
			bad[i][0]);
		fclose(f);
		KvError err;
		kv_error_clear(&err);
		Model *m = model_load(path, &err);
		remove(path);
		assert_null(m);
		assert_int_equal(err.code, 65);
		assert_non_null(strstr(err.msg, bad[i][1]));
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tile_states_direct),
		cmocka_unit_test(test_z_bound_columns),
		cmocka_unit_test(test_split_merge),
		cmocka_unit_test(test_bundled_models),
		cmocka_unit_test(test_random_models),
		cmocka_unit_test(test_modes_bit_identical),
		cmocka_unit_test(test_counters_and_no_s),
		cmocka_unit_test(test_sinks),
		cmocka_unit_test(test_sink_errors),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
