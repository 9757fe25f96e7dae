/*
 * The comparison strip: one row per mode with its cumulative MACs as a
 * horizontal bar, scaled to the largest total any mode reaches at the last
 * step, so the bars grow while stepping and no cache pulls ahead as t².
 */
#include "tui_render.h"

#include <inttypes.h>
#include <stdio.h>

static const Role bar_role[MODE_COUNT] = {
	[MODE_NOCACHE] = ROLE_BAR_NOCACHE,
	[MODE_CACHE] = ROLE_BAR_CACHE,
	[MODE_PREFILL] = ROLE_BAR_PREFILL,
};

/* Eighth blocks for the fractional end of a bar. */
static const char *const eighths[8] = { "", "▏", "▎", "▍", "▌", "▋", "▊",
					"▉" };

static uint64_t final_max(const Trace *t)
{
	uint64_t mx = 1;
	for (int m = 0; m < MODE_COUNT; m++) {
		uint64_t x = counters_macs(&trace_step(t, trace_steps(t),
						       (Mode)m)->total);
		if (x > mx)
			mx = x;
	}
	return mx;
}

static int digits_u64(uint64_t x)
{
	int d = 1;
	while (x >= 10) {
		x /= 10;
		d++;
	}
	return d;
}

/* Draws `len` eighths of a cell as a bar from x. */
static void draw_bar(TuiBuf *b, const TuiView *v, int x, int y, int eighth_n,
		     Role role)
{
	int full = eighth_n / 8;
	tui_buf_fill(b, x, y, full, v->ascii ? '#' : 0x2588, role);
	if (!v->ascii)
		tui_buf_puts(b, x + full, y, role, eighths[eighth_n % 8]);
}

void tui_render_strip(TuiBuf *b, const TuiView *v, const TuiState *s,
		      TuiRect r)
{
	const Trace *t = v->t;
	uint64_t mx = final_max(t);
	int dw = digits_u64(mx);
	int lw = 9; /* "no cache " */
	for (int m = 0; m < MODE_COUNT && m < r.h; m++) {
		const Counters *c = &trace_step(t, s->step, (Mode)m)->total;
		char right[128];
		int rw = snprintf(right, sizeof right,
				  " %*" PRIu64 " MACs  %*" PRIu64
				  " recomputed  cache %5" PRIu64 " B  %3" PRIu64
				  " %s",
				  dw, counters_macs(c), dw, c->recomputed_macs,
				  c->cache_bytes, c->passes,
				  c->passes == 1 ? "pass  " : "passes");
		int y = r.y + m;
		tui_buf_put(b, r.x, y, r.x + lw, ROLE_TITLE, mode_title((Mode)m));
		int bar_w = r.w - lw - rw;
		if (bar_w < 4) {
			tui_buf_put(b, r.x + lw, y, r.x + r.w, ROLE_NORMAL, right);
			continue;
		}
		double frac = (double)counters_macs(c) / (double)mx;
		int e = (int)(frac * (double)bar_w * 8.0 + 0.5);
		draw_bar(b, v, r.x + lw, y, e, bar_role[m]);
		tui_buf_put(b, r.x + lw + bar_w, y, r.x + r.w, ROLE_NORMAL, right);
	}
}
