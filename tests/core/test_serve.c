/*
 * Serving (serve.h): every request's values equal its solo run in the
 * cache mode bit for bit (memcmp), whatever the batching, the prefix
 * cache and preemption do; the block pool never shares a block without
 * its reference count saying so and the holders holding the same tokens
 * there; no iteration passes its budget; the bundled scenarios' schedules
 * (which depend on prompts and sizes only, not on the weights); the
 * prefix cache's exact savings; and the scenario parser's messages.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kv_cache.h"
#include "model.h"
#include "run.h"
#include "serve.h"
#include "trace.h"

#define HAND KV_TEST_DIR "/data/serve-hand.ini"

static Scenario *load(const char *name)
{
	KvError err;
	kv_error_clear(&err);
	Scenario *s = scenario_load(name, &err);
	if (!s)
		fail_msg("%s: %s", name, err.msg);
	return s;
}

static ServeRun *run(const Scenario *s, ServeBatching b, bool compare)
{
	KvError err;
	kv_error_clear(&err);
	ServeConfig cfg = { .override_batching = true, .batching = b,
			    .cells = true, .compare = compare };
	ServeRun *r = serve_run(s, &cfg, &err);
	if (!r)
		fail_msg("%s: %s", s->source, err.msg);
	return r;
}

/* ---- the invariants every run must keep ---- */

/* Request k's values and tokens against its solo run in the cache mode;
 * returns the number of values compared. Every position 1..P+N−1 has K
 * and V of every layer and kv head (computed, recomputed or reused). */
static size_t assert_identical(const ServeRun *r, int k)
{
	const Scenario *s = serve_scenario(r);
	const ServeRequest *q = &s->req[k - 1];
	const Model *m = s->model;
	RunConfig rc = { .prompt = q->prompt, .prompt_n = q->prompt_n,
			 .generate = q->generate, .elem_bytes = 4 };
	KvError err;
	kv_error_clear(&err);
	Trace *t = run_trace(m, &rc, &err);
	if (!t)
		fail_msg("solo run of %s: %s", q->name, err.msg);
	const ServeOutcome *o = serve_outcome(r, k);
	assert_int_equal(o->n_tokens, q->prompt_n + q->generate);
	for (int p = 1; p <= o->n_tokens; p++)
		assert_int_equal(o->tokens[p - 1], trace_token(t, p));
	const ServeCell *c;
	size_t n = serve_cells(r, &c), compared = 0;
	for (size_t i = 0; i < n; i++) {
		if (c[i].req != k)
			continue;
		double want;
		if (!trace_value_at(t, c[i].layer, c[i].head, c[i].mat,
				    c[i].row, c[i].col, &want))
			fail_msg("%s: %s[%d,%d] has no solo value", q->name,
				 matrix_name(c[i].mat), c[i].row, c[i].col);
		if (memcmp(&want, &c[i].value, sizeof want) != 0)
			fail_msg("%s iteration %d %s[%d,%d] layer %d head %d: %.17g != %.17g",
				 q->name, c[i].iter, matrix_name(c[i].mat),
				 c[i].row, c[i].col, c[i].layer, c[i].head,
				 c[i].value, want);
		compared++;
	}
	int last = serve_iters(r);
	for (int p = 1; p < o->n_tokens; p++)
		for (int l = 1; l <= m->n_layers; l++)
			for (int g = 1; g <= m->n_kv_heads; g++) {
				ServeCell cell;
				assert_true(serve_cell(r, k, last, l, g, MAT_K, m->d_k, p, &cell));
				assert_true(serve_cell(r, k, last, l, g, MAT_V, m->d_v, p, &cell));
			}
	trace_free(t);
	return compared;
}

/* Holders of block b after iteration i, each at the same logical block
 * with the same tokens there; the reference count equals the holders. */
