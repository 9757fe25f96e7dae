/*
 * The engine and the trace: counters against their closed forms at every
 * step of every mode, cell statuses against the DESIGN.md table, and the
 * three modes bit for bit (memcmp) on the classroom model and on random
 * models with d_k ≠ d_v.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "dot.h"
#include "engine.h"
#include "model.h"
#include "run.h"
#include "trace.h"

typedef struct Dims {
	uint64_t dm, dk, dv, vocab;
} Dims;

static Dims dims_of(const Model *m)
{
	return (Dims){ (uint64_t)m->d_model, (uint64_t)m->d_k,
		       (uint64_t)m->d_v, (uint64_t)m->vocab_n };
}

/* Closed form of one pass over queries a..b projecting columns p..b. */
static Counters pass_form(Dims d, uint64_t p, uint64_t a, uint64_t b,
			  uint64_t first_new)
{
	Counters c = { 0 };
	uint64_t proj = d.dm * (2 * d.dk + d.dv);
	uint64_t tri = (b * (b + 1) - (a - 1) * a) / 2; /* Σ_{j=a..b} j */
	c.macs_proj = (b - p + 1) * proj;
	c.macs_scores = d.dk * tri;
	c.macs_av = d.dv * tri;
	c.macs_logits = d.vocab * d.dv;
	c.exps = tri;
	if (first_new > p) { /* columns p..first_new-1 were done before */
		uint64_t old = first_new - 1;
		c.recomputed_macs = (old - p + 1) * proj +
				    (d.dk + d.dv) * (old * (old + 1) / 2);
	}
	return c;
}

static void assert_counters(const Counters *got, const Counters *want)
{
	assert_int_equal(got->macs_proj, want->macs_proj);
	assert_int_equal(got->macs_scores, want->macs_scores);
	assert_int_equal(got->macs_av, want->macs_av);
	assert_int_equal(got->macs_logits, want->macs_logits);
	assert_int_equal(got->exps, want->exps);
	assert_int_equal(got->recomputed_macs, want->recomputed_macs);
	assert_int_equal(got->cache_cells, want->cache_cells);
	assert_int_equal(got->cache_bytes, want->cache_bytes);
	assert_int_equal(got->cache_reads, want->cache_reads);
	assert_int_equal(got->passes, want->passes);
}

/* The run of `m` with its own prompt and `generate` (-1: its own). */
static Trace *trace_of(const Model *m, int generate)
{
	KvError err;
	kv_error_clear(&err);
	RunConfig cfg = run_config_default(m);
	if (generate >= 0)
		cfg.generate = generate;
	Trace *t = run_trace(m, &cfg, &err);
	if (!t)
		fail_msg("%s", err.msg);
	return t;
}

static Trace *default_trace(Model **m, int generate)
{
	*m = model_load_default(NULL);
	assert_non_null(*m);
	return trace_of(*m, generate);
}

