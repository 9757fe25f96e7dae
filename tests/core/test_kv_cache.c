/*
 * The KV cache object on its own: the slot map of each policy with exact
 * block and slot numbers, paged sharing with reference counts and
 * copy-on-write, pool exhaustion, rollback, and a gather of a paged
 * sequence that is bit-identical to the contiguous one.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "kv_cache.h"

enum { G = 2, DK = 2, DV = 3, MAXPOS = 8 };

/* Events a sink saw, for exact assertions. */
typedef struct Log {
	KvEvent ev[256];
	int n;
} Log;

static void log_event(void *ctx, const KvEvent *ev)
{
	Log *log = ctx;
	if (log->n < 256)
		log->ev[log->n++] = *ev;
}

/* A value no two columns share: seq, layer, head, pos and row in digits. */
static double val(int seq, int layer, int head, int pos, int row, bool k)
{
	return (k ? 0.5 : -0.25) + seq * 10000 + layer * 1000 + head * 100 +
	       pos * 10 + row;
}

static void write_col(KvCache *c, int seq, int layer, int pos, int salt)
{
	for (int h = 1; h <= G; h++) {
		double k[DK], v[DV];
		for (int r = 0; r < DK; r++)
			k[r] = val(seq + salt, layer, h, pos, r, true);
		for (int r = 0; r < DV; r++)
			v[r] = val(seq + salt, layer, h, pos, r, false);
		KvError err = { 0 };
		assert_int_equal(kv_cache_write(c, seq, layer, h, pos, k, v, &err), 0);
	}
}

/* Appends positions to seq and writes every layer's column. */
static void fill(KvCache *c, int seq, int n, int layers)
{
	for (int i = 0; i < n; i++) {
		int pos = 0;
		assert_int_equal(kv_cache_append(c, seq, &pos, NULL), 0);
		for (int l = 1; l <= layers; l++)
			write_col(c, seq, l, pos, 0);
	}
}

static KvCacheSpec paged_spec(void)
{
	return (KvCacheSpec){ .n_layers = 2, .n_kv_heads = G, .d_k = DK,
			      .d_v = DV, .max_seqs = 3, .max_pos = MAXPOS,
			      .block_size = 2, .n_blocks = 4 };
}

static void assert_place(const KvCache *c, int seq, int layer, int pos,
			 int block, int slot)
{
	KvPlace p = { 0, 0 };
	assert_true(kv_cache_where(c, seq, layer, pos, &p));
	assert_int_equal(p.block, block);
	assert_int_equal(p.slot, slot);
}

static void test_paged_slots(void **state)
{
	(void)state;
	KvCacheSpec s = paged_spec();
	KvCache *c = kv_cache_new(&s, NULL, NULL);
	assert_non_null(c);
	assert_int_equal(kv_cache_policy(c, 1), KV_PAGED);
	fill(c, 1, 5, 2);
	const int *table = NULL;
	assert_int_equal(kv_cache_block_table(c, 1, &table), 3);
	assert_int_equal(table[0], 1);
	assert_int_equal(table[1], 2);
	assert_int_equal(table[2], 3);
	assert_place(c, 1, 1, 1, 1, 1);
	assert_place(c, 1, 2, 2, 1, 2);
	assert_place(c, 1, 1, 3, 2, 1);
	assert_place(c, 1, 2, 5, 3, 1);
	assert_int_equal(kv_cache_blocks_free(c), 1);
	assert_int_equal(kv_cache_block_refs(c, 3), 1);
	assert_int_equal(kv_cache_block_refs(c, 4), 0);
	assert_int_equal(kv_cache_block_refs(c, 5), -1);
	/* 5 columns × 2 layers × 2 heads × (2 + 3) */
	assert_int_equal(kv_cache_cells(c), 100);
	assert_true(kv_cache_k(c, 1, 1, 2, 5)[1] == val(1, 1, 2, 5, 1, true));
	assert_null(kv_cache_k(c, 1, 1, 2, 6));
	kv_cache_free(c);
}

