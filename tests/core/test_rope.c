/*
 * Rotary positions (rope.h): every rotation of the bundled RoPE model
 * against cos and sin written out here, the relative-position identity,
 * the three modes bit for bit, the context shift against a fresh run, and
 * the model-file errors of the `rope` key.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine.h"
#include "model.h"
#include "rope.h"
#include "rope_shift.h"
#include "run.h"
#include "trace.h"

static Model *load_rope(void)
{
	KvError err;
	kv_error_clear(&err);
	Model *m = model_load_file(KV_DATA_DIR "/rope.ini", &err);
	if (!m)
		fail_msg("%s", err.msg);
	return m;
}

static Trace *trace_of(const Model *m)
{
	KvError err;
	kv_error_clear(&err);
	RunConfig cfg = run_config_default(m);
	Trace *t = run_trace(m, &cfg, &err);
	if (!t)
		fail_msg("%s", err.msg);
	return t;
}

static double cell(const Trace *t, Matrix mat, int r, int c)
{
	double v = NAN;
	assert_true(trace_value(t, mat, r, c, &v));
	return v;
}

/* The bundled model's header: base 100 over d_k = 4 gives θ = 1, 0.1. */
static void test_model_and_angles(void **state)
{
	(void)state;
	Model *m = load_rope();
	assert_true(m->rope == 100.0);
	assert_int_equal(m->d_k, 4);
	assert_int_equal(m->pos_n, 0);
	assert_true(rope_theta(100, 4, 1) == 1.0);
	assert_true(fabs(rope_theta(100, 4, 2) - 0.1) < 1e-15);
	assert_true(rope_angle(100, 4, 1, 1) == 0.0);
	assert_true(rope_angle(100, 4, 1, 5) == 4.0);
	assert_true(fabs(rope_angle(100, 4, 2, 5) - 0.4) < 1e-15);
	/* base 10000 and d_k = 8 as in the papers: θ3 = 10000^(-1/2) */
	assert_true(fabs(rope_theta(10000, 8, 3) - 0.01) < 1e-15);
	model_free(m);
}

/* (1, 0) at position p turns to (cos(p-1), sin(p-1)); back by -(p-1). */
static void test_turn_unit_vector(void **state)
{
	(void)state;
	for (int p = 1; p <= 9; p++) {
		double v[2] = { 1, 0 };
		rope_rotate(v, 2, 10000, p);
		assert_true(fabs(v[0] - cos(p - 1)) < 1e-15);
		assert_true(fabs(v[1] - sin(p - 1)) < 1e-15);
		rope_turn(v, 2, 10000, -(p - 1));
		assert_true(fabs(v[0] - 1) < 1e-15 && fabs(v[1]) < 1e-15);
	}
}

/*
 * Every Q and K cell of the run against the formula of the issue, from
 * Qr and Kr: q'(2i-1) = q(2i-1)·cos a − q(2i)·sin a, q'(2i) = q(2i-1)·sin a
 * + q(2i)·cos a, a = (p−1)·100^(−2(i−1)/4).
 */
static void test_rotation_direct(void **state)
{
	(void)state;
	Model *m = load_rope();
	Trace *t = trace_of(m);
	static const Matrix raw[2] = { MAT_QR, MAT_KR };
	static const Matrix turned[2] = { MAT_Q, MAT_K };
	int checked = 0;
	for (int k = 0; k < 2; k++)
		for (int p = 1; p <= trace_steps(t); p++)
			for (int i = 1; i <= 2; i++) {
				double a = (p - 1) * pow(100.0, -2.0 * (i - 1) / 4);
				double x = cell(t, raw[k], 2 * i - 1, p);
				double y = cell(t, raw[k], 2 * i, p);
				double want1 = x * cos(a) - y * sin(a);
				double want2 = x * sin(a) + y * cos(a);
				assert_true(fabs(cell(t, turned[k], 2 * i - 1, p) - want1) < 1e-12);
				assert_true(fabs(cell(t, turned[k], 2 * i, p) - want2) < 1e-12);
				checked += 2;
			}
	assert_int_equal(checked, 2 * 9 * 4);
	/* the raw values are integers (integer weights and embeddings) */
	assert_true(cell(t, MAT_QR, 2, 1) == 2.0);  /* "she": W_Q row 2 */
	assert_true(cell(t, MAT_KR, 1, 1) == 2.0);
	/* position 1 is not turned: the same bits */
	for (int r = 1; r <= 4; r++) {
		double a = cell(t, MAT_Q, r, 1), b = cell(t, MAT_QR, r, 1);
		assert_memory_equal(&a, &b, sizeof a);
	}
	/* q5 row 1 by hand: Qr(:,5) = (0, 2, 0, -1)... read, then turned by 4 rad */
	double q1 = cell(t, MAT_QR, 1, 5), q2 = cell(t, MAT_QR, 2, 5);
	assert_true(fabs(cell(t, MAT_Q, 1, 5) - (q1 * cos(4) - q2 * sin(4))) < 1e-12);
	trace_free(t);
	model_free(m);
}