static void assert_block_sharing(const ServeRun *r, int i)
{
	const Scenario *s = serve_scenario(r);
	int B = s->block_size;
	for (int b = 1; b <= s->blocks; b++) {
		const ServeBlock *bl = serve_block(r, i, b);
		int holders = 0, first = 0, first_j = 0;
		uint32_t owners = 0;
		for (int k = 1; k <= s->n_requests; k++) {
			const ServeEntry *en = serve_entry(r, i, k);
			for (int j = 1; j <= en->table_n; j++) {
				if (en->table[j - 1] != b)
					continue;
				holders++;
				owners |= 1u << (k - 1);
				if (!first) {
					first = k;
					first_j = j;
					continue;
				}
				assert_int_equal(j, first_j);
				const int *x = serve_outcome(r, first)->tokens;
				const int *y = serve_outcome(r, k)->tokens;
				int lo = (j - 1) * B, hi = j * B;
				int h1 = serve_entry(r, i, first)->held;
				int h2 = en->held;
				if (hi > h1) hi = h1;
				if (hi > h2) hi = h2;
				assert_int_equal(hi - lo, B); /* shared blocks are full */
				assert_memory_equal(x + lo, y + lo, (size_t)B * sizeof *x);
			}
		}
		assert_int_equal(bl->refcount, holders);
		assert_int_equal(bl->owners, owners);
		assert_int_equal(bl->state == SERVE_BLOCK_USED, holders > 0);
		if (holders)
			assert_int_equal(bl->logical, first_j);
	}
}

static void assert_budget(const ServeRun *r, int i)
{
	const Scenario *s = serve_scenario(r);
	const ServeIter *it = serve_iter(r, i);
	int sum = 0;
	for (int k = 1; k <= s->n_requests; k++) {
		const ServeEntry *en = serve_entry(r, i, k);
		if (en->budget)
			assert_int_equal(en->hi - en->lo + 1, en->budget);
		sum += en->budget;
	}
	assert_int_equal(sum, it->tokens);
	assert_true(it->tokens <= s->max_tokens);
	assert_int_equal(it->blocks_used + it->blocks_cached + it->blocks_free,
			 s->blocks);
}

/* All the invariants, for one run. */
static void assert_sound(const ServeRun *r)
{
	const Scenario *s = serve_scenario(r);
	size_t compared = 0;
	for (int k = 1; k <= s->n_requests; k++)
		compared += assert_identical(r, k);
	size_t n_cells;
	const ServeCell *c;
	n_cells = serve_cells(r, &c);
	assert_int_equal(compared, n_cells);
	assert_true(n_cells > 0);
	for (int i = 1; i <= serve_iters(r); i++) {
		assert_block_sharing(r, i);
		assert_budget(r, i);
	}
}

/* Every combination of batching and prefix caching on one scenario. */
static void assert_sound_all(const char *name)
{
	Scenario *s = load(name);
	for (int pc = 0; pc <= 1; pc++) {
		s->prefix_caching = pc;
		for (int b = SERVE_CONTINUOUS; b <= SERVE_STATIC; b++) {
			ServeRun *r = run(s, (ServeBatching)b, false);
			assert_sound(r);
			serve_free(r);
		}
	}
	scenario_free(s);
}

static void test_default_sound(void **state)
{
	(void)state;
	assert_sound_all("default");
}

static void test_tight_sound(void **state)
{
	(void)state;
	assert_sound_all("tight");
}

static void test_hand_sound(void **state)
{
	(void)state;
	assert_sound_all(HAND);
}

/* ---- the bundled scenarios' schedules ---- */