/* Every counter of every mode at every step equals its closed form. */
static void test_counters_closed_forms(void **state)
{
	(void)state;
	Model *m;
	Trace *t = default_trace(&m, 9);
	Dims d = dims_of(m);
	uint64_t P = 3, kv = d.dk + d.dv;
	Counters tot[MODE_COUNT] = { { 0 } };
	for (uint64_t s = 1; s <= 12; s++) {
		/* no cache: one pass over 1..t, all but column t recomputed */
		Counters w = pass_form(d, 1, 1, s, s);
		w.passes = s;
		const TraceStep *ts = trace_step(t, (int)s, MODE_NOCACHE);
		assert_counters(&ts->pass_c, &w);
		assert_int_equal(counters_macs(&ts->pass_c),
				 s * d.dm * (2 * d.dk + d.dv) +
					 kv * s * (s + 1) / 2 + d.vocab * d.dv);
		counters_accumulate(&tot[MODE_NOCACHE], &w);
		assert_counters(&ts->total, &tot[MODE_NOCACHE]);

		/* cache: column t only, t−1 cached columns read */
		w = pass_form(d, s, s, s, s);
		w.cache_cells = s * kv;
		w.cache_bytes = 4 * s * kv;
		w.cache_reads = (s - 1) * kv;
		w.passes = s;
		ts = trace_step(t, (int)s, MODE_CACHE);
		assert_int_equal(ts->pass, (int)s);
		assert_counters(&ts->pass_c, &w);
		counters_accumulate(&tot[MODE_CACHE], &w);
		assert_counters(&ts->total, &tot[MODE_CACHE]);

		/* prefill: pass 1 covers 1..P, then like the cache */
		ts = trace_step(t, (int)s, MODE_PREFILL);
		if (s <= P) {
			w = pass_form(d, 1, 1, P, 1);
			w.cache_cells = P * kv;
			w.cache_bytes = 4 * P * kv;
			w.passes = 1;
			if (s == 1)
				counters_accumulate(&tot[MODE_PREFILL], &w);
		} else {
			w.passes = s - P + 1;
			counters_accumulate(&tot[MODE_PREFILL], &w);
		}
		assert_int_equal(ts->pass, (int)w.passes);
		assert_counters(&ts->pass_c, &w);
		assert_counters(&ts->total, &tot[MODE_PREFILL]);
	}
	/* the classroom figures a worksheet quotes: step 6 */
	assert_int_equal(counters_macs(&trace_step(t, 6, MODE_NOCACHE)->total), 1673);
	assert_int_equal(counters_macs(&trace_step(t, 6, MODE_CACHE)->total), 603);
	assert_int_equal(counters_macs(&trace_step(t, 6, MODE_PREFILL)->total), 561);
	trace_free(t);
	model_free(m);
}

/* One letter per status, so a whole matrix compares as a string. */
static char status_letter(CellStatus s)
{
	static const char letters[CELL_STATUS_COUNT] = {
		[CELL_ABSENT] = '.', [CELL_COMPUTED] = 'c', [CELL_REUSED] = 'u',
		[CELL_RECOMPUTED] = 'r', [CELL_MASKED] = 'm',
		[CELL_EVICTED] = 'e',
	};
	return letters[s];
}

/* Statuses of rows 1..rows, columns 1..cols, row by row with '/'. */
static void assert_statuses(const Trace *t, int step, Mode mode, Matrix mat,
			    int rows, int cols, const char *want)
{
	char got[256];
	size_t n = 0;
	for (int r = 1; r <= rows; r++) {
		for (int c = 1; c <= cols; c++)
			got[n++] = status_letter(trace_status(t, step, mode, mat,
							      r, c));
		got[n++] = r < rows ? '/' : '\0';
	}
	assert_string_equal(got, want);
}

static void test_statuses(void **state)
{
	(void)state;
	Model *m;
	Trace *t = default_trace(&m, -1);
	/* step 4, no cache: columns 1..3 redone, masked above the diagonal */
	assert_statuses(t, 4, MODE_NOCACHE, MAT_K, 1, 6, "rrrc..");
	assert_statuses(t, 4, MODE_NOCACHE, MAT_Q, 1, 6, "rrrc..");
	assert_statuses(t, 4, MODE_NOCACHE, MAT_S, 5, 5,
			"rrrc./mrrc./mmrc./mmmc./.....");
	assert_statuses(t, 4, MODE_NOCACHE, MAT_LOGITS, 1, 5, "...c.");
	/* step 4, KV cache: only column 4 computed, K and V 1..3 reused */
	assert_statuses(t, 4, MODE_CACHE, MAT_X, 1, 5, "...c.");
	assert_statuses(t, 4, MODE_CACHE, MAT_Q, 1, 5, "...c.");
	assert_statuses(t, 4, MODE_CACHE, MAT_K, 2, 5, "uuuc./uuuc.");
	assert_statuses(t, 4, MODE_CACHE, MAT_V, 1, 5, "uuuc.");
	assert_statuses(t, 4, MODE_CACHE, MAT_S, 5, 5,
			"...c./...c./...c./...c./.....");
	assert_statuses(t, 4, MODE_CACHE, MAT_Z, 1, 5, "...c.");
	/* steps 1..3, prefill: its single pass 1 over the prompt, in full */
	for (int step = 1; step <= 3; step++) {
		assert_statuses(t, step, MODE_PREFILL, MAT_K, 1, 4, "ccc.");
		assert_statuses(t, step, MODE_PREFILL, MAT_A, 4, 4,
				"ccc./mcc./mmc./....");
		assert_statuses(t, step, MODE_PREFILL, MAT_LOGITS, 1, 4, "..c.");
		assert_int_equal(trace_step(t, step, MODE_PREFILL)->pass, 1);
	}
	/* step 5, prefill: pass 3, like the cache */
	assert_statuses(t, 5, MODE_PREFILL, MAT_K, 1, 6, "uuuuc.");
	assert_int_equal(trace_step(t, 5, MODE_PREFILL)->pass, 3);
	/* masked cells have no value; others do */
	double v;
	assert_false(trace_value(t, MAT_S, 2, 1, &v));
	assert_true(trace_value(t, MAT_S, 1, 2, &v));
	trace_free(t);
	model_free(m);
}