/* "do" at 3 and 6, "mi" at 5 and 8: the same score two apart. */
static void test_relative_position(void **state)
{
	(void)state;
	Model *m = load_rope();
	Trace *t = trace_of(m);
	assert_int_equal(trace_token(t, 3), trace_token(t, 6));
	assert_int_equal(trace_token(t, 5), trace_token(t, 8));
	double a = cell(t, MAT_S, 3, 5), b = cell(t, MAT_S, 6, 8);
	assert_true(fabs(a - b) < 1e-12);
	assert_true(fabs(a - -2.4083682433207) < 1e-12);
	/* but the turned keys themselves differ: the position is in them */
	assert_true(fabs(cell(t, MAT_K, 1, 3) - cell(t, MAT_K, 1, 6)) > 0.5);
	/* any pair of vectors: q at p+d against k at p, for p = 1..20 */
	double q0[4] = { 0.5, -1, 2, 0.25 }, k0[4] = { 1, 3, -0.5, 2 };
	for (int d = 0; d <= 3; d++) {
		double first = 0;
		for (int p = 1; p <= 20; p++) {
			double q[4], k[4];
			memcpy(q, q0, sizeof q);
			memcpy(k, k0, sizeof k);
			rope_rotate(q, 4, 100, p + d);
			rope_rotate(k, 4, 100, p);
			double s = q[0] * k[0] + q[1] * k[1] + q[2] * k[2] + q[3] * k[3];
			if (p == 1)
				first = s;
			assert_true(fabs(s - first) < 1e-12);
		}
	}
	trace_free(t);
	model_free(m);
}

/* The three modes agree bit for bit: the trace compares every write of
 * every mode with memcmp; an engine run in one pass against one run
 * position by position is compared here too. */
static void test_modes_bit_identical(void **state)
{
	(void)state;
	Model *m = load_rope();
	Trace *t = trace_of(m);
	assert_int_equal(trace_mismatches(t), 0);
	int T = trace_steps(t);
	int tokens[16];
	for (int p = 1; p <= T; p++)
		tokens[p - 1] = trace_token(t, p);
	Engine *one = engine_new(m, T, true, 4, NULL);
	Engine *step = engine_new(m, T, true, 4, NULL);
	Counters c;
	PassInfo info;
	engine_pass(one, tokens, 1, T, NULL, &c, &info);
	for (int p = 1; p <= T; p++)
		engine_pass(step, tokens, p, p, NULL, &c, &info);
	static const Matrix mats[] = { MAT_Q, MAT_K, MAT_V, MAT_Z };
	for (size_t i = 0; i < sizeof mats / sizeof *mats; i++)
		for (int p = 1; p <= T; p++) {
			int rows = mats[i] == MAT_V || mats[i] == MAT_Z ? m->d_v
									 : m->d_k;
			const double *a = engine_column(one, mats[i], 1, 1, p);
			const double *b = engine_column(step, mats[i], 1, 1, p);
			assert_non_null(a);
			assert_non_null(b);
			assert_memory_equal(a, b, (size_t)rows * sizeof *a);
			double v;
			assert_true(trace_value(t, mats[i], 1, p, &v));
			assert_memory_equal(&v, a, sizeof v);
		}
	assert_memory_equal(engine_logits(one), engine_logits(step),
			    (size_t)m->vocab_n * sizeof(double));
	engine_free(one);
	engine_free(step);
	trace_free(t);
	model_free(m);
}