static void test_default_continuous_beats_static(void **state)
{
	(void)state;
	Scenario *s = load("default");
	ServeRun *r = run(s, SERVE_CONTINUOUS, true);
	ServeSummary a = serve_summary(r), b;
	assert_true(serve_compare(r, &b));
	assert_int_equal(a.batching, SERVE_CONTINUOUS);
	assert_int_equal(b.batching, SERVE_STATIC);
	assert_int_equal(a.iterations, 5);
	assert_int_equal(b.iterations, 6);
	assert_true(a.iterations < b.iterations);
	static const int fa[] = { 3, 3, 5 }, fb[] = { 3, 5, 6 };
	static const int ta[] = { 1, 2, 4 }, tb[] = { 1, 4, 5 };
	assert_memory_equal(a.finish, fa, sizeof fa);
	assert_memory_equal(b.finish, fb, sizeof fb);
	assert_memory_equal(a.first_token, ta, sizeof ta);
	assert_memory_equal(b.first_token, tb, sizeof tb);
	/* static: batch {A} then {B, C}; B sits out C's last decode */
	assert_int_equal(a.padding, 0);
	assert_int_equal(b.padding, 1);
	assert_int_equal(a.tokens, 12);
	/* blocks of 2: iteration 3 holds A 1-5 (3 blocks, 1 slot empty), B
	 * 1-5 (block 1 shared, 2 of its own, 1 empty), C 1-2 (1 block) */
	static const int used[] = { 2, 3, 6, 2, 2 }, empty[] = { 1, 0, 2, 1, 0 };
	static const int cached[] = { 0, 0, 0, 3, 3 }, tokens[] = { 3, 3, 4, 1, 1 };
	for (int i = 1; i <= 5; i++) {
		const ServeIter *it = serve_iter(r, i);
		assert_int_equal(it->iteration, i);
		assert_int_equal(it->blocks_used, used[i - 1]);
		assert_int_equal(it->empty_slots, empty[i - 1]);
		assert_int_equal(it->blocks_cached, cached[i - 1]);
		assert_int_equal(it->tokens, tokens[i - 1]);
		assert_int_equal(it->pass.passes, (uint64_t)i); /* one pass each */
	}
	assert_null(serve_iter(r, 6));
	assert_null(serve_entry(r, 1, 4));
	assert_int_equal(serve_entry(r, 1, 2)->phase, SERVE_PENDING);
	assert_int_equal(serve_entry(r, 4, 1)->phase, SERVE_FINISHED);
	assert_true(serve_entry(r, 3, 1)->finished);
	assert_int_equal(serve_entry(r, 3, 1)->table_n, 3); /* still held in 3 */
	assert_int_equal(serve_entry(r, 4, 1)->table_n, 0);
	serve_free(r);
	scenario_free(s);
}

/* B = "the cat dog sat" shares A's first block ("the cat"): it adopts
 * it (refcount 2), its prefill starts at 3, and it computes 3 of its 5
 * positions. */
static void test_default_prefix_sharing(void **state)
{
	(void)state;
	Scenario *s = load("default");
	const Model *m = s->model;
	ServeRun *r = run(s, SERVE_CONTINUOUS, false);
	const ServeEntry *a = serve_entry(r, 2, 1), *b = serve_entry(r, 2, 2);
	assert_int_equal(b->phase, SERVE_PREFILL);
	assert_int_equal(b->reused, 2);
	assert_int_equal(b->lo, 3);
	assert_int_equal(b->hi, 4);
	assert_int_equal(b->table[0], a->table[0]);
	assert_int_equal(serve_block(r, 2, a->table[0])->refcount, 2);
	assert_int_equal(serve_block(r, 2, a->table[0])->owners, 3u);
	assert_int_not_equal(b->table[1], a->table[1]);
	assert_int_equal(serve_outcome(r, 2)->reused, 2);
	assert_int_equal(serve_outcome(r, 2)->computed, 3);
	assert_int_equal(serve_outcome(r, 1)->computed, 5);
	assert_int_equal(serve_iter(r, 2)->prefix_hits, 1);
	/* the reused cells: K and V of positions 1 and 2, nothing else */
	const ServeCell *c;
	size_t n = serve_cells(r, &c), reused = 0;
	for (size_t i = 0; i < n; i++) {
		if (c[i].req != 2)
			continue;
		if (c[i].col <= 2)
			assert_int_equal(c[i].status, CELL_REUSED);
		if (c[i].status == CELL_REUSED) {
			assert_true(c[i].mat == MAT_K || c[i].mat == MAT_V);
			assert_int_equal(c[i].iter, 2);
			assert_int_equal(c[i].block, a->table[0]);
			assert_int_equal(c[i].slot, c[i].col);
			reused++;
		}
	}
	assert_int_equal(reused, 2 * (size_t)(m->d_k + m->d_v) *
					 (size_t)m->n_layers * (size_t)m->n_kv_heads);
	/* A and B finish in 3: A's blocks go back, the hashed ones cached */
	assert_int_equal(serve_iter(r, 4)->blocks_cached, 3);
	serve_free(r);
	/* without the prefix cache B computes its whole prompt */
	s->prefix_caching = false;
	r = run(s, SERVE_CONTINUOUS, false);
	assert_int_equal(serve_entry(r, 2, 2)->lo, 1);
	assert_int_equal(serve_outcome(r, 2)->reused, 0);
	assert_int_equal(serve_outcome(r, 2)->computed, 5);
	assert_int_equal(serve_summary(r).prefix_hits, 0);
	for (int i = 1; i <= serve_iters(r); i++)
		assert_int_equal(serve_iter(r, i)->blocks_cached, 0);
	serve_free(r);
	scenario_free(s);
}

