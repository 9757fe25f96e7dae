/*
 * Continuous against static batching on the same scenario: iterations,
 * padding, preemptions, and the iteration each request finished in, one
 * row per policy, read from serve_summary and serve_compare. Columns of
 * requests that do not fit end in "…".
 */
#include "tui_serve_int.h"

#include <stdio.h>

enum { NAME_W = 20, NUM_W = 11, FIN_W = 7 /* "finish " */ };

int tui_serve_compare_height(const TuiServeState *s)
{
	(void)s;
	return 5; /* title, header, two policies, the lesson */
}

static void draw_policy(TuiBuf *b, const TuiServeState *s, const ServeSummary *m,
			bool shown, int x, int y, int w, bool ascii)
{
	char name[48];
	snprintf(name, sizeof name, "%s%s", serve_batching_name(m->batching),
		 shown ? " (shown)" : "");
	int x_end = x + w;
	tui_buf_put(b, x, y, x_end, shown ? ROLE_TITLE : ROLE_NORMAL, name);
	int cx = x + NAME_W;
	tui_serve_putf(b, cx, y, x_end, ROLE_NORMAL, "%*d%*d%*d", NUM_W - 1,
		       m->iterations, NUM_W, m->padding, NUM_W, m->preemptions);
	cx += 3 * NUM_W + 2 + FIN_W;
	for (int k = 0; k < m->n_requests; k++) {
		char f[16];
		snprintf(f, sizeof f, "%4d", m->finish[k]);
		if (cx + 4 > x_end || (k + 1 < m->n_requests && cx + 8 > x_end)) {
			tui_buf_put(b, cx, y, x_end, ROLE_DIM, ascii ? " ..." : " …");
			return;
		}
		cx = tui_buf_put(b, cx, y, x_end, ROLE_NORMAL, f);
	}
	(void)s;
}

void tui_serve_draw_compare(TuiBuf *b, const TuiServeState *s, int x, int y,
			    int w, int h, bool ascii)
{
	const Scenario *sc = serve_scenario(s->r);
	ServeSummary me = serve_summary(s->r), other;
	if (h < 1)
		return;
	tui_serve_putf(b, x, y, x + w, ROLE_TITLE,
		       "continuous vs static batching on this scenario (static: batches of up to %d)",
		       sc->max_batch);
	if (!serve_compare(s->r, &other)) {
		if (h > 1)
			tui_buf_put(b, x, y + 1, x + w, ROLE_DIM,
				    "this run was made without the comparison");
		return;
	}
	if (h < 4)
		return;
	const ServeSummary *cont = me.batching == SERVE_CONTINUOUS ? &me : &other;
	const ServeSummary *stat = me.batching == SERVE_CONTINUOUS ? &other : &me;
	int cx = tui_serve_putf(b, x + NAME_W, y + 1, x + w, ROLE_DIM, "%*s%*s%*s  finish ",
				NUM_W - 1, "iterations", NUM_W, "padding", NUM_W,
				"preempted");
	(void)cx;
	cx = x + NAME_W + 3 * NUM_W + 2 + FIN_W;
	for (int k = 1; k <= sc->n_requests; k++) {
		char lab[24];
		tui_serve_owner_label(sc, k, lab, sizeof lab);
		if (cx + 4 > x + w || (k < sc->n_requests && cx + 8 > x + w))
			break;
		cx = tui_serve_putf(b, cx, y + 1, x + w, ROLE_DIM, "%4.4s", lab);
	}
	draw_policy(b, s, cont, cont == &me, x, y + 2, w, ascii);
	draw_policy(b, s, stat, stat == &me, x, y + 3, w, ascii);
	if (h > 4) {
		char lesson[160];
		snprintf(lesson, sizeof lesson,
			 "static pads %d slot-iteration%s: finished or idle members wait for the batch's last member to finish",
			 stat->padding, stat->padding == 1 ? "" : "s");
		tui_serve_put_elided(b, x, y + 4, w, ROLE_DIM, lesson, ascii);
	}
}