/* Decimals written into worksheets/8-rope.txt: the cos/sin table and the
 * q of question 4 (Qr of q5 turned by 2 positions), against the program. */
static void test_sheet_decimals(void **state)
{
	(void)state;
	Model *m = load_rope();
	Trace *t = trace_of(m);
	static const double angle[4] = { 2, 4, 0.2, 0.4 };
	static const double cos4[4] = { -0.4161, -0.6536, 0.9801, 0.9211 };
	static const double sin4[4] = { 0.9093, -0.7568, 0.1987, 0.3894 };
	for (int i = 0; i < 4; i++) {
		assert_true(fabs(cos(angle[i]) - cos4[i]) < 5e-5);
		assert_true(fabs(sin(angle[i]) - sin4[i]) < 5e-5);
	}
	double q[4], k[4];
	for (int r = 1; r <= 4; r++) {
		q[r - 1] = cell(t, MAT_QR, r, 5);
		k[r - 1] = cell(t, MAT_KR, r, 3);
	}
	rope_turn(q, 4, m->rope, 2);
	static const double written[4] = { -0.4932, -1.3254, -0.5827, -2.1588 };
	for (int r = 0; r < 4; r++)
		assert_true(fabs(q[r] - written[r]) < 5e-5);
	double s = 0.5 * (q[0] * k[0] + q[1] * k[1] + q[2] * k[2] + q[3] * k[3]);
	assert_true(fabs(s - -2.4084) < 5e-5);
	assert_true(fabs(s - cell(t, MAT_S, 3, 5)) < 1e-12);
	trace_free(t);
	model_free(m);
}

static RopeShift *shift_of(const Model *m, const Trace *t, int ctx, int n)
{
	int tokens[KV_MAX_TOKENS];
	for (int p = 1; p <= trace_steps(t); p++)
		tokens[p - 1] = trace_token(t, p);
	KvError err;
	kv_error_clear(&err);
	RopeShift *rs = rope_shift_run(m, tokens, trace_steps(t), ctx, n, &err);
	if (!rs)
		fail_msg("%s", err.msg);
	return rs;
}

/*
 * --ctx 6 --shift 2 over the 9 positions: the cache is full when token 7
 * comes (1..6 held): 1, 2 go, 3..6 turn back by 2; 7, 8 join; full again
 * when 9 comes (3..8): 3, 4 go, 5..8 turn back. Every step's K and scores
 * equal a fresh run over the kept tokens within 1e-12 (one layer, no
 * position rows: raw k depends on the token only).
 */