/* The shape of a random model. */
typedef struct Shape {
	int dm, dk, dv, vocab;
	int layers, heads, kv_heads; /* layers = 0: a classic file */
	int windows[4];
} Shape;

static Model *random_model(unsigned seed, const Shape *sh, int positions)
{
	ModelShape s = { .d_model = sh->dm, .d_k = sh->dk, .d_v = sh->dv,
			 .vocab = sh->vocab, .n_layers = sh->layers,
			 .n_heads = sh->heads, .n_kv_heads = sh->kv_heads,
			 .windows = sh->windows, .prompt_n = 5,
			 .positions = positions, .with_positions = true };
	Model *m = model_random(&s, seed, NULL);
	assert_non_null(m);
	return m;
}

/* Rows of a column of `mat`. */
static int rows_of(const Model *m, Matrix mat)
{
	switch (mat) {
	case MAT_X: case MAT_H: return m->d_model;
	case MAT_Q: case MAT_K: case MAT_KQ: case MAT_QR: case MAT_KR:
		return m->d_k;
	case MAT_V: case MAT_Z: case MAT_VQ: return m->d_v;
	case MAT_S: case MAT_A: case MAT_LOGITS: case MAT_COUNT: break;
	}
	return 0;
}

/* Every column 1..s of every layer and head that both engines hold. */
static void assert_columns_identical(const Model *m, Engine *const *e, int s)
{
	static const Matrix mats[] = { MAT_X, MAT_Q, MAT_K, MAT_V, MAT_Z,
				       MAT_H };
	for (size_t i = 0; i < sizeof mats / sizeof *mats; i++) {
		Matrix mat = mats[i];
		int heads = mat == MAT_K || mat == MAT_V ? m->n_kv_heads
			    : mat == MAT_X || mat == MAT_H ? 1 : m->n_heads;
		for (int l = 1; l <= m->n_layers; l++)
			for (int h = 1; h <= heads; h++)
				for (int col = 1; col <= s; col++) {
					const double *ref =
						engine_column(e[0], mat, l, h, col);
					for (int k = 1; k < MODE_COUNT; k++) {
						const double *got = engine_column(
							e[k], mat, l, h, col);
						if (got && ref)
							assert_memory_equal(
								got, ref,
								(size_t)rows_of(m, mat) *
									sizeof(double));
					}
				}
	}
}

/*
 * Drives three engines in lockstep like run.c and compares, after every
 * step, the columns each mode holds with memcmp: no tolerance.
 */
