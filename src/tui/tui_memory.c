/*
 * The `m` view: cache memory per mode, step by step.
 *
 *   ┌ cache memory: K and V bytes held after each step ──────┐
 *   │ step token   no cache  KV cache   prefill              │
 *   │    1 the          0 B      24 B      72 B  █           │
 *   │    2 cat          0 B      48 B      72 B  ██          │
 *   │ a KV cache column: d_k + d_v = 6 cells of 4 B          │
 *   │ no cache keeps nothing: it recomputes K and V          │
 *   │ m or Esc closes                                        │
 *   └────────────────────────────────────────────────────────┘
 */
#include "tui_screen.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

enum {
	MEM_W = 64,      /* box width when the screen allows */
	MEM_NUM_W = 10,  /* one mode's column: "  1234 B" right-aligned */
	MEM_TOKEN_W = 8, /* token spelling, cut */
	MEM_EXTRA_ROWS = 6, /* borders, heading, two notes, footer */
};

static const char *const mode_heads[MODE_COUNT] = { "no cache", "KV cache",
						     "prefill" };

static void box(TuiBuf *b, const TuiView *v, TuiRect r, const char *title)
{
	uint32_t h = v->ascii ? '-' : 0x2500, vert = v->ascii ? '|' : 0x2502;
	for (int y = r.y; y < r.y + r.h; y++) {
		tui_buf_fill(b, r.x, y, r.w, ' ', ROLE_NORMAL);
		tui_buf_fill(b, r.x, y, 1, vert, ROLE_TITLE);
		tui_buf_fill(b, r.x + r.w - 1, y, 1, vert, ROLE_TITLE);
	}
	tui_buf_fill(b, r.x, r.y, r.w, h, ROLE_TITLE);
	tui_buf_fill(b, r.x, r.y + r.h - 1, r.w, h, ROLE_TITLE);
	tui_buf_fill(b, r.x, r.y, 1, v->ascii ? '+' : 0x250C, ROLE_TITLE);
	tui_buf_fill(b, r.x + r.w - 1, r.y, 1, v->ascii ? '+' : 0x2510,
		     ROLE_TITLE);
	tui_buf_fill(b, r.x, r.y + r.h - 1, 1, v->ascii ? '+' : 0x2514,
		     ROLE_TITLE);
	tui_buf_fill(b, r.x + r.w - 1, r.y + r.h - 1, 1,
		     v->ascii ? '+' : 0x2518, ROLE_TITLE);
	tui_buf_put(b, r.x + 2, r.y, r.x + r.w - 1, ROLE_TITLE, title);
}

static uint64_t bytes_at(const Trace *t, int step, Mode m)
{
	return trace_step(t, step, m)->total.cache_bytes;
}

/* The largest byte count any mode reaches: the bar's full length. */
static uint64_t most_bytes(const Trace *t)
{
	uint64_t most = 1;
	for (int m = 0; m < MODE_COUNT; m++)
		for (int st = 1; st <= trace_steps(t); st++)
			if (bytes_at(t, st, (Mode)m) > most)
				most = bytes_at(t, st, (Mode)m);
	return most;
}

static void draw_step_row(TuiBuf *b, const TuiView *v, const TuiState *s,
			  int step, int x, int y, int x_end, uint64_t most)
{
	const Trace *t = v->t;
	char buf[64];
	snprintf(buf, sizeof buf, "%4d %-*.*s", step, MEM_TOKEN_W, MEM_TOKEN_W,
		 trace_model(t)->vocab[trace_token(t, step)]);
	x = tui_buf_put(b, x, y, x_end,
			step == s->step ? ROLE_CURRENT : ROLE_NORMAL, buf);
	for (int m = 0; m < MODE_COUNT; m++) {
		snprintf(buf, sizeof buf, "%*" PRIu64 " B", MEM_NUM_W - 2,
			 bytes_at(t, step, (Mode)m));
		x = tui_buf_put(b, x, y, x_end,
				m == (int)s->focus ? ROLE_TITLE : ROLE_NORMAL,
				buf);
	}
	int room = x_end - x - 2;
	if (room < 1)
		return;
	uint64_t kv = bytes_at(t, step, MODE_CACHE);
	int len = (int)((kv * (uint64_t)room + most - 1) / most);
	tui_buf_fill(b, x + 2, y, len, v->ascii ? '#' : 0x2588,
		     ROLE_BAR_CACHE);
}

void tui_render_memory(TuiBuf *b, const TuiView *v, const TuiState *s)
{
	const Trace *t = v->t;
	const Model *m = trace_model(t);
	int w = b->w - 4 < MEM_W ? b->w - 4 : MEM_W;
	int rows = s->step;
	if (rows > b->h - 4 - MEM_EXTRA_ROWS)
		rows = b->h - 4 - MEM_EXTRA_ROWS;
	if (w < 40 || rows < 1)
		return;
	TuiRect r = { (b->w - w) / 2, 3, w, rows + MEM_EXTRA_ROWS };
	box(b, v, r, " cache memory: K and V bytes held after each step ");
	int x = r.x + 2, x_end = r.x + r.w - 2, y = r.y + 1;
	char buf[160];
	int n = snprintf(buf, sizeof buf, "step %-*s", MEM_TOKEN_W, "token");
	for (int i = 0; i < MODE_COUNT; i++)
		n += snprintf(buf + n, sizeof buf - (size_t)n, "%*s", MEM_NUM_W,
			      mode_heads[i]);
	tui_buf_put(b, x, y++, x_end, ROLE_DIM, buf);
	int first = s->step - rows + 1;
	uint64_t most = most_bytes(t);
	for (int st = first; st <= s->step; st++)
		draw_step_row(b, v, s, st, x, y++, x_end, most);
	/* where a column's bytes come from: every layer and KV head */
	uint64_t per_cell = (uint64_t)trace_elem_bytes(t);
	snprintf(buf, sizeof buf, "a column: %d layer%s %s %d KV head%s %s "
		 "(%d+%d) cells of %" PRIu64 " B", m->n_layers,
		 m->n_layers == 1 ? "" : "s", v->ascii ? "x" : "×",
		 m->n_kv_heads, m->n_kv_heads == 1 ? "" : "s",
		 v->ascii ? "x" : "×", m->d_k, m->d_v, per_cell);
	tui_buf_put(b, x, y++, x_end, ROLE_DIM, buf);
	tui_buf_put(b, x, y++, x_end, ROLE_DIM,
		    "no cache keeps nothing: it recomputes K and V every pass");
	tui_buf_put(b, x, y, x_end, ROLE_DIM, "m or Esc closes this view");
}