static void test_paged_sharing(void **state)
{
	(void)state;
	KvCacheSpec s = paged_spec();
	Log log = { .n = 0 };
	KvEventSink sink = { log_event, &log };
	KvCache *c = kv_cache_new(&s, &sink, NULL);
	fill(c, 1, 5, 2);
	assert_int_equal(kv_cache_fork(c, 1, 2, NULL), 0);
	for (int b = 1; b <= 3; b++)
		assert_int_equal(kv_cache_block_refs(c, b), 2);
	assert_place(c, 2, 1, 5, 3, 1);
	assert_int_equal(kv_cache_len(c, 2), 5);
	/* the child writes position 6 into shared block 3: it gets a copy */
	int pos = 0;
	assert_int_equal(kv_cache_append(c, 2, &pos, NULL), 0);
	assert_int_equal(pos, 6);
	log.n = 0;
	write_col(c, 2, 1, 6, 50);
	assert_int_equal(log.ev[0].kind, KV_EV_COPY);
	assert_int_equal(log.ev[0].from, 3);
	assert_int_equal(log.ev[0].place.block, 4);
	assert_int_equal(log.ev[1].kind, KV_EV_WRITE);
	assert_int_equal(log.ev[1].place.block, 4);
	assert_int_equal(log.ev[1].place.slot, 2);
	assert_int_equal(kv_cache_block_refs(c, 3), 1);
	assert_int_equal(kv_cache_block_refs(c, 4), 1);
	assert_place(c, 2, 1, 5, 4, 1);
	assert_place(c, 1, 1, 5, 3, 1);
	/* the copy carries position 5; the parent never saw position 6 */
	assert_memory_equal(kv_cache_k(c, 2, 2, 1, 5), kv_cache_k(c, 1, 2, 1, 5),
			    DK * sizeof(double));
	assert_true(kv_cache_k(c, 2, 1, 1, 6)[0] == val(52, 1, 1, 6, 0, true));
	/* a second write into the now private block copies nothing */
	log.n = 0;
	write_col(c, 2, 2, 6, 50);
	assert_int_equal(log.n, 1);
	assert_int_equal(log.ev[0].kind, KV_EV_WRITE);
	kv_cache_free(c);
}

static void test_paged_exhaustion_and_truncate(void **state)
{
	(void)state;
	KvCacheSpec s = paged_spec();
	Log log = { .n = 0 };
	KvEventSink sink = { log_event, &log };
	KvCache *c = kv_cache_new(&s, &sink, NULL);
	fill(c, 1, 6, 2);  /* blocks 1, 2, 3 */
	fill(c, 2, 2, 2);  /* block 4: the pool is full */
	assert_int_equal(kv_cache_blocks_free(c), 0);
	int pos = 0;
	KvError err = { 0 };
	assert_int_equal(kv_cache_append(c, 1, &pos, &err), EX_TEMPFAIL);
	assert_non_null(strstr(err.msg, "no free block for position 7"));
	assert_int_equal(kv_cache_len(c, 1), 6); /* nothing changed */
	/* roll sequence 1 back to 3 positions: block 3 goes back to the pool */
	log.n = 0;
	assert_int_equal(kv_cache_truncate(c, 1, 3, NULL), 0);
	assert_int_equal(log.n, 6); /* positions 4..6 of two layers */
	assert_int_equal(log.ev[0].kind, KV_EV_ROLLBACK);
	assert_int_equal(log.ev[0].pos, 4);
	assert_int_equal(log.ev[0].place.block, 2);
	assert_int_equal(log.ev[0].place.slot, 2);
	assert_int_equal(kv_cache_block_refs(c, 3), 0);
	assert_int_equal(kv_cache_blocks_free(c), 1);
	assert_null(kv_cache_k(c, 1, 1, 1, 4));
	assert_place(c, 1, 1, 3, 2, 1);
	/* position 4 lands in block 2's free slot, 5 takes block 3 again */
	assert_int_equal(kv_cache_append(c, 1, &pos, NULL), 0);
	assert_place(c, 1, 1, 4, 2, 2);
	assert_int_equal(kv_cache_append(c, 1, &pos, NULL), 0);
	assert_place(c, 1, 1, 5, 3, 1);
	/* a shared block survives its first holder */
	assert_int_equal(kv_cache_fork(c, 2, 3, NULL), 0);
	assert_int_equal(kv_cache_block_refs(c, 4), 2);
	kv_cache_free_seq(c, 2);
	assert_int_equal(kv_cache_block_refs(c, 4), 1);
	assert_int_equal(kv_cache_len(c, 2), 0);
	assert_place(c, 3, 2, 2, 4, 2);
	assert_int_equal(kv_cache_truncate(c, 3, 4, &err), EX_USAGE);
	kv_cache_free(c);
}

