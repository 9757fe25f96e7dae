/*
 * The serving view without a terminal: keys, the jump prompt, auto-play,
 * clicks, and whole frames of tests/tui/data/serve.ini and
 * serve-tight.ini (their own model, so the frames do not move with the
 * bundled default) rendered off-screen and compared as exact text.
 *
 * The frames were checked by hand against the schedule of serve.h:
 * block size 2, budget 4. Iteration 1: A prefills 1-3 (blocks 1, 2).
 * Iteration 2: A decodes 4; B ("the cat dog sat") finds A's full block 1
 * ("the cat") in the prefix cache, shares it (ref count 2) and prefills
 * only 3-4 into block 3. Iteration 3: A and B decode 5 (blocks 4 and 5),
 * C prefills 1-2 (block 6): 4 of 4 tokens. In serve-tight (4 blocks) B
 * cannot get a block in iteration 3, is preempted, and in iteration 4
 * recomputes 1-3 (marked !) and computes 4.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <curses.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rows.h"
#include "serve.h"
#include "tui_keys.h"
#include "tui_render.h"
#include "tui_serve.h"
#include "tui_serve_int.h"
#include "tui_theme.h"

typedef struct Fx {
	Scenario *sc;
	ServeRun *r;
	TuiServeState s;
	TuiBuf b;
} Fx;

static int setup_file(void **state, const char *file)
{
	Fx *f = calloc(1, sizeof *f);
	assert_non_null(f);
	char path[512];
	snprintf(path, sizeof path, "%s/data/%s", KV_TEST_DIR, file);
	KvError err;
	kv_error_clear(&err);
	f->sc = scenario_load_file(path, &err);
	if (!f->sc)
		fail_msg("%s", err.msg);
	ServeConfig cfg = { .cells = true, .compare = true };
	f->r = serve_run(f->sc, &cfg, &err);
	if (!f->r)
		fail_msg("%s", err.msg);
	tui_serve_state_init(&f->s, f->r, -1);
	*state = f;
	return 0;
}

static int setup(void **state)
{
	return setup_file(state, "serve.ini");
}

/* serve.ini run under static batching (max_batch 2): batch 1 is A
 * (iterations 1-3), batch 2 is B and C (4-6); B finishes in 5 and pads
 * the batch in 6. */
static int setup_static(void **state)
{
	int rc = setup_file(state, "serve.ini");
	Fx *f = *state;
	ServeRun *r = f->r;
	KvError err;
	kv_error_clear(&err);
	ServeConfig cfg = { .override_batching = true,
			    .batching = SERVE_STATIC,
			    .cells = true, .compare = true };
	f->r = serve_run(f->sc, &cfg, &err);
	if (!f->r)
		fail_msg("%s", err.msg);
	serve_free(r);
	tui_serve_state_init(&f->s, f->r, -1);
	return rc;
}

static int setup_wait(void **state)
{
	return setup_file(state, "serve-wait.ini");
}

static int setup_pool(void **state)
{
	return setup_file(state, "serve-pool.ini");
}

static int setup_tight(void **state)
{
	return setup_file(state, "serve-tight.ini");
}

static int setup_many(void **state)
{
	return setup_file(state, "serve-many.ini");
}

static int setup_gqa(void **state)
{
	return setup_file(state, "serve-gqa.ini");
}

static int teardown(void **state)
{
	Fx *f = *state;
	tui_buf_free(&f->b);
	serve_free(f->r);
	scenario_free(f->sc);
	free(f);
	return 0;
}

static void keys(Fx *f, const int *ks)
{
	for (; *ks; ks++)
		tui_serve_key(&f->s, *ks);
}

/* Renders at w×h and returns the frame's text (free it). */
static char *frame(Fx *f, int w, int h, bool ascii)
{
	assert_int_equal(tui_buf_resize(&f->b, w, h), 0);
	tui_serve_resize(&f->s, w, h);
	tui_serve_render(&f->b, &f->s, ascii);
	char *t = tui_buf_text(&f->b);
	assert_non_null(t);
	return t;
}

static void frame_is(Fx *f, int w, int h, const char *const *rows)
{
	char *got = frame(f, w, h, false), *want = join_rows(rows);
	assert_string_equal(got, want);
	free(got);
	free(want);
}