static void assert_modes_identical(const Model *m)
{
	int P = m->prompt_n, T = P + m->generate;
	Engine *e[MODE_COUNT];
	for (int k = 0; k < MODE_COUNT; k++)
		e[k] = engine_new(m, T, k != MODE_NOCACHE, 4, NULL);
	int *tok = calloc((size_t)T, sizeof *tok);
	memcpy(tok, m->prompt, (size_t)P * sizeof *tok);
	for (int s = 1; s <= T; s++) {
		int hi_of[MODE_COUNT] = { 0 };
		for (int k = 0; k < MODE_COUNT; k++) {
			int lo, hi;
			Counters c;
			PassInfo info;
			if (run_plan((Mode)k, s, P, &lo, &hi))
				engine_pass(e[k], tok, lo, hi, NULL, &c, &info);
			hi_of[k] = hi;
		}
		/* logits of the modes whose pass ended at s */
		for (int k = 1; k < MODE_COUNT; k++)
			if (hi_of[k] == s)
				assert_memory_equal(engine_logits(e[k]),
						    engine_logits(e[0]),
						    (size_t)m->vocab_n * sizeof(double));
		assert_columns_identical(m, e, s);
		if (s >= P && s < T)
			tok[s] = argmax(engine_logits(e[0]), m->vocab_n);
	}
	for (int k = 0; k < MODE_COUNT; k++)
		engine_free(e[k]);
	free(tok);
}

static void test_modes_identical_default(void **state)
{
	(void)state;
	KvError err;
	kv_error_clear(&err);
	Model *m = model_load_default(&err);
	m->generate = 20; /* past the default, into repeated tokens */
	assert_modes_identical(m);
	model_free(m);
}

static void test_modes_identical_random(void **state)
{
	(void)state;
	static const Shape shapes[] = {
		/* classic: d_k ≠ d_v, odd widths, more than 8 lanes */
		{ 5, 4, 3, 7, 0, 0, 0, { 0 } },
		{ 7, 3, 5, 11, 0, 0, 0, { 0 } },
		{ 16, 8, 4, 9, 0, 0, 0, { 0 } },
		{ 33, 17, 9, 20, 0, 0, 0, { 0 } },
		{ 64, 64, 1, 3, 0, 0, 0, { 0 } },
		/* classic with a window */
		{ 6, 3, 2, 5, 0, 0, 0, { 0 } },
		/* stacked: layers, heads, GQA, MQA, windows */
		{ 8, 4, 3, 6, 1, 2, 2, { 0 } },
		{ 8, 4, 2, 6, 2, 4, 2, { 3, 0 } },
		{ 12, 3, 5, 9, 3, 4, 1, { 2, 0, 5 } },
		{ 16, 9, 7, 10, 4, 6, 3, { 1, 4, 0, 2 } },
	};
	for (unsigned i = 0; i < sizeof shapes / sizeof *shapes; i++) {
		Model *m = random_model(1000 + i, &shapes[i], 40);
		if (i == 5)
			m->window[0] = 4;
		assert_modes_identical(m);
		/* and through the trace, which memcmps every producer */
		KvError err;
		kv_error_clear(&err);
		RunConfig cfg = run_config_default(m);
		Trace *t = run_trace(m, &cfg, &err);
		assert_non_null(t);
		assert_int_equal(trace_mismatches(t), 0);
		trace_free(t);
		model_free(m);
	}
}

/* The lockstep really feeds each argmax back as the next token. */
static void test_greedy_continuation(void **state)
{
	(void)state;
	Model *m;
	Trace *t = default_trace(&m, -1);
	char got[64] = "";
	for (int pos = 1; pos <= trace_steps(t); pos++) {
		strcat(got, m->vocab[trace_token(t, pos)]);
		strcat(got, " ");
	}
	assert_string_equal(got, "the cat sat on the mat ");
	/* the prompt's own predictions read as the sentence too */
	const char *next[] = { "cat", "sat", "on", "the", "mat", "." };
	for (int s = 1; s <= 6; s++)
		assert_string_equal(m->vocab[trace_step(t, s, MODE_NOCACHE)->chosen],
				    next[s - 1]);
	trace_free(t);
	model_free(m);
}

static void test_config_limits(void **state)
{
	(void)state;
	KvError err;
	kv_error_clear(&err);
	Model *m = model_load_default(&err);
	RunConfig cfg = run_config_default(m);
	cfg.generate = KV_MAX_TOKENS;
	assert_null(run_trace(m, &cfg, &err));
	assert_int_equal(err.code, 64);
	assert_string_equal(err.msg,
			    "3 prompt + 1024 generated tokens is 1027 positions; default.ini allows 1024");
	model_free(m);
}