/* tight: four blocks of 2. In iteration 3 A's decode of position 5
 * needs a third block while B holds two: B, the later arrival, is
 * preempted, recomputed from position 1 in iteration 4, and its numbers
 * are still the solo run's (test_tight_sound). */
static void test_tight_preempts(void **state)
{
	(void)state;
	Scenario *s = load("tight");
	ServeRun *r = run(s, SERVE_CONTINUOUS, false);
	assert_int_equal(serve_summary(r).preemptions, 1);
	assert_int_equal(serve_outcome(r, 2)->preemptions, 1);
	assert_int_equal(serve_outcome(r, 1)->preemptions, 0);
	const ServeEntry *b3 = serve_entry(r, 3, 2), *b4 = serve_entry(r, 4, 2);
	assert_true(b3->preempted);
	assert_int_equal(b3->phase, SERVE_PREEMPTED);
	assert_int_equal(b3->table_n, 0);
	assert_int_equal(b3->held, 0);
	assert_int_equal(serve_entry(r, 3, 1)->phase, SERVE_DECODE);
	assert_int_equal(serve_iter(r, 3)->blocks_used, 3);
	assert_int_equal(b4->phase, SERVE_PREFILL);
	assert_int_equal(b4->lo, 1);
	assert_int_equal(b4->hi, 4);
	assert_int_equal(serve_iters(r), 5);
	assert_int_equal(serve_outcome(r, 2)->computed, 3 + 4 + 1);
	/* positions 1..3 of B come out again as recomputed, 4 is new */
	ServeCell c;
	assert_true(serve_cell(r, 2, 4, 1, 1, MAT_K, 1, 1, &c));
	assert_int_equal(c.status, CELL_RECOMPUTED);
	assert_int_equal(c.iter, 4);
	assert_true(serve_cell(r, 2, 3, 1, 1, MAT_K, 1, 1, &c));
	assert_int_equal(c.status, CELL_COMPUTED);
	assert_int_equal(c.iter, 2);
	assert_true(serve_cell(r, 2, 4, 1, 1, MAT_K, 1, 4, &c));
	assert_int_equal(c.status, CELL_COMPUTED);
	assert_false(serve_cell(r, 2, 1, 1, 1, MAT_K, 1, 1, &c));
	KvPlace pl;
	assert_false(serve_kv_place(r, 3, 2, 1, &pl));
	assert_true(serve_kv_place(r, 4, 2, 3, &pl));
	assert_int_equal(pl.slot, 1);
	assert_int_equal(pl.block, serve_entry(r, 4, 2)->table[1]);
	serve_free(r);
	scenario_free(s);
}

/* The hand-written scenario (its own two-layer model): P2 adopts one
 * block of P1's prompt (the second is not full yet), P4 one block (at
 * most ⌊(6−1)/3⌋), is preempted in iteration 5 and adopts it again. */