static void test_shift_against_fresh(void **state)
{
	(void)state;
	Model *m = load_rope();
	Trace *t = trace_of(m);
	RopeShift *rs = shift_of(m, t, 6, 2);
	assert_int_equal(rope_shift_count(rs), 2);
	static const int kept_lo[9] = { 1, 1, 1, 1, 1, 1, 3, 3, 5 };
	static const int offset[9] = { 0, 0, 0, 0, 0, 0, 2, 2, 4 };
	for (int s = 1; s <= 9; s++) {
		const RopeShiftStep *st = rope_shift_step(rs, s);
		assert_int_equal(st->kept_lo, kept_lo[s - 1]);
		assert_int_equal(st->offset, offset[s - 1]);
		assert_int_equal(st->chosen, st->fresh_chosen);
		assert_true(st->max_k < 1e-12);
		assert_true(st->max_s < 1e-12);
		assert_true(st->max_logit < 1e-12);
		if (s <= 6) /* before any shift: the very same computation */
			assert_true(st->max_k == 0 && st->max_s == 0);
	}
	assert_true(rope_shift_max_diff(rs) < 1e-12);
	assert_true(rope_shift_max_diff(rs) > 0); /* turning back rounds */
	/* statuses at step 7 and 9 */
	assert_int_equal(rope_shift_status(rs, 7, 1), CELL_EVICTED);
	assert_int_equal(rope_shift_status(rs, 7, 2), CELL_EVICTED);
	for (int c = 3; c <= 6; c++)
		assert_int_equal(rope_shift_status(rs, 7, c), CELL_SHIFTED);
	assert_int_equal(rope_shift_status(rs, 7, 7), CELL_COMPUTED);
	assert_int_equal(rope_shift_status(rs, 8, 7), CELL_REUSED);
	assert_int_equal(rope_shift_status(rs, 6, 3), CELL_REUSED);
	assert_int_equal(rope_shift_status(rs, 9, 7), CELL_SHIFTED);
	assert_int_equal(rope_shift_status(rs, 9, 10), CELL_ABSENT);
	/* k3 in the cache at step 7 is k3 turned as position 1: the raw k */
	double sh, fr;
	assert_true(rope_shift_k(rs, 7, 1, 1, 1, 3, &sh, &fr));
	assert_true(fabs(sh - cell(t, MAT_KR, 1, 3)) < 1e-12);
	assert_true(fr == cell(t, MAT_KR, 1, 3)); /* position 1: not turned */
	assert_false(rope_shift_k(rs, 7, 1, 1, 1, 2, &sh, &fr));
	/* the score of k3 for q7 in the shift (positions 1 and 5) = S[3,7]
	 * of the run: the same tokens 4 apart */
	assert_true(rope_shift_s(rs, 7, 1, 1, 3, &sh, &fr));
	assert_true(fabs(sh - cell(t, MAT_S, 3, 7)) < 1e-12);
	assert_true(fabs(fr - cell(t, MAT_S, 3, 7)) < 1e-12);
	assert_false(rope_shift_s(rs, 7, 1, 1, 2, &sh, &fr));
	rope_shift_free(rs);
	trace_free(t);
	model_free(m);
}

static const char two_layers[] =
	"[model]\nvocab = a b c\nd_model = 2\nd_k = 2\nd_v = 2\n"
	"prompt = a b c a b\ngenerate = 1\nrope = 10\nn_layers = 2\n"
	"[embedding]\na = 1 0\nb = 0 1\nc = 1 1\n"
	"[L1.H1.W_Q]\nrow = 1 0\nrow = 0 1\n[L1.H1.W_K]\nrow = 1 1\nrow = 0 1\n"
	"[L1.H1.W_V]\nrow = 1 0\nrow = 1 -1\n[L1.W_O]\nrow = 1 0\nrow = 0 1\n"
	"[L2.H1.W_Q]\nrow = 1 0\nrow = 0 1\n[L2.H1.W_K]\nrow = 1 1\nrow = 0 1\n"
	"[L2.H1.W_V]\nrow = 1 0\nrow = 1 -1\n[L2.W_O]\nrow = 1 0\nrow = 0 1\n"
	"[W_out]\na = 1 0\nb = 0 1\nc = 1 1\n";

/* With two layers, layer 2's k depends on the dropped tokens: the shift
 * is no longer a fresh run (here by more than 1e-3). */
static void test_shift_two_layers(void **state)
{
	(void)state;
	KvError err;
	Model *m = model_parse("t.ini", two_layers, sizeof two_layers - 1, &err);
	if (!m)
		fail_msg("%s", err.msg);
	Trace *t = trace_of(m);
	assert_int_equal(trace_mismatches(t), 0);
	RopeShift *rs = shift_of(m, t, 4, 2);
	assert_int_equal(rope_shift_count(rs), 1);
	const RopeShiftStep *st = rope_shift_step(rs, 5);
	assert_true(st->max_k > 1e-3);
	rope_shift_free(rs);
	trace_free(t);
	model_free(m);
}