static Model *load_data(const char *name)
{
	char path[512];
	snprintf(path, sizeof path, "%s/%s", KV_DATA_DIR, name);
	KvError err;
	kv_error_clear(&err);
	Model *m = model_load_file(path, &err);
	if (!m)
		fail_msg("%s", err.msg);
	return m;
}

/* Keys query j sees in a layer of window w with n pinned first positions:
 * min(j, n + w), or j if global. */
static uint64_t visible(uint64_t j, int w, int n)
{
	uint64_t most = (uint64_t)w + (uint64_t)n;
	return w > 0 && most < j ? most : j;
}

/*
 * Closed form of a pass over columns lo..hi of a stacked model: per layer
 * and column, projections d_model·(H·d_k + G·(d_k+d_v)) plus W_O
 * d_model·H·d_v; per head and visible key, d_k score and d_v value MACs.
 */
static Counters stacked_form(const Model *m, uint64_t lo, uint64_t hi,
			     uint64_t first_new, bool cache)
{
	uint64_t H = (uint64_t)m->n_heads, G = (uint64_t)m->n_kv_heads;
	uint64_t dm = (uint64_t)m->d_model, dk = (uint64_t)m->d_k;
	uint64_t dv = (uint64_t)m->d_v;
	uint64_t proj = dm * (H * dk + G * (dk + dv)) + dm * H * dv;
	Counters c = { 0 };
	for (int l = 0; l < m->n_layers; l++) {
		int w = m->window[l];
		int n = m->sink_tokens ? m->sink_tokens[l] : 0;
		for (uint64_t j = lo; j <= hi; j++) {
			uint64_t vis = visible(j, w, n);
			c.macs_proj += proj;
			c.macs_scores += H * dk * vis;
			c.macs_av += H * dv * vis;
			c.exps += H * vis;
			if (j < first_new)
				c.recomputed_macs += proj + H * (dk + dv) * vis;
			if (cache && lo > 1) /* keys before lo come from the cache */
				c.cache_reads += G * (dk + dv) * (vis - 1);
		}
		if (cache) /* 2·min(t, W_l)·n_kv_heads·d_head when d_k = d_v */
			c.cache_cells += visible(hi, w, n) * G * (dk + dv);
	}
	c.macs_logits = (uint64_t)m->vocab_n * dm;
	c.cache_bytes = 4 * c.cache_cells;
	return c;
}

/* Closed-form counters for the GQA, MQA, local/global and streaming
 * models. */
static void test_stacked_counters(void **state)
{
	(void)state;
	const char *files[] = { "gqa.ini", "mqa.ini", "local-global.ini",
				"streaming.ini" };
	for (size_t f = 0; f < 4; f++) {
		Model *m = load_data(files[f]);
		Trace *t = trace_of(m, 9);
		uint64_t P = (uint64_t)m->prompt_n;
		for (uint64_t s = 1; s <= P + 9; s++) {
			Counters w = stacked_form(m, 1, s, s, false);
			w.passes = s;
			assert_counters(&trace_step(t, (int)s, MODE_NOCACHE)->pass_c, &w);
			w = stacked_form(m, s, s, s, true);
			w.passes = s;
			assert_counters(&trace_step(t, (int)s, MODE_CACHE)->pass_c, &w);
			if (s <= P) {
				w = stacked_form(m, 1, P, 1, true);
				w.passes = 1;
			} else {
				w.passes = s - P + 1;
			}
			assert_counters(&trace_step(t, (int)s, MODE_PREFILL)->pass_c, &w);
		}
		trace_free(t);
		model_free(m);
	}
}