static void test_gather_matches_contiguous(void **state)
{
	(void)state;
	KvCacheSpec ps = paged_spec();
	KvCacheSpec cs = ps;
	cs.block_size = 0;
	KvCache *paged = kv_cache_new(&ps, NULL, NULL);
	KvCache *flat = kv_cache_new(&cs, NULL, NULL);
	assert_int_equal(kv_cache_policy(flat, 1), KV_CONTIGUOUS);
	/* interleave two sequences so paged blocks are not in order */
	for (int p = 0; p < 4; p++) {
		fill(paged, 2, 1, 2);
		fill(paged, 1, 1, 2);
		fill(flat, 1, 1, 2);
	}
	assert_place(paged, 1, 1, 3, 4, 1);
	assert_place(flat, 1, 1, 3, 1, 3);
	double kp[4 * DK], vp[4 * DV], kf[4 * DK], vf[4 * DV];
	for (int l = 1; l <= 2; l++)
		for (int h = 1; h <= G; h++) {
			assert_int_equal(kv_cache_gather(paged, 1, l, h, 1, 4, kp, vp, NULL), 0);
			assert_int_equal(kv_cache_gather(flat, 1, l, h, 1, 4, kf, vf, NULL), 0);
			assert_memory_equal(kp, kf, sizeof kp);
			assert_memory_equal(vp, vf, sizeof vp);
		}
	KvError err = { 0 };
	assert_int_equal(kv_cache_gather(paged, 1, 1, 1, 1, 5, kp, vp, &err), EX_USAGE);
	kv_cache_free(paged);
	kv_cache_free(flat);
}

static void test_ring_slots(void **state)
{
	(void)state;
	int window[2] = { 3, 0 };
	KvCacheSpec s = { .n_layers = 2, .n_kv_heads = G, .d_k = DK, .d_v = DV,
			  .window = window, .max_seqs = 1, .max_pos = MAXPOS };
	Log log = { .n = 0 };
	KvEventSink sink = { log_event, &log };
	KvCache *c = kv_cache_new(&s, &sink, NULL);
	assert_int_equal(kv_cache_policy(c, 1), KV_RING);
	assert_int_equal(kv_cache_policy(c, 2), KV_CONTIGUOUS);
	fill(c, 1, 5, 2);
	assert_int_equal(kv_cache_first_held(c, 1, 1), 3);
	assert_place(c, 1, 1, 3, 1, 3);
	assert_place(c, 1, 1, 4, 1, 1);
	assert_place(c, 1, 1, 5, 1, 2);
	assert_place(c, 1, 2, 5, 1, 5);
	KvPlace p;
	assert_false(kv_cache_where(c, 1, 1, 2, &p));
	/* evictions: 1 when 4 took slot 1, 2 when 5 took slot 2 */
	int ev = 0;
	for (int i = 0; i < log.n; i++)
		if (log.ev[i].kind == KV_EV_EVICT) {
			assert_int_equal(log.ev[i].pos, ev + 1);
			assert_int_equal(log.ev[i].place.slot, ev + 1);
			ev++;
		}
	assert_int_equal(ev, 2);
	/* (3 + 5 columns) × 2 heads × 5 */
	assert_int_equal(kv_cache_cells(c), 80);
	/* rollback to 4: the ring cannot bring 1..2 back, 3..4 stay held */
	assert_int_equal(kv_cache_truncate(c, 1, 4, NULL), 0);
	assert_int_equal(kv_cache_first_held(c, 1, 1), 3);
	assert_place(c, 1, 1, 4, 1, 1);
	/* reads are reported once per pass */
	log.n = 0;
	kv_cache_begin_pass(c);
	assert_non_null(kv_cache_k_read(c, 1, 1, 1, 4));
	assert_non_null(kv_cache_v_read(c, 1, 1, 2, 4));
	assert_int_equal(log.n, 1);
	assert_int_equal(log.ev[0].kind, KV_EV_READ);
	kv_cache_begin_pass(c);
	assert_non_null(kv_cache_k_read(c, 1, 1, 1, 4));
	assert_int_equal(log.n, 2);
	kv_cache_free(c);
}