static void test_shift_refusals(void **state)
{
	(void)state;
	Model *m = load_rope();
	int tokens[3] = { 0, 1, 2 };
	KvError err;
	kv_error_clear(&err);
	assert_null(rope_shift_run(m, tokens, 3, 2, 2, &err));
	assert_int_equal(err.code, EX_USAGE);
	assert_string_equal(err.msg, "--shift N needs --ctx C with 1 <= N < C (got C = 2, N = 2)");
	KvError err2;
	Model *d = model_load_default(&err2);
	kv_error_clear(&err);
	assert_null(rope_shift_run(d, tokens, 3, 4, 1, &err));
	assert_string_equal(err.msg, "--shift turns cached keys back: it needs a model with rope (e.g. -m rope)");
	Engine *e = engine_new(d, 3, true, 4, NULL);
	kv_error_clear(&err);
	assert_int_equal(engine_shift(e, 1, 1, NULL, &err), EX_USAGE);
	engine_free(e);
	model_free(d);
	model_free(m);
}

static const char base_text[] =
	"[model]\nvocab = a b\nd_model = 2\nd_k = 2\nd_v = 1\n"
	"prompt = a b\nrope = 10\n"                              /* 6, 7 */
	"[embedding]\na = 1 0\nb = 0 1\n"
	"[W_Q]\nrow = 1 0\nrow = 0 1\n[W_K]\nrow = 1 1\nrow = 0 1\n"
	"[W_V]\nrow = 2 1\n[W_out]\na = 1\nb = -1\n";

static void expect_error(const char *text, const char *msg)
{
	KvError err;
	kv_error_clear(&err);
	Model *m = model_parse("t.ini", text, strlen(text), &err);
	assert_null(m);
	assert_int_equal(err.code, EX_DATAERR);
	assert_string_equal(err.msg, msg);
}

/* `base_text` with `from` replaced by `to` (once). */
static char *edited(const char *from, const char *to)
{
	const char *at = strstr(base_text, from);
	assert_non_null(at);
	char *out = malloc(sizeof base_text + strlen(to));
	size_t head = (size_t)(at - base_text);
	memcpy(out, base_text, head);
	strcpy(out + head, to);
	strcat(out, at + strlen(from));
	return out;
}

static void test_model_errors(void **state)
{
	(void)state;
	KvError err;
	Model *ok = model_parse("t.ini", base_text, sizeof base_text - 1, &err);
	assert_non_null(ok);
	assert_true(ok->rope == 10.0);
	model_free(ok);
	char *odd = edited("d_k = 2\n", "d_k = 3\n");
	expect_error(odd, "t.ini:7: rope rotates pairs of rows, so d_k must be even; d_k = 3");
	free(odd);
	char *one = edited("rope = 10", "rope = 1");
	expect_error(one, "t.ini:7: rope: expected one base greater than 1 (e.g. rope = 10000), got '1'");
	free(one);
	char *two = edited("rope = 10", "rope = 10 20");
	expect_error(two, "t.ini:7: rope: expected one base greater than 1 (e.g. rope = 10000), got '10 20'");
	free(two);
	char *word = edited("rope = 10", "rope = yes");
	expect_error(word, "t.ini:7: rope: expected one base greater than 1 (e.g. rope = 10000), got 'yes'");
	free(word);
	char *hex = edited("rope = 10", "rope = 0x10");
	expect_error(hex, "t.ini:7: rope: expected one base greater than 1 (e.g. rope = 10000), got '0x10'");
	free(hex);
	char *pos = edited("[W_out]", "[position]\n1 = 0 0\n2 = 0 0\n[W_out]");
	expect_error(pos, "t.ini:19: a RoPE model (rope on line 7) gets its positions from the rotation; remove [position] or rope");
	free(pos);
	char *twice = edited("rope = 10", "rope = 10\nrope = 20");
	expect_error(twice, "t.ini:8: key given twice in [model] (first on line 7)");
	free(twice);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_model_and_angles),
		cmocka_unit_test(test_turn_unit_vector),
		cmocka_unit_test(test_rotation_direct),
		cmocka_unit_test(test_relative_position),
		cmocka_unit_test(test_modes_bit_identical),
		cmocka_unit_test(test_sheet_decimals),
		cmocka_unit_test(test_shift_against_fresh),
		cmocka_unit_test(test_shift_two_layers),
		cmocka_unit_test(test_shift_refusals),
		cmocka_unit_test(test_model_errors),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