/* Row y (0-based) of the last frame, trailing blanks cut. */
static char *row_text(const TuiBuf *b, int y)
{
	char *all = tui_buf_text(b), *p = all;
	assert_non_null(all);
	for (int i = 0; i < y && p; i++) {
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	assert_non_null(p);
	char *end = strchr(p, '\n');
	size_t n = end ? (size_t)(end - p) : strlen(p);
	char *out = malloc(n + 1);
	assert_non_null(out);
	memcpy(out, p, n);
	out[n] = '\0';
	free(all);
	return out;
}

static void row_is(Fx *f, int y, const char *want)
{
	char *got = row_text(&f->b, y);
	assert_string_equal(got, want);
	free(got);
}

/* ---- keys ---- */

static void test_stepping(void **state)
{
	Fx *f = *state;
	assert_int_equal(f->s.iters, 5);
	assert_int_equal(f->s.iter, 1);
	tui_serve_key(&f->s, KEY_LEFT);
	assert_int_equal(f->s.iter, 1);
	assert_string_equal(f->s.msg, "already at the first iteration");
	tui_serve_key(&f->s, KEY_RIGHT);
	assert_int_equal(f->s.iter, 2);
	assert_string_equal(f->s.msg, "");
	tui_serve_key(&f->s, ' ');
	tui_serve_key(&f->s, 'l');
	assert_int_equal(f->s.iter, 4);
	tui_serve_key(&f->s, TUI_KEY_ALT + 'b'); /* M-b: Option-← on a Mac */
	assert_int_equal(f->s.iter, 3);
	tui_serve_key(&f->s, KEY_BACKSPACE);
	tui_serve_key(&f->s, 127);
	assert_int_equal(f->s.iter, 1);
	tui_serve_key(&f->s, KEY_END);
	assert_int_equal(f->s.iter, 5);
	assert_true(tui_serve_key(&f->s, KEY_RIGHT)); /* redrawn: the message */
	assert_string_equal(f->s.msg, "already at the last iteration");
	tui_serve_key(&f->s, KEY_HOME);
	assert_int_equal(f->s.iter, 1);
	tui_serve_key(&f->s, 'G');
	assert_int_equal(f->s.iter, 5);
	tui_serve_key(&f->s, 'g');
	assert_int_equal(f->s.iter, 1);
}

static void test_jump(void **state)
{
	Fx *f = *state;
	keys(f, (const int[]){ ':', '4', 0 });
	assert_true(f->s.jumping);
	assert_string_equal(f->s.msg,
			    "jump to iteration: 4_  (1-5, Enter goes, Esc cancels)");
	tui_serve_key(&f->s, '\r'); /* Enter as terminals send it: CR */
	assert_false(f->s.jumping);
	assert_int_equal(f->s.iter, 4);
	keys(f, (const int[]){ ':', '9', '9', '\r', 0 });
	assert_int_equal(f->s.iter, 4);
	assert_string_equal(f->s.msg, "no iteration 99: the iterations are 1-5");
	keys(f, (const int[]){ ':', '2', KEY_BACKSPACE, '3', TUI_KEY_ESC, 0 });
	assert_int_equal(f->s.iter, 4); /* Esc cancels */
	keys(f, (const int[]){ ':', '2', KEY_BACKSPACE, '3', KEY_ENTER, 0 });
	assert_int_equal(f->s.iter, 3);
}

static void test_select_request(void **state)
{
	Fx *f = *state;
	assert_int_equal(f->s.req, 1);
	tui_serve_key(&f->s, '\t');
	assert_int_equal(f->s.req, 2);
	tui_serve_key(&f->s, '3');
	assert_int_equal(f->s.req, 3);
	tui_serve_key(&f->s, '\t');
	assert_int_equal(f->s.req, 1); /* Tab wraps */
	tui_serve_key(&f->s, KEY_BTAB);
	assert_int_equal(f->s.req, 3);
	tui_serve_key(&f->s, '9');
	assert_int_equal(f->s.req, 3);
	assert_string_equal(f->s.msg, "no request 9: the requests are 1-3");
}

static void test_help_quit_unknown(void **state)
{
	Fx *f = *state;
	tui_serve_key(&f->s, '?');
	assert_true(f->s.help);
	tui_serve_key(&f->s, 'q'); /* any key closes the help, q too */
	assert_false(f->s.help);
	assert_false(f->s.quit);
	tui_serve_key(&f->s, KEY_F(1));
	assert_true(f->s.help);
	tui_serve_key(&f->s, TUI_KEY_ESC);
	assert_false(f->s.help);
	tui_serve_key(&f->s, 'x');
	assert_string_equal(f->s.msg, "unknown key: x (? lists the keys)");
	tui_serve_key(&f->s, TUI_KEY_ESC); /* Esc never quits */
	assert_false(f->s.quit);
	tui_serve_key(&f->s, 'q');
	assert_true(f->s.quit);
}

static void test_panels(void **state)
{
	Fx *f = *state;
	char *t = frame(f, 80, 24, false); /* narrow: one middle panel */
	free(t);
	assert_false(f->s.wide);
	assert_int_equal(f->s.panel, TUI_SERVE_BLOCKS);
	tui_serve_key(&f->s, 'v');
	assert_int_equal(f->s.panel, TUI_SERVE_ATTN);
	tui_serve_key(&f->s, 'v');
	assert_int_equal(f->s.panel, TUI_SERVE_COMPARE);
	tui_serve_key(&f->s, 'v');
	assert_int_equal(f->s.panel, TUI_SERVE_BLOCKS);
	tui_serve_key(&f->s, 'c');
	assert_int_equal(f->s.panel, TUI_SERVE_COMPARE);
	tui_serve_key(&f->s, 'c');
	assert_int_equal(f->s.panel, TUI_SERVE_BLOCKS);
	t = frame(f, 120, 40, false); /* wide: c shows and hides */
	free(t);
	assert_true(f->s.wide);
	assert_true(f->s.compare);
	tui_serve_key(&f->s, 'c');
	assert_false(f->s.compare);
	assert_string_equal(f->s.msg, "comparison panel hidden (c)");
	tui_serve_key(&f->s, 'v');
	assert_string_equal(f->s.msg, "every panel is on screen at this size");
}

static void test_play(void **state)
{
	Fx *f = *state;
	assert_false(tui_serve_tick(&f->s, 0));
	tui_serve_key(&f->s, 'a');
	assert_true(f->s.playing);
	int pace = tui_pace_ms[f->s.pace];
	assert_false(tui_serve_tick(&f->s, pace - 1));
	assert_true(tui_serve_tick(&f->s, pace));
	assert_int_equal(f->s.iter, 2);
	for (long t = 2L * pace; f->s.playing; t += pace)
		tui_serve_tick(&f->s, t);
	assert_int_equal(f->s.iter, 5);
	assert_string_equal(f->s.msg,
			    "auto-play stopped at the last iteration (a plays again from 1)");
	tui_serve_key(&f->s, 'a'); /* again from the start */
	assert_int_equal(f->s.iter, 1);
	tui_serve_key(&f->s, KEY_RIGHT); /* stepping by hand stops it */
	assert_false(f->s.playing);
	assert_int_equal(f->s.iter, 2);
}

/* ---- frames ---- */

static void test_frame_80x24_shared_block(void **state)
{
	Fx *f = *state;
	tui_serve_key(&f->s, KEY_RIGHT);
	static const char *const want[] = {
		"serve serve  continuous  iteration 2/5  bs=2  pool 12  budget 4   ?:help  q:quit",
		"batch of iteration 2: 3 of 4 tokens           block table (logical→physical)",
		"B shares 1 cached block (positions 1-2): not computed.",
		"▶ A   decode    4            → the            1→1= 2→2",
		"  B   prefill   3-4          → on             1→1= 2→3",
		"  C   pending   arrives at 3                  -",
		"[blocks]  attention   continuous vs static   (v next, c compare)",
		"block pool after iteration 2: 3 used (1 shared), 0 cached-free, 9 free of 12",
		"block 1   2   3   4   5   6   7   8   9   10  11  12",
		"owner AB  A   B   ·   ·   ·   ·   ·   ·   ·   ·   ·",
		"ref   2=  1   1",
		"fill  2/2 2/2 2/2",
		"",
		"",
		"",
		"",
		"",
		"",
		"",
		"",
		"A owner  2= shared (ref count 2)  c cached-free  · free  fill: slots written",
		"iteration 2: 3/4 tokens  blocks used 3, cached 0, free 9  empty slots 0",
		"prefix hits 1  preemptions 0  TTFT A 1, B 1, C -  finish A -, B -, C -",
		"* computed = reused ! recomputed · masked  ←/→ step  Tab request  ? keys",
		NULL
	};
	frame_is(f, 80, 24, want);
	/* the shared block in the reused colour, its owners' entries too;
	 * a private block computed, a free one dim */
	int pool_y = 8, x1 = 6;
	assert_int_equal(tui_buf_at(&f->b, x1, pool_y)->role, ROLE_REUSED);
	assert_int_equal(tui_buf_at(&f->b, x1 + 4, pool_y + 1)->role,
			 ROLE_COMPUTED);
	assert_int_equal(tui_buf_at(&f->b, x1 + 12, pool_y + 1)->role, ROLE_DIM);
	/* A's blocks (1 and 2) are marked: A is selected */
	assert_int_equal(tui_buf_at(&f->b, x1, pool_y)->mark, TUI_CURSOR_MARK);
	assert_int_equal(tui_buf_at(&f->b, x1 + 8, pool_y)->mark, 0);
}

static void test_frame_cached_free(void **state)
{
	Fx *f = *state;
	keys(f, (const int[]){ ':', '4', '\r', 0 });
	char *t = frame(f, 80, 24, false);
	free(t);
	/* A and B are done: blocks 1-3 stay cached, 5 is free again, C
	 * took block 4 (the lowest free) for its second logical block */
	row_is(f, 2, "▶ A   finished  done at 3                     -");
	row_is(f, 4, "  C   prefill   3            → the            1→6 2→4");
	row_is(f, 6, "block pool after iteration 4: 2 used (0 shared), 3 cached-free, 7 free of 12");
	row_is(f, 8, "owner c   c   c   C   ·   C   ·   ·   ·   ·   ·   ·");
	row_is(f, 9, "ref   0   0   0   1       1");
	row_is(f, 10, "fill  2/2 2/2 2/2 1/2     2/2");
	assert_int_equal(tui_buf_at(&f->b, 6, 8)->role, ROLE_EVICTED);
}

static void test_frame_attention_shared(void **state)
{
	Fx *f = *state;
	keys(f, (const int[]){ KEY_RIGHT, '2', 'v', 0 });
	char *t = frame(f, 80, 24, false);
	free(t);
	/* B's keys 1-2 come from A's block 1 (=, adopted), 3-4 computed
	 * into its own block 3 */
	row_is(f, 7, "attention of B, iteration 2: prefill of 3-4; K, V read at block:slot (b:s)");
	row_is(f, 8, "K    k1   k2   k3   k4    V    v1   v2   v3   v4    S     q3    q4");
	row_is(f, 9, "b:s  1:1  1:2  3:1  3:2   b:s  1:1  1:2  3:1  3:2   k1    -3*   -2*");
	row_is(f, 10, "1   -2=  -1=  -2*  -2*    1    0=   2=   2*   2*    k2    -3*   -1*");
	row_is(f, 13, "4   -1=  -1=   1*   1*");
	row_is(f, 15, "A     q3    q4    Z      z3     z4");
	row_is(f, 19, "k4     ·  0.35*");
}

static void test_inspector(void **state)
{
	Fx *f = *state;
	keys(f, (const int[]){ KEY_RIGHT, '2', '\r', 0 }); /* Enter: CR */
	assert_true(f->s.inspect);
	assert_int_equal(f->s.panel, TUI_SERVE_ATTN);
	char *t = frame(f, 80, 24, false);
	free(t);
	row_is(f, 21, "INSPECT S[1,4] = k1·q4/√4 = ((-2)·1 + 1·0 + (-1)·1 + (-1)·1)/√4 = -2   computed");
	row_is(f, 22, "in this iteration");
	keys(f, (const int[]){ KEY_PPAGE, KEY_PPAGE, KEY_UP, KEY_UP, 0 });
	assert_int_equal(f->s.cur_mat, MAT_K);
	t = frame(f, 80, 24, true);
	free(t);
	row_is(f, 21, "INSPECT K[1,4] = -2  key 4 of B is in block 3 slot 2 (logical block 2 of its");
	row_is(f, 22, "table): computed in this iteration");
	keys(f, (const int[]){ 'h', 'h', 'h', 0 });
	t = frame(f, 80, 24, true);
	free(t);
	row_is(f, 21, "INSPECT K[1,1] = -2  key 1 of B is in block 1 slot 1 (logical block 1 of its");
	row_is(f, 22, "table): adopted from the prefix cache, computed by an earlier request");
	tui_serve_key(&f->s, TUI_KEY_ESC);
	assert_false(f->s.inspect);
}

static void test_click(void **state)
{
	Fx *f = *state;
	keys(f, (const int[]){ KEY_RIGHT, 'v', 0 });
	char *t = frame(f, 80, 24, false);
	free(t);
	/* row 4 is B's row: a click selects B */
	assert_true(tui_serve_click(&f->s, &f->b, 10, 4));
	assert_int_equal(f->s.req, 2);
	t = frame(f, 80, 24, false);
	free(t);
	/* K row 1, column k4 of B: x = 4 + 3 * 5 .. */
	assert_true(tui_serve_click(&f->s, &f->b, 21, 10));
	assert_true(f->s.inspect);
	assert_int_equal(f->s.cur_mat, MAT_K);
	assert_int_equal(f->s.cur_row, 1);
	assert_int_equal(f->s.cur_col, 4);
	assert_false(tui_serve_click(&f->s, &f->b, 79, 0)); /* the header */
}

static void test_frame_preempted(void **state)
{
	Fx *f = *state;
	keys(f, (const int[]){ KEY_RIGHT, KEY_RIGHT, 0 });
	char *t = frame(f, 80, 24, false);
	free(t);
	static const char *const top[] = {
		"serve-tight  continuous  iteration 3/5  bs=2  pool 4  budget 4    ?:help  q:quit",
		"batch of iteration 3: 1 of 4 tokens           block table (logical→physical)",
		"B preempted: pool full; its blocks are freed, it restarts from 1.",
		"▶ A   decode    5            → mat (last)     1→1 2→2 3→3",
		"  B   PREEMPTED blocks freed recompute later  -",
		"[blocks]  attention   continuous vs static   (v next, c compare)",
	};
	for (int i = 0; i < 6; i++)
		row_is(f, i, top[i]);
}

static void test_frame_recomputed(void **state)
{
	Fx *f = *state;
	keys(f, (const int[]){ KEY_RIGHT, KEY_RIGHT, KEY_RIGHT, '2', 'v', 0 });
	static const char *const want[] = {
		"serve-tight  continuous  iteration 4/5  bs=2  pool 4  budget 4    ?:help  q:quit",
		"batch of iteration 4: 4 of 4 tokens           block table (logical→physical)",
		"  A   finished  done at 3                     -",
		"▶ B   prefill   1-4          → the            1→1 2→2",
		" blocks  [attention]  continuous vs static   (v next, c compare)",
		"attention of B, iteration 4: prefill of 1-4; K, V read at block:slot (b:s)",
		"K   k1  k2  k3  k4    V   v1  v2  v3  v4    S     q1    q2    q3    q4",
		"b:s 1:1 1:2 2:1 2:2   b:s 1:1 1:2 2:1 2:2   k1     2! -0.5!  1.5!   -1*",
		"1   -2! -2! -2! -2*   1    2!  2!  0!  0*   k2     ·  -0.5!  1.5!    0*",
		"2   -1!  0! -1!  1*   2    0! -2!  0!  1*   k3     ·     ·     0!   -2*",
		"3    0!  0! -2! -1*   3    1!  3!  2!  1*   k4     ·     ·     ·   0.5*",
		"4    1!  1!  0! -1*",
		"",
		"A     q1    q2    q3    q4    Z      z1     z2     z3     z4",
		"k1     1!  0.5! 0.45! 0.12*   1       2!     2!  1.80!  0.87*",
		"k2     ·   0.5! 0.45! 0.32*   2       0!    -1! -0.90! -0.11*",
		"k3     ·     ·  0.10! 0.04*   3       1!     2!  2.00!  1.68*",
		"k4     ·     ·     ·  0.52*",
		"",
		"",
		"",
		"iteration 4: 4/4 tokens  blocks used 2, cached 0, free 2  empty slots 0",
		"prefix hits 0  preemptions 1  TTFT A 1, B 1  finish A 3, B -",
		"* computed = reused ! recomputed · masked  ←/→ step  Tab request  ? keys",
		NULL
	};
	frame_is(f, 80, 24, want);
}

static void test_frame_wide(void **state)
{
	Fx *f = *state;
	keys(f, (const int[]){ ':', '3', '\r', 0 });
	char *t = frame(f, 120, 40, false);
	free(t);
	row_is(f, 0, "kvstep serve serve  continuous batching  iteration 3/5  block size 2  pool 12 blocks  budget 4 tokens     ?:help  q:quit");
	row_is(f, 5, "block pool after iteration 3: 6 used (1 shared), 0 cached-free, 6 free of 12");
	row_is(f, 13, "K    k1   k2   k3   k4   k5    V    v1   v2   v3   v4   v5    S     q5    A     q5    Z      z5");
	row_is(f, 14, "b:s  1:1  1:2  2:1  2:2  4:1   b:s  1:1  1:2  2:1  2:2  4:1   k1   0.5*   k1  0.14*   1    1.42*");
	row_is(f, 32, "continuous vs static batching on this scenario (static: batches of up to 2)");
	row_is(f, 33, "                    iterations    padding  preempted  finish     A   B   C");
	row_is(f, 34, "continuous (shown)           5          0          0             3   3   5");
	row_is(f, 35, "static                       6          1          0             3   5   6");
	row_is(f, 36, "static pads 1 slot-iteration: finished or idle members wait for the batch's last member to finish");
	/* the counters break between items, not inside the TTFT list */
	row_is(f, 37, "iteration 3: 4/4 tokens  blocks used 6, cached 0, free 6  empty slots 2  prefix hits 1  preemptions 0");
	row_is(f, 38, "TTFT A 1, B 1, C -  finish A 3, B 3, C -");
	t = frame(f, 200, 60, false);
	free(t);
	row_is(f, 53, "continuous vs static batching on this scenario (static: batches of up to 2)");
	row_is(f, 56, "static                       6          1          0             3   5   6");
	row_is(f, 57, "static pads 1 slot-iteration: finished or idle members wait for the batch's last member to finish");
	row_is(f, 58, "iteration 3: 4/4 tokens  blocks used 6, cached 0, free 6  empty slots 2  prefix hits 1  preemptions 0  TTFT A 1, B 1, C -  finish A 3, B 3, C -");
	f->s.panel = TUI_SERVE_COMPARE; /* the comparison as the panel at 80x24 */
	t = frame(f, 80, 24, false);
	free(t);
	row_is(f, 10, "static pads 1 slot-iteration: finished or idle members wait for the batch's las…");
	t = frame(f, 80, 24, true);
	free(t);
	row_is(f, 10, "static pads 1 slot-iteration: finished or idle members wait for the batch's l...");
}

static void test_too_small_and_help(void **state)
{
	Fx *f = *state;
	char *t = frame(f, 79, 24, false);
	assert_non_null(strstr(t, "terminal too small\nneed 80x24\nnow 79x24\n"));
	free(t);
	tui_serve_key(&f->s, '?');
	t = frame(f, 80, 24, true);
	free(t);
	row_is(f, 0, "+- keys (any key closes) ------------------------------------------------------+");
	row_is(f, 2, "| Left h Backspace M-b           previous iteration                            |");
	row_is(f, 8, "| i Enter                        inspector on/off                              |");
	row_is(f, 20, "| cells: 1* computed  1= reused (cache or shared)  1! recomputed  . masked     |");
	row_is(f, 21, "| pool: A owner  2= shared, ref count 2  c cached-free  . free                 |");
	row_is(f, 23, "+------------------------------------------------------------------------------+");
}

/* The layout changes at 120x36: below, one middle panel under a tab row. */
static void test_layout_thresholds(void **state)
{
	Fx *f = *state;
	static const struct { int w, h; bool wide; } sizes[] = {
		{ 80, 24, false }, { 119, 40, false }, { 120, 35, false },
		{ 120, 36, true }, { 200, 60, true },
	};
	for (size_t i = 0; i < sizeof sizes / sizeof *sizes; i++) {
		char *t = frame(f, sizes[i].w, sizes[i].h, false);
		bool tabs = strstr(t, "[blocks]  attention   continuous vs static") != NULL;
		bool pool = strstr(t, "\nblock pool after iteration 1") != NULL;
		bool attn = strstr(t, "\nattention of A, iteration 1") != NULL;
		assert_int_equal(f->s.wide, sizes[i].wide);
		assert_int_equal(tabs, !sizes[i].wide);
		assert_true(pool);
		assert_int_equal(attn, sizes[i].wide);
		free(t);
	}
}

/*
 * Every iteration, request and panel at 80x24: nothing the run says is
 * cut. Each request's whole block table (from serve_entry, "=" after a
 * block with ref count 2 or more), the counters of the iteration (from
 * serve_iter) and each request's finish (from serve_outcome, once
 * reached) are in the frame, and no row is wider than the screen.
 */
static void test_every_frame_whole(void **state)
{
	Fx *f = *state;
	for (int p = 0; p < TUI_SERVE_PANELS; p++)
		for (int k = 1; k <= f->s.reqs; k++)
			for (int it = 1; it <= f->s.iters; it++) {
				f->s.panel = (TuiServePanel)p;
				f->s.req = k;
				f->s.iter = it;
				char *t = frame(f, 80, 24, false);
				for (int q = 1; q <= f->s.reqs; q++) {
					const ServeEntry *e = serve_entry(f->r, it, q);
					char want[256] = "", item[32];
					for (int j = 0; j < e->table_n; j++) {
						const ServeBlock *b = serve_block(f->r, it, e->table[j]);
						snprintf(item, sizeof item, "%s%d→%d%s", j ? " " : "",
							 j + 1, e->table[j],
							 b->refcount >= 2 ? "=" : "");
						strcat(want, item);
					}
					if (e->table_n)
						assert_non_null(strstr(t, want));
					const ServeOutcome *o = serve_outcome(f->r, q);
					snprintf(want, sizeof want, "%s %d", f->sc->req[q - 1].name,
						 o->finish);
					if (o->finish <= it)
						assert_non_null(strstr(strstr(t, "finish "), want));
				}
				const ServeIter *si = serve_iter(f->r, it);
				char want[96];
				snprintf(want, sizeof want, "iteration %d: %d/%d tokens  blocks used %d, cached %d, free %d  empty slots %d",
					 it, si->tokens, f->sc->max_tokens, si->blocks_used,
					 si->blocks_cached, si->blocks_free, si->empty_slots);
				assert_non_null(strstr(t, want));
				snprintf(want, sizeof want, "prefix hits %d  preemptions %d",
					 si->prefix_hits, si->preemptions);
				assert_non_null(strstr(t, want));
				for (char *l = t; *l;) {
					char *e = strchr(l, '\n');
					*e = '\0';
					assert_true(tui_text_width(l) <= 80);
					l = e + 1;
				}
				free(t);
			}
}

/*
 * The crowded scenario (12 requests, preemptions): every iteration,
 * request, panel, inspector cell matrix, size and copy renders (under
 * ASan in the sanitizer build), the selected request's row is always on
 * screen, and a hidden row is said ("… 4 of 12 requests shown").
 */
static void test_many_requests(void **state)
{
	Fx *f = *state;
	static const int sizes[][2] = { { 80, 24 }, { 120, 40 }, { 200, 60 } };
	assert_int_equal(f->s.reqs, 12);
	for (size_t z = 0; z < 3; z++)
		for (int k = 1; k <= f->s.reqs; k++)
			for (int it = 1; it <= f->s.iters; it++) {
				f->s.req = k;
				f->s.iter = it;
				f->s.panel = (TuiServePanel)((it + k) % TUI_SERVE_PANELS);
				f->s.inspect = (it + k) % 2;
				f->s.help = it == f->s.iters;
				f->s.cur_mat = (Matrix)(MAT_K + (it % 5));
				char *t = frame(f, sizes[z][0], sizes[z][1], (it % 2) != 0);
				if (!f->s.help) {
					char sel[32];
					snprintf(sel, sizeof sel, "%s %s%s", it % 2 ? ">" : "▶",
						 it % 2 ? "req..." : "reque…",
						 f->sc->req[k - 1].name + 7);
					assert_non_null(strstr(t, sel));
				}
				if (z == 0 && !f->s.help)
					assert_non_null(strstr(t, "of 12 requests shown (Tab, 1-9 select)"));
				free(t);
			}
}

/*
 * A stacked model: , . pick the query head, and K and V follow the K/V
 * head it reads (gqa: heads 3 and 4 read K/V head 2). The inspector's
 * value is the run's record of exactly that head.
 */
static void test_heads(void **state)
{
	Fx *f = *state;
	tui_serve_key(&f->s, '>');
	assert_string_equal(f->s.msg, "this model has one layer");
	keys(f, (const int[]){ '.', '.', 'v', 'i', KEY_PPAGE, KEY_PPAGE, 'k', 'k', 0 });
	assert_int_equal(f->s.head, 3);
	assert_int_equal(f->s.cur_mat, MAT_K);
	char *t = frame(f, 120, 40, false);
	assert_non_null(strstr(t, "attention of A (layer 1, head 3, K/V head 2), iteration 1: prefill of 1-3"));
	free(t);
	ServeCell c2, c1;
	assert_true(serve_cell(f->r, 1, 1, 1, 2, MAT_K, f->s.cur_row, f->s.cur_col, &c2));
	assert_true(serve_cell(f->r, 1, 1, 1, 1, MAT_K, f->s.cur_row, f->s.cur_col, &c1));
	assert_true(c1.value != c2.value); /* the heads differ, so this tells */
	char v[48], want[96];
	tui_format_value(c2.value, f->s.digits, v, sizeof v);
	snprintf(want, sizeof want, "INSPECT K[%d,%d] = %s  key %d of A is in block",
		 f->s.cur_row, f->s.cur_col, v, f->s.cur_col);
	char *row = row_text(&f->b, 37);
	assert_non_null(strstr(row, want));
	free(row);
	keys(f, (const int[]){ ',', ',', ',', 0 }); /* wraps: 3 → 4 */
	assert_int_equal(f->s.head, 4);
}

/* Under static batching the batch's number and padding and the block
 * tables' header both show, and a waiting request says why. */
static void test_static_rows(void **state)
{
	Fx *f = *state;
	keys(f, (const int[]){ KEY_RIGHT, 0 });
	char *t = frame(f, 80, 24, false);
	free(t);
	row_is(f, 1, "iteration 2: 1 of 4 tokens  static batch 1, padding 0  table (logical→physical)");
	row_is(f, 3, "  B   waiting   next batch                    -");
	keys(f, (const int[]){ KEY_END, 0 });
	t = frame(f, 80, 24, false);
	free(t);
	row_is(f, 1, "iteration 6: 1 of 4 tokens  static batch 2, padding 1  table (logical→physical)");
	row_is(f, 2, "▶ A   finished  done at 3                     -");
	row_is(f, 3, "  B   finished  done at 5 (pads the batch)    -");
	t = frame(f, 120, 40, false);
	free(t);
	row_is(f, 1, "batch of iteration 6: 1 of 4 tokens  static batch 2, padding 1 slot  block table (logical→physical)");
	t = frame(f, 80, 24, true);
	free(t);
	row_is(f, 1, "iteration 6: 1 of 4 tokens  static batch 2, padding 1  table (logical>physical)");
}

static void test_wait_reasons(void **state)
{
	Fx *f = *state;
	char *t = frame(f, 80, 24, false);
	free(t);
	row_is(f, 4, "  C   waiting   budget used                   -");
	keys(f, (const int[]){ KEY_RIGHT, 0 });
	t = frame(f, 80, 24, false);
	free(t);
	row_is(f, 3, "  B   waiting   no free block                 -");
	const ServeEntry *e = serve_entry(f->r, 3, 2);
	assert_true(e->no_block);
	assert_false(e->in_batch);
	assert_false(serve_entry(f->r, 1, 3)->no_block);
}

/*
 * serve-pool.ini: 40 blocks, 18 a band at 80 columns (column width 4):
 * bands 1-18, 19-36, 37-40. At every height the pool is given, each band
 * drawn has its four rows, and the blocks not drawn are named by a note.
 */
static void test_pool_bands_whole(void **state)
{
	Fx *f = *state;
	keys(f, (const int[]){ KEY_RIGHT, 0 });
	assert_int_equal(tui_buf_resize(&f->b, 80, 24), 0);
	for (int h = 1; h <= 20; h++) {
		tui_buf_clear(&f->b);
		tui_serve_draw_pool(&f->b, &f->s, 0, 0, 80, h, false);
		int bands = 0, seen = 0;
		char note[96] = "";
		for (int y = 0; y < h; y++) {
			char *r = row_text(&f->b, y);
			if (strncmp(r, "block ", 6) == 0 && strncmp(r, "block pool", 10)) {
				char *n[3] = { row_text(&f->b, y + 1),
					       row_text(&f->b, y + 2),
					       row_text(&f->b, y + 3) };
				assert_true(y + 3 < h);
				assert_int_equal(strncmp(n[0], "owner", 5), 0);
				assert_int_equal(strncmp(n[1], "ref", 3), 0);
				assert_int_equal(strncmp(n[2], "fill", 4), 0);
				for (int i = 0; i < 3; i++)
					free(n[i]);
				bands++;
			}
			if (strstr(r, "not shown")) {
				snprintf(note, sizeof note, "%s", r);
				seen++;
			}
			free(r);
		}
		if (h >= 2 && bands < 3) {
			char want[96];
			snprintf(want, sizeof want,
				 "… blocks %d-40 not shown: a taller terminal shows them",
				 1 + 18 * bands);
			assert_int_equal(seen, 1);
			assert_string_equal(note, want);
		} else {
			assert_int_equal(seen, 0);
		}
		/* h − 2 rows between the title and the legend: all three
		 * bands in 14 (4 + 1 + 4 + 1 + 4), else as many as fit with
		 * the note under the last (5 rows each) */
		int want_bands = h >= 16 ? 3 : h >= 2 ? (h - 2) / 5 : 0;
		assert_int_equal(bands, want_bands);
	}
	tui_buf_clear(&f->b);
	tui_serve_draw_pool(&f->b, &f->s, 0, 0, 80, 12, false);
	static const char *const want[] = {
		"block pool after iteration 2: 3 used (1 shared), 0 cached-free, 37 free of 40",
		"block 1   2   3   4   5   6   7   8   9   10  11  12  13  14  15  16  17  18",
		"owner AB  A   B   ·   ·   ·   ·   ·   ·   ·   ·   ·   ·   ·   ·   ·   ·   ·",
		"ref   2=  1   1",
		"fill  2/2 2/2 2/2",
		"",
		"block 19  20  21  22  23  24  25  26  27  28  29  30  31  32  33  34  35  36",
		"owner ·   ·   ·   ·   ·   ·   ·   ·   ·   ·   ·   ·   ·   ·   ·   ·   ·   ·",
		"ref",
		"fill",
		"… blocks 37-40 not shown: a taller terminal shows them",
		"A owner  2= shared (ref count 2)  c cached-free  · free  fill: slots written",
	};
	for (int y = 0; y < 12; y++)
		row_is(f, y, want[y]);
}

/* The Z line's operands carry two more decimals than the result, so the
 * printed products add up to the printed result by hand. */
static void test_inspect_z_sum(void **state)
{
	Fx *f = *state;
	f->s.iter = 3;
	f->s.req = 1;
	f->s.inspect = true;
	f->s.cur_mat = MAT_Z;
	f->s.cur_row = 1;
	f->s.cur_col = 5;
	char text[1024];
	tui_serve_inspect_text(&f->s, false, text, sizeof text);
	/* by hand: 2·0.6250 + 2·0.0846 = 1.4192, which rounds to 1.42 */
	assert_string_equal(text, "INSPECT Z[1,5] = V[1,:]·A[:,5] = 0·0.1395 + 2·0.6250 + 2·0.0846 + 0·0.0114 + 0·0.1395 = 1.42   computed in this iteration");
	f->s.digits = 1; /* operands 3 decimals: 2·0.625 + 2·0.085 = 1.42, 1.4 */
	tui_serve_inspect_text(&f->s, true, text, sizeof text);
	assert_string_equal(text, "INSPECT Z[1,5] = V[1,:].A[:,5] = 0 x 0.139 + 2 x 0.625 + 2 x 0.085 + 0 x 0.011 + 0 x 0.139 = 1.4   computed in this iteration");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_stepping, setup, teardown),
		cmocka_unit_test_setup_teardown(test_jump, setup, teardown),
		cmocka_unit_test_setup_teardown(test_select_request, setup, teardown),
		cmocka_unit_test_setup_teardown(test_help_quit_unknown, setup, teardown),
		cmocka_unit_test_setup_teardown(test_panels, setup, teardown),
		cmocka_unit_test_setup_teardown(test_play, setup, teardown),
		cmocka_unit_test_setup_teardown(test_frame_80x24_shared_block, setup, teardown),
		cmocka_unit_test_setup_teardown(test_frame_cached_free, setup, teardown),
		cmocka_unit_test_setup_teardown(test_frame_attention_shared, setup, teardown),
		cmocka_unit_test_setup_teardown(test_inspector, setup, teardown),
		cmocka_unit_test_setup_teardown(test_click, setup, teardown),
		cmocka_unit_test_setup_teardown(test_frame_preempted, setup_tight, teardown),
		cmocka_unit_test_setup_teardown(test_frame_recomputed, setup_tight, teardown),
		cmocka_unit_test_setup_teardown(test_frame_wide, setup, teardown),
		cmocka_unit_test_setup_teardown(test_too_small_and_help, setup, teardown),
		cmocka_unit_test_setup_teardown(test_layout_thresholds, setup, teardown),
		cmocka_unit_test_setup_teardown(test_every_frame_whole, setup, teardown),
		cmocka_unit_test_setup_teardown(test_every_frame_whole, setup_tight, teardown),
		cmocka_unit_test_setup_teardown(test_many_requests, setup_many, teardown),
		cmocka_unit_test_setup_teardown(test_heads, setup_gqa, teardown),
		cmocka_unit_test_setup_teardown(test_static_rows, setup_static, teardown),
		cmocka_unit_test_setup_teardown(test_wait_reasons, setup_wait, teardown),
		cmocka_unit_test_setup_teardown(test_pool_bands_whole, setup_pool, teardown),
		cmocka_unit_test_setup_teardown(test_inspect_z_sum, setup, teardown),
		cmocka_unit_test_setup_teardown(test_every_frame_whole, setup_pool, teardown),
		cmocka_unit_test_setup_teardown(test_every_frame_whole, setup_static, teardown),
		cmocka_unit_test_setup_teardown(test_every_frame_whole, setup_wait, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