/* Pinned first positions (sink_tokens): N = 2 pinned slots, then a ring
 * of W = 3, over 40 appends; layer 2 is global. */
static void test_pinned_ring(void **state)
{
	(void)state;
	enum { N = 2, W = 3, T = 40 };
	int window[2] = { W, 0 }, pinned[2] = { N, 0 };
	KvCacheSpec s = { .n_layers = 2, .n_kv_heads = G, .d_k = DK, .d_v = DV,
			  .window = window, .pinned = pinned, .max_seqs = 2,
			  .max_pos = T };
	Log log = { .n = 0 };
	KvEventSink sink = { log_event, &log };
	KvCache *c = kv_cache_new(&s, &sink, NULL);
	assert_non_null(c);
	assert_int_equal(kv_cache_policy(c, 1), KV_RING);
	assert_int_equal(kv_cache_pinned(c, 1), N);
	assert_int_equal(kv_cache_pinned(c, 2), 0);
	fill(c, 1, T, 2);
	/* held: 1, 2 in slots 1, 2; 38..40 in slot 2 + (p−3) mod 3 + 1 */
	assert_place(c, 1, 1, 1, 1, 1);
	assert_place(c, 1, 1, 2, 1, 2);
	assert_place(c, 1, 1, 38, 1, 5);
	assert_place(c, 1, 1, 39, 1, 3);
	assert_place(c, 1, 1, 40, 1, 4);
	KvPlace p;
	for (int pos = 3; pos <= T - W; pos++)
		assert_false(kv_cache_where(c, 1, 1, pos, &p));
	assert_int_equal(kv_cache_first_held(c, 1, 1), 1);
	/* the pinned columns still hold what was written first */
	for (int pos = 1; pos <= N; pos++)
		for (int h = 1; h <= G; h++) {
			assert_true(kv_cache_k(c, 1, 1, h, pos)[1] ==
				    val(1, 1, h, pos, 1, true));
			assert_true(kv_cache_v(c, 1, 1, h, pos)[2] ==
				    val(1, 1, h, pos, 2, false));
		}
	/* events of layer 1: every position written once, 3..37 evicted in
	 * order, the pinned ones never; only they carry the pinned flag */
	int evicted = 0, written = 0;
	for (int i = 0; i < log.n; i++) {
		const KvEvent *e = &log.ev[i];
		if (e->layer != 1)
			continue;
		assert_int_equal(e->pinned, e->pos <= N);
		if (e->kind == KV_EV_EVICT) {
			assert_int_equal(e->pos, N + 1 + evicted);
			assert_int_equal(e->place.slot, N + evicted % W + 1);
			evicted++;
		} else {
			assert_int_equal(e->kind, KV_EV_WRITE);
			assert_int_equal(e->pos, ++written);
		}
	}
	assert_int_equal(evicted, T - W - N);
	assert_int_equal(written, T);
	/* (N + W) + T columns × 2 heads × (2 + 3) */
	assert_int_equal(kv_cache_cells(c), (N + W + T) * G * (DK + DV));
	KvError err = { 0 };
	double k[3 * DK], v[3 * DV];
	assert_int_equal(kv_cache_gather(c, 1, 1, 1, 38, 40, k, v, &err), 0);
	assert_true(k[0] == val(1, 1, 1, 38, 0, true));
	assert_int_equal(kv_cache_gather(c, 1, 1, 1, 2, 4, k, v, &err), EX_USAGE);
	/* evict_before leaves the pinned ones */
	log.n = 0;
	assert_int_equal(kv_cache_evict_before(c, 1, 39, &err), 0);
	assert_true(kv_cache_where(c, 1, 1, 1, &p));
	assert_true(kv_cache_where(c, 1, 1, 2, &p));
	assert_false(kv_cache_where(c, 1, 1, 38, &p));
	for (int i = 0; i < log.n; i++)
		if (log.ev[i].layer == 1)
			assert_int_equal(log.ev[i].pos, 38);
	/* a fork copies them; a rollback below them gives them back */
	assert_int_equal(kv_cache_fork(c, 1, 2, &err), 0);
	assert_true(kv_cache_k(c, 2, 1, 2, 2)[0] == val(1, 1, 2, 2, 0, true));
	log.n = 0;
	assert_int_equal(kv_cache_truncate(c, 1, 1, &err), 0);
	int back = 0;
	for (int i = 0; i < log.n; i++)
		if (log.ev[i].layer == 1) {
			assert_int_equal(log.ev[i].kind, KV_EV_ROLLBACK);
			back += log.ev[i].pos == 2 || log.ev[i].pos >= 39;
		}
	assert_int_equal(back, 3); /* 2, 39, 40 */
	assert_false(kv_cache_where(c, 1, 1, 2, &p));
	assert_place(c, 1, 1, 1, 1, 1);
	/* appended again, 2 is pinned again and 3..5 fill the ring: no
	 * eviction until 6 pushes out 3 */
	log.n = 0;
	fill(c, 1, 5, 1);
	for (int i = 0; i < log.n; i++)
		assert_true(log.ev[i].kind != KV_EV_EVICT || log.ev[i].pos == 3);
	assert_place(c, 1, 1, 2, 1, 2);
	assert_place(c, 1, 1, 6, 1, 3);
	kv_cache_free(c);
	/* next to a paged global layer: the ring keeps its own block */
	s.block_size = 2;
	s.n_blocks = 8;
	c = kv_cache_new(&s, NULL, NULL);
	assert_int_equal(kv_cache_policy(c, 1), KV_RING);
	assert_int_equal(kv_cache_policy(c, 2), KV_PAGED);
	fill(c, 1, 10, 2);
	assert_place(c, 1, 1, 1, 1, 1);
	assert_place(c, 1, 1, 2, 1, 2);
	assert_place(c, 1, 1, 10, 1, 4); /* 2 + (10−3) mod 3 + 1 */
	assert_false(kv_cache_where(c, 1, 1, 7, &p));
	assert_place(c, 1, 2, 10, 5, 2);
	assert_int_equal(kv_cache_cells(c), (N + W + 10) * G * (DK + DV));
	kv_cache_free(c);
	s.block_size = 0;
	s.n_blocks = 0;
	/* N + W ≥ max_pos: nothing would ever leave, a plain block */
	s.max_pos = N + W;
	c = kv_cache_new(&s, NULL, NULL);
	assert_int_equal(kv_cache_policy(c, 1), KV_CONTIGUOUS);
	kv_cache_free(c);
	/* pins on a global layer are a bad spec */
	pinned[1] = 1;
	s.max_pos = T;
	assert_null(kv_cache_new(&s, NULL, &err));
	assert_int_equal(err.code, EX_USAGE);
}

static void test_bad_spec(void **state)
{
	(void)state;
	KvCacheSpec s = paged_spec();
	s.n_blocks = 0;
	KvError err = { 0 };
	assert_null(kv_cache_new(&s, NULL, &err));
	assert_int_equal(err.code, EX_USAGE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_paged_slots),
		cmocka_unit_test(test_paged_sharing),
		cmocka_unit_test(test_paged_exhaustion_and_truncate),
		cmocka_unit_test(test_gather_matches_contiguous),
		cmocka_unit_test(test_ring_slots),
		cmocka_unit_test(test_pinned_ring),
		cmocka_unit_test(test_bad_spec),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