static void test_hand_prefix_and_preemption(void **state)
{
	(void)state;
	Scenario *s = load(HAND);
	ServeRun *r = run(s, SERVE_CONTINUOUS, true);
	assert_int_equal(serve_outcome(r, 1)->reused, 0);
	assert_int_equal(serve_outcome(r, 2)->reused, 3);
	assert_int_equal(serve_outcome(r, 3)->reused, 0);
	assert_int_equal(serve_outcome(r, 4)->reused, 6);
	assert_int_equal(serve_outcome(r, 4)->preemptions, 1);
	assert_true(serve_entry(r, 5, 4)->preempted);
	assert_int_equal(serve_entry(r, 6, 4)->reused, 3);
	assert_int_equal(serve_entry(r, 6, 4)->lo, 4);
	assert_int_equal(serve_summary(r).prefix_hits, 3);
	assert_int_equal(serve_iters(r), 7);
	ServeSummary st;
	assert_true(serve_compare(r, &st));
	assert_int_equal(st.iterations, 10);
	assert_int_equal(st.padding, 4);
	serve_free(r);
	scenario_free(s);
}

/* A pool of 3 blocks: A leaves two full blocks cached; B, with another
 * prompt, needs all three, so both cached blocks are evicted, the least
 * recently used first. */
static void test_cached_blocks_evicted(void **state)
{
	(void)state;
	static const char text[] =
		"[serve]\nblock_size = 2\nblocks = 3\nmax_tokens = 8\n"
		"[request A]\nprompt = the cat sat on\ngenerate = 1\n"
		"[request B]\nprompt = dog dog dog dog\ngenerate = 2\narrive = 3\n";
	KvError err;
	kv_error_clear(&err);
	Scenario *s = scenario_parse("evict.ini", text, strlen(text), &err);
	assert_non_null(s);
	ServeRun *r = run(s, SERVE_CONTINUOUS, false);
	assert_int_equal(serve_iter(r, 2)->blocks_cached, 2);
	assert_int_equal(serve_iter(r, 2)->evictions, 0);
	assert_int_equal(serve_iter(r, 3)->evictions, 1); /* 4 positions: 2 blocks */
	assert_int_equal(serve_iter(r, 3)->blocks_cached, 1);
	assert_int_equal(serve_iters(r), 4);
	assert_int_equal(serve_iter(r, 4)->evictions, 2);
	assert_int_equal(serve_iter(r, 4)->blocks_cached, 0);
	assert_int_equal(serve_outcome(r, 2)->reused, 0);
	assert_sound(r);
	serve_free(r);
	scenario_free(s);
}

/* ---- the parser ---- */

#define HEAD "[serve]\nblock_size = 2\nblocks = 4\nmax_tokens = 4\n"
#define REQ "[request A]\nprompt = the cat\ngenerate = 2\n"

static void expect_error(const char *text, int code, const char *msg)
{
	KvError err;
	kv_error_clear(&err);
	Scenario *s = scenario_parse("t.ini", text, strlen(text), &err);
	assert_null(s);
	assert_int_equal(err.code, code);
	assert_string_equal(err.msg, msg);
}

