/*
 * The comparison strip: one row per mode with its cumulative MACs as a
 * horizontal bar, scaled to the largest total any mode reaches at the last
 * step, so the bars grow while stepping and no cache pulls ahead as t².
 * A last row says what the KV cache and prefill totals differ by: from
 * the end of the prompt on, only the logits of the earlier prompt
 * positions, which prefill never computes; their attention is the same.
 * (Prefill saves passes, not attention.)
 */
#include "tui_render.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

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

/* The first of `n` texts that fits `w` columns, else the last. */
static const char *fit(char (*texts)[160], int n, int w)
{
	for (int i = 0; i < n - 1; i++)
		if (tui_text_width(texts[i]) <= w)
			return texts[i];
	return texts[n - 1];
}

/* "1-2", or "1" for a single position. */
static void span(int hi, char *out, size_t n)
{
	if (hi > 1)
		snprintf(out, n, "s 1-%d", hi);
	else
		snprintf(out, n, " 1");
}

/*
 * The note under the bars at the current step, in the longest of its
 * forms that fits `w`: before the end of the prompt prefill is ahead (its
 * one pass covered every prompt position); from then on the difference
 * is checked stage by stage against the counters and named.
 */
static void draw_note(TuiBuf *b, const TuiView *v, const TuiState *s,
		      TuiRect r)
{
	const Counters *c = &trace_step(v->t, s->step, MODE_CACHE)->total;
	const Counters *f = &trace_step(v->t, s->step, MODE_PREFILL)->total;
	const char *minus = v->ascii ? "-" : "−";
	char forms[3][160], pos[16];
	int P = s->prompt_n;
	uint64_t cm = counters_macs(c), fm = counters_macs(f);
	bool same_attention = c->macs_proj == f->macs_proj &&
			      c->macs_scores == f->macs_scores &&
			      c->macs_av == f->macs_av;
	if (s->step < P) {
		snprintf(forms[0], sizeof forms[0], "prefill ran all %d prompt "
			 "positions in its pass 1; the KV cache reaches "
			 "position %d at step %d", P, P, P);
		snprintf(forms[1], sizeof forms[1], "prefill's pass 1 covered "
			 "all %d prompt positions; the KV cache: step %d", P, P);
		snprintf(forms[2], sizeof forms[2], "prefill: %d positions in "
			 "pass 1", P);
	} else if (cm == fm) {
		snprintf(forms[0], sizeof forms[0], "KV cache = prefill in MACs:"
			 " a one-token prompt leaves no prompt logits to skip");
		snprintf(forms[1], sizeof forms[1], "KV cache = prefill in MACs");
		snprintf(forms[2], sizeof forms[2], "same MACs");
	} else if (same_attention && cm > fm) {
		span(P - 1, pos, sizeof pos);
		snprintf(forms[0], sizeof forms[0], "KV cache %s prefill = %" PRIu64
			 " MACs: only the logits of prompt position%s, which "
			 "prefill skips; attention costs the same", minus,
			 cm - fm, pos);
		snprintf(forms[1], sizeof forms[1], "KV cache %s prefill = %"
			 PRIu64 " MACs: logits of prompt position%s only, not "
			 "attention", minus, cm - fm, pos);
		snprintf(forms[2], sizeof forms[2], "cache %s prefill = %" PRIu64
			 " MACs: prompt logits only", minus, cm - fm);
	} else {
		snprintf(forms[0], sizeof forms[0], "KV cache %s prefill = %"
			 PRId64 " MACs", minus, (int64_t)(cm - fm));
		strcpy(forms[1], forms[0]);
		strcpy(forms[2], forms[0]);
	}
	tui_buf_put(b, r.x, r.y, r.x + r.w, ROLE_DIM, fit(forms, 3, r.w));
}

/*
 * A quantised cache (--kv-quant) takes the last row: how far the cache
 * modes, which read quantised K and V, are from the exact no-cache mode at
 * this step (the largest |error| per matrix over every layer and head),
 * and whether the next token changes.
 */
static void draw_quant_note(TuiBuf *b, const TuiView *v, const TuiState *s,
			    TuiRect r)
{
	const Trace *t = v->t;
	const KvQuant *q = trace_quant(t);
	const TraceQuantErr *e = trace_quant_err(t, s->step);
	const char *const *voc = (const char *const *)trace_model(t)->vocab;
	char errs[128] = "", next[64], forms[4][160];
	size_t n = 0;
	for (int k = 0; k < QERR_COUNT; k++)
		n += (size_t)snprintf(errs + n, sizeof errs - n, " %s %.3g",
				      quant_err_name((QuantErrMat)k), e->max[k]);
	if (e->changes)
		snprintf(next, sizeof next, "next token changes: %s %s %s",
			 voc[e->exact_token], v->ascii ? "->" : "→",
			 voc[e->quant_token]);
	else
		snprintf(next, sizeof next, "next token same: %s",
			 voc[e->exact_token]);
	snprintf(forms[0], sizeof forms[0],
		 "int%d cache (G %d, R %d) vs exact, max |error|:%s; %s",
		 q->bits, q->group, q->residual, errs, next);
	snprintf(forms[1], sizeof forms[1], "int%d max |error|:%s; %s",
		 q->bits, errs, next);
	snprintf(forms[2], sizeof forms[2], "int%d |err|%s; next %s", q->bits,
		 errs, e->changes ? "changes" : "same");
	snprintf(forms[3], sizeof forms[3], "int%d |err| logits %.3g; next %s",
		 q->bits, e->max[QERR_LOGITS], e->changes ? "changes" : "same");
	tui_buf_put(b, r.x, r.y, r.x + r.w, e->changes ? ROLE_CHOSEN : ROLE_DIM,
		    fit(forms, 4, r.w));
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
	if (r.h > MODE_COUNT && trace_quant(t))
		draw_quant_note(b, v, s,
				(TuiRect){ r.x, r.y + MODE_COUNT, r.w, 1 });
	else if (r.h > MODE_COUNT)
		draw_note(b, v, s,
			  (TuiRect){ r.x, r.y + MODE_COUNT, r.w, 1 });
}