/* The cache sizes a teacher quotes, from the closed form by hand. */
static void test_stacked_cache_sizes(void **state)
{
	(void)state;
	Model *m = load_data("local-global.ini");
	Trace *t = trace_of(m, -1);
	/* 2 local layers (W = 2) + 1 global, 1 K/V head, d_k = d_v = 2:
	 * after step t: 2·(2·min(t,2) + t)·1·2 cells */
	static const uint64_t cells[] = { 12, 24, 28, 32, 36, 40 };
	for (int s = 1; s <= 6; s++)
		assert_int_equal(trace_step(t, s, MODE_CACHE)->pass_c.cache_cells,
				 cells[s - 1]);
	trace_free(t);
	model_free(m);
	/* streaming: the local layers keep 1 pinned + a ring of 2:
	 * 2·(2·min(t,3) + t)·1·2 cells, N + W = 3 columns per local layer */
	m = load_data("streaming.ini");
	t = trace_of(m, -1);
	static const uint64_t pinned_cells[] = { 12, 24, 36, 40, 44, 48, 52, 56 };
	for (int s = 1; s <= 8; s++)
		assert_int_equal(trace_step(t, s, MODE_CACHE)->pass_c.cache_cells,
				 pinned_cells[s - 1]);
	trace_free(t);
	model_free(m);
	/* GQA: 4 query heads over 2 K/V heads hold half of full MHA */
	m = load_data("gqa.ini");
	t = trace_of(m, -1);
	assert_int_equal(trace_step(t, 6, MODE_CACHE)->pass_c.cache_cells,
			 6 * 2 * (2 + 2));
	trace_free(t);
	model_free(m);
}

static void test_bundled_modes_identical(void **state)
{
	(void)state;
	const char *files[] = { "default.ini", "gqa.ini", "mqa.ini",
				"local-global.ini", "streaming.ini" };
	for (size_t f = 0; f < 5; f++) {
		Model *m = load_data(files[f]);
		m->generate = 12;
		assert_modes_identical(m);
		model_free(m);
	}
}

/* Evicted K/V columns in the local layers; the global layer keeps all. */
static void test_evicted_statuses(void **state)
{
	(void)state;
	Model *m = load_data("local-global.ini");
	Trace *t = trace_of(m, -1);
	char got[16];
	for (int layer = 1; layer <= 3; layer++) {
		for (int c = 1; c <= 5; c++)
			got[c - 1] = status_letter(trace_status_at(
				t, 4, MODE_CACHE, layer, MAT_K, 1, c));
		got[5] = '\0';
		assert_string_equal(got, layer < 3 ? "eeuc." : "uuuc.");
	}
	/* S of a local layer: keys outside the window are masked */
	for (int c = 3; c <= 4; c++) {
		for (int r = 1; r <= 4; r++)
			got[r - 1] = status_letter(trace_status_at(
				t, 4, MODE_NOCACHE, 1, MAT_S, r, c));
		got[4] = '\0';
		assert_string_equal(got, c == 3 ? "mrrm" : "mmcc");
	}
	/* prefill's pass 1 over the 3-token prompt already evicts column 1 */
	assert_int_equal(trace_status_at(t, 2, MODE_PREFILL, 1, MAT_V, 1, 1),
			 CELL_EVICTED);
	assert_int_equal(trace_status_at(t, 2, MODE_PREFILL, 3, MAT_V, 1, 1),
			 CELL_COMPUTED);
	double v;
	assert_false(trace_value_at(t, 1, 1, MAT_S, 1, 4, &v));
	trace_free(t);
	model_free(m);
}

/*
 * Two layers worked by hand (d_model 2, one head, d_k = d_v = 1):
 * layer 1 at position 2: q2 = 0, so A = (½, ½), z2 = (3 + 1)/2 = 2,
 * h2 = x2 + W_O·z2 = (0, 1) + (2, 0) = (2, 1). Layer 2: q2 = 2, keys 4
 * and 2, S = (8, 4), A1 = 1/(1 + e⁻⁴), z2 = 2·A1 + 1·(1 − A1) = 1 + A1,
 * h2 = (2, 1) + (0, z2) = (2, 2 + A1).
 */