static void test_parse_errors(void **state)
{
	(void)state;
	expect_error(HEAD REQ "[bogus]\n", EX_DATAERR,
		     "t.ini:8: unknown section [bogus]; expected [serve] or [request NAME]");
	expect_error(HEAD "speed = 3\n" REQ, EX_DATAERR,
		     "t.ini:5: unknown key 'speed' in [serve]; expected model, block_size, blocks, max_tokens, batching, max_batch or prefix_caching");
	expect_error(HEAD REQ "when = 2\n", EX_DATAERR,
		     "t.ini:8: unknown key 'when' in [request A]; expected prompt, generate or arrive");
	expect_error("[serve]\nblock_size = 0\nblocks = 4\nmax_tokens = 4\n" REQ,
		     EX_DATAERR, "t.ini:2: block_size = 0 is outside the limits 1..64");
	expect_error("[serve]\nblock_size = 2\nblocks = 0\nmax_tokens = 4\n" REQ,
		     EX_DATAERR, "t.ini:3: blocks = 0 is outside the limits 1..256");
	expect_error(HEAD "max_tokens = 0\n" REQ, EX_DATAERR,
		     "t.ini:5: a second max_tokens (the first is on line 4)");
	expect_error("[serve]\nblock_size = 2\nblocks = 4\nmax_tokens = 0\n" REQ,
		     EX_DATAERR, "t.ini:4: max_tokens = 0 is outside the limits 1..1024");
	expect_error(HEAD "[request A]\nprompt = the\ngenerate = 0\n", EX_DATAERR,
		     "t.ini:7: generate = 0 is outside the limits 1..1024");
	expect_error(HEAD "[request A]\nprompt = the\ngenerate = two\n", EX_DATAERR,
		     "t.ini:7: generate: expected a whole number, got 'two'");
	expect_error(HEAD REQ REQ, EX_DATAERR,
		     "t.ini:8: a second request named A (the first is on line 5)");
	expect_error(HEAD "[serve]\n" REQ, EX_DATAERR,
		     "t.ini:5: a second [serve] section (the first is on line 1)");
	expect_error(HEAD "batching = dynamic\n" REQ, EX_DATAERR,
		     "t.ini:5: batching: expected continuous or static, got 'dynamic'");
	expect_error(HEAD "prefix_caching = yes\n" REQ, EX_DATAERR,
		     "t.ini:5: prefix_caching: expected on or off, got 'yes'");
	expect_error(HEAD "[request A]\nprompt = the bird\ngenerate = 2\n",
		     EX_DATAERR, "t.ini:6: prompt word 'bird' is not in the vocab");
	expect_error(HEAD "[request A]\ngenerate = 2\n", EX_DATAERR,
		     "t.ini:5: [request A] has no prompt");
	expect_error(HEAD "[request A]\nprompt = the\n", EX_DATAERR,
		     "t.ini:5: [request A] has no generate");
	expect_error("[serve]\nblock_size = 2\nblocks = 4\n" REQ, EX_DATAERR,
		     "t.ini:1: [serve] has no max_tokens");
	expect_error(HEAD, EX_DATAERR,
		     "t.ini:4: no [request NAME] section: a scenario needs at least one request");
	expect_error(REQ, EX_DATAERR, "t.ini:1: no [serve] section");
	expect_error("block_size = 2\n" HEAD REQ, EX_DATAERR,
		     "t.ini:1: 'block_size' comes before any section");
	expect_error(HEAD "[request A*]\nprompt = the\ngenerate = 1\n", EX_DATAERR,
		     "t.ini:5: request name 'A*': 1 to 15 letters, digits, '_', '-' or '.'");
	/* 4 blocks of 2 hold 8 positions; the cat + 8 generated needs 9 */
	expect_error(HEAD "[request A]\nprompt = the cat\ngenerate = 8\n",
		     EX_DATAERR,
		     "t.ini:5: request A can never fit the pool: 9 positions need 5 blocks of 2, the pool has 4");
	expect_error(HEAD "model = local-global\n" REQ, EX_DATAERR,
		     "t.ini:5: model local-global has a sliding window in layer 1; serving pages global layers only");
	expect_error(HEAD "model = ./no-such-model.ini\n" REQ, EX_NOINPUT,
		     "t.ini:5: model: ./no-such-model.ini: cannot open: No such file or directory");
	expect_error(HEAD "model = nosuch\n" REQ, EX_NOINPUT,
		     "t.ini:5: model: nosuch: not a bundled model (default, gqa, mqa, local-global, streaming, rope); to read a file, give a path such as ./nosuch");
	char longline[400];
	snprintf(longline, sizeof longline, HEAD "[request A]\nprompt = %0250d\n", 0);
	KvError err;
	kv_error_clear(&err);
	assert_null(scenario_parse("t.ini", longline, strlen(longline), &err));
	assert_int_equal(err.code, EX_DATAERR);
	assert_true(strncmp(err.msg, "t.ini:6: ", 9) == 0);
}

