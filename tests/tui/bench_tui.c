/*
 * Render benchmark: median time to draw one 200x60 frame into the
 * off-screen buffer, for the default model and the three-layer local/global
 * model with 40 generated tokens (43 positions), stepping through every
 * position in every pane layout; the goal is at most 2 ms a frame.
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "run.h"
#include "tui_render.h"

enum { GENERATE = 40, ROUNDS = 10, W = 200, H = 60 };

static double now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

/* Median and max over every frame of `name` run with GENERATE tokens. */
static int bench_model(const char *name)
{
	KvError err;
	kv_error_clear(&err);
	Model *m = model_load_named(name, &err);
	if (!m) {
		fprintf(stderr, "bench_tui: %s\n", err.msg);
		return 1;
	}
	RunConfig cfg = run_config_default(m);
	cfg.generate = GENERATE;
	Trace *t = run_trace(m, &cfg, &err);
	if (!t) {
		fprintf(stderr, "bench_tui: %s\n", err.msg);
		model_free(m);
		return 1;
	}
	TuiState s;
	tui_state_init(&s, t, -1);
	TuiView v;
	tui_view_init(&v, t, false, s.digits);
	TuiBuf b = { 0 };
	int T = trace_steps(t), n = 0;
	double *times = malloc(sizeof *times * (size_t)(ROUNDS * T));
	if (!times || tui_buf_resize(&b, W, H)) {
		fprintf(stderr, "bench_tui: out of memory\n");
		return 1;
	}
	for (int r = 0; r < ROUNDS; r++) {
		/* all three panes, then each mode alone; layers in turn */
		s.solo = r % 4 == 0 ? -1 : r % 4 - 1;
		s.focus = s.solo < 0 ? MODE_NOCACHE : (Mode)s.solo;
		s.layer = r % s.layers + 1;
		for (int step = 1; step <= T; step++) {
			s.step = step;
			tui_state_clamp(&s, t);
			double t0 = now_us();
			tui_render_frame(&b, &v, &s);
			times[n++] = now_us() - t0;
		}
	}
	qsort(times, (size_t)n, sizeof *times, cmp_double);
	printf("tui render %dx%d, %s model, %d positions: median %.1f us "
	       "per frame, max %.1f us (%d frames)\n",
	       W, H, name, T, times[n / 2], times[n - 1], n);
	free(times);
	tui_buf_free(&b);
	trace_free(t);
	model_free(m);
	return 0;
}

int main(void)
{
	/* the widest classic model, and the stacked one with the most work */
	return bench_model("default") || bench_model("local-global");
}