static void test_two_layers_by_hand(void **state)
{
	(void)state;
	static const char text[] =
		"[model]\nvocab = a b\nd_model = 2\nd_k = 1\nd_v = 1\n"
		"n_layers = 2\nprompt = a b\n"
		"[embedding]\na = 1 2\nb = 0 1\n"
		"[L1.H1.W_Q]\nrow = 1 0\n[L1.H1.W_K]\nrow = 0 1\n"
		"[L1.H1.W_V]\nrow = 1 1\n[L1.W_O]\nrow = 1\nrow = 0\n"
		"[L2.H1.W_Q]\nrow = 1 0\n[L2.H1.W_K]\nrow = 1 0\n"
		"[L2.H1.W_V]\nrow = 0 1\n[L2.W_O]\nrow = 0\nrow = 1\n"
		"[W_out]\na = 1 0\nb = 0 1\n";
	KvError err;
	kv_error_clear(&err);
	Model *m = model_parse("two.ini", text, strlen(text), &err);
	assert_non_null(m);
	RunConfig cfg = run_config_default(m);
	Trace *t = run_trace(m, &cfg, &err);
	assert_non_null(t);
	double v;
	assert_true(trace_value_at(t, 2, 1, MAT_X, 1, 2, &v) && v == 2.0);
	assert_true(trace_value_at(t, 2, 1, MAT_X, 2, 2, &v) && v == 1.0);
	assert_true(trace_value_at(t, 2, 1, MAT_X, 1, 1, &v) && v == 4.0);
	assert_true(trace_value_at(t, 2, 1, MAT_S, 1, 2, &v) && v == 8.0);
	assert_true(trace_value_at(t, 2, 1, MAT_S, 2, 2, &v) && v == 4.0);
	double a1 = 1.0 / (1.0 + exp(-4.0));
	assert_true(trace_value_at(t, 2, 1, MAT_H, 2, 2, &v));
	assert_true(fabs(v - (2.0 + a1)) < 1e-15);
	/* logits = W_out·h: a reads h[1] = 2, b reads h[2] = 2 + A1 */
	assert_true(trace_value_at(t, 1, 1, MAT_LOGITS, 1, 2, &v) && v == 2.0);
	assert_string_equal(m->vocab[trace_step(t, 2, MODE_CACHE)->chosen], "b");
	trace_free(t);
	model_free(m);
}

/*
 * Weights within the limits can still compound past a double's range over
 * 16 layers: every layer multiplies h by about 1e12, and S = q·k squares
 * it, so S overflows in layer 13. The run refuses with the place, never
 * printing inf or NaN.
 */
static void test_overflow_reported(void **state)
{
	(void)state;
	char text[4096];
	int n = snprintf(text, sizeof text,
			 "[model]\nvocab = a\nd_model = 1\nd_k = 1\nd_v = 1\n"
			 "n_layers = 16\nprompt = a\n[embedding]\na = 1e6\n");
	for (int l = 1; l <= 16; l++)
		n += snprintf(text + n, sizeof text - (size_t)n,
			      "[L%d.H1.W_Q]\nrow = 1e6\n[L%d.H1.W_K]\nrow = 1e6\n"
			      "[L%d.H1.W_V]\nrow = 1e6\n[L%d.W_O]\nrow = 1e6\n",
			      l, l, l, l);
	snprintf(text + n, sizeof text - (size_t)n, "[W_out]\na = 1\n");
	KvError err;
	kv_error_clear(&err);
	Model *m = model_parse("big.ini", text, strlen(text), &err);
	assert_non_null(m);
	RunConfig cfg = run_config_default(m);
	assert_null(run_trace(m, &cfg, &err));
	assert_int_equal(err.code, 65);
	assert_string_equal(err.msg,
			    "big.ini: the numbers overflow at step 1: S[1,1] of layer 13, head 1 is not finite; use smaller weights");
	model_free(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_counters_closed_forms),
		cmocka_unit_test(test_statuses),
		cmocka_unit_test(test_modes_identical_default),
		cmocka_unit_test(test_modes_identical_random),
		cmocka_unit_test(test_greedy_continuation),
		cmocka_unit_test(test_config_limits),
		cmocka_unit_test(test_stacked_counters),
		cmocka_unit_test(test_stacked_cache_sizes),
		cmocka_unit_test(test_bundled_modes_identical),
		cmocka_unit_test(test_evicted_statuses),
		cmocka_unit_test(test_two_layers_by_hand),
		cmocka_unit_test(test_overflow_reported),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