static void test_parse_defaults_and_names(void **state)
{
	(void)state;
	static const char text[] = HEAD "[request A]\nprompt = the cat\ngenerate = 2\n"
				   "[request b-2]\nprompt = cat\ngenerate = 1\narrive = 4\n";
	KvError err;
	kv_error_clear(&err);
	Scenario *s = scenario_parse("dir/t.ini", text, strlen(text), &err);
	assert_non_null(s);
	assert_string_equal(s->name, "t");
	assert_string_equal(s->model->name, "classroom");
	assert_int_equal(s->batching, SERVE_CONTINUOUS);
	assert_int_equal(s->max_batch, 4);
	assert_true(s->prefix_caching);
	assert_int_equal(s->n_requests, 2);
	assert_int_equal(s->req[0].arrive, 1);
	assert_int_equal(s->req[0].prompt_n, 2);
	assert_int_equal(s->req[1].arrive, 4);
	assert_string_equal(s->req[1].name, "b-2");
	assert_int_equal(s->req[1].line, 8);
	scenario_free(s);
	assert_null(scenario_load("nosuch", &err));
	assert_int_equal(err.code, EX_NOINPUT);
	/* a model path is read relative to the scenario's directory */
	s = load(HAND);
	assert_string_equal(s->model->name, "serve two-layer");
	assert_int_equal(s->n_requests, 4);
	scenario_free(s);
}

/* ---- the cache's prefix operations ---- */

static void test_kv_cache_keep_and_adopt(void **state)
{
	(void)state;
	KvCacheSpec sp = { .n_layers = 1, .n_kv_heads = 1, .d_k = 1, .d_v = 1,
			   .max_seqs = 2, .max_pos = 8, .block_size = 2,
			   .n_blocks = 2 };
	KvError err;
	kv_error_clear(&err);
	KvCache *c = kv_cache_new(&sp, NULL, &err);
	assert_non_null(c);
	int pos;
	double k1 = 1, v1 = 2;
	assert_int_equal(kv_cache_append(c, 1, &pos, &err), 0);
	assert_int_equal(kv_cache_write(c, 1, 1, 1, 1, &k1, &v1, &err), 0);
	assert_int_equal(kv_cache_append(c, 1, &pos, &err), 0);
	assert_int_equal(kv_cache_keep(c, 1, true, &err), 0);
	kv_cache_free_seq(c, 1);
	assert_int_equal(kv_cache_block_refs(c, 1), 0);
	assert_true(kv_cache_kept(c, 1));
	/* appends skip the kept block */
	assert_int_equal(kv_cache_append(c, 2, &pos, &err), 0);
	const int *table;
	assert_int_equal(kv_cache_block_table(c, 2, &table), 1);
	assert_int_equal(table[0], 2);
	kv_cache_free_seq(c, 2);
	assert_int_equal(kv_cache_append(c, 2, &pos, &err), 0);
	assert_int_equal(kv_cache_append(c, 2, &pos, &err), 0);
	assert_int_equal(kv_cache_append(c, 2, &pos, &err), EX_TEMPFAIL);
	kv_cache_free_seq(c, 2);
	/* adopting it gives its contents back */
	assert_int_equal(kv_cache_adopt(c, 2, 1, &err), 0);
	assert_int_equal(kv_cache_len(c, 2), 2);
	assert_int_equal(kv_cache_block_refs(c, 1), 1);
	assert_true(*kv_cache_k(c, 2, 1, 1, 1) == 1.0);
	assert_true(*kv_cache_v(c, 2, 1, 1, 1) == 2.0);
	assert_int_equal(kv_cache_append(c, 2, &pos, &err), 0);
	assert_int_equal(pos, 3);
	assert_int_equal(kv_cache_adopt(c, 2, 1, &err), EX_USAGE); /* len 3 */
	kv_error_clear(&err);
	assert_int_equal(kv_cache_adopt(c, 1, 3, &err), EX_USAGE); /* no block 3 */
	assert_int_equal(kv_cache_keep(c, 0, true, &err), EX_USAGE);
	kv_cache_free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_default_sound),
		cmocka_unit_test(test_tight_sound),
		cmocka_unit_test(test_hand_sound),
		cmocka_unit_test(test_default_continuous_beats_static),
		cmocka_unit_test(test_default_prefix_sharing),
		cmocka_unit_test(test_tight_preempts),
		cmocka_unit_test(test_hand_prefix_and_preemption),
		cmocka_unit_test(test_cached_blocks_evicted),
		cmocka_unit_test(test_parse_errors),
		cmocka_unit_test(test_parse_defaults_and_names),
		cmocka_unit_test(test_kv_cache_keep_and_adopt),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
