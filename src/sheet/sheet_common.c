/*
 * The checks and helpers every placeholder kind shares: failing with the
 * placeholder's line, resolving indexes and steps, checking layers and
 * heads, and putting an inline answer (padded in the key, underscores in
 * the blank copy). A leaf of the renderer: sheet_render.c, sheet_values.c
 * and sheet_cells.c call it, and it calls none of them.
 */
#include "sheet_render_int.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

enum {
	INLINE_MIN_W = 6 /* blank of an inline answer: "______" */
};

int sheet_rfail(const Render *R, const Placeholder *ph, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	return kv_error_set(R->err, EX_DATAERR, "%s:%d: %s", R->tp->source,
			    ph->line, msg);
}

/* The value of an index: P or T plus its offset, or the number. */
int sheet_index_value(const Render *R, const SheetIndex *ix)
{
	int base = ix->base == 'P'   ? trace_prompt_len(R->t)
		   : ix->base == 'T' ? trace_steps(R->t)
				     : 0;
	return base + ix->off;
}

/* "T-1" as the template wrote it. */
static void index_text(const SheetIndex *ix, char *buf, size_t n)
{
	if (!ix->base)
		snprintf(buf, n, "%d", ix->off);
	else if (ix->off)
		snprintf(buf, n, "%c%+d", ix->base, ix->off);
	else
		snprintf(buf, n, "%c", ix->base);
}

/* Resolves the step of `ph` into *step, checking 1..T. */
int sheet_step_resolve(const Render *R, const Placeholder *ph, int *step)
{
	int T = trace_steps(R->t);
	*step = sheet_index_value(R, &ph->step);
	if (*step >= 1 && *step <= T)
		return 0;
	char txt[32], val[32] = "";
	index_text(&ph->step, txt, sizeof txt);
	if (ph->step.base)
		snprintf(val, sizeof val, " = %d", *step);
	return sheet_rfail(R, ph, "step %s%s is out of range (this run has "
			   "steps 1..%d)", txt, val, T);
}

/* Checks 1 ≤ layer ≤ the model's layers (layer 0: every layer). */
int sheet_layer_check(const Render *R, const Placeholder *ph)
{
	int n = trace_layers(R->t);
	if (ph->layer >= 0 && ph->layer <= n)
		return 0;
	return sheet_rfail(R, ph, "layer %d is out of range (the model has "
			   "layers 1..%d)", ph->layer, n);
}

/* Checks the head against the `n` heads `what` has. */
int sheet_head_check(const Render *R, const Placeholder *ph, int n,
		     const char *what)
{
	if (ph->head >= 1 && ph->head <= n)
		return 0;
	const Model *m = trace_model(R->t);
	bool kv = n == m->n_kv_heads && n != m->n_heads;
	return sheet_rfail(R, ph, "head %d is out of range (%s has %s 1..%d)",
			   ph->head, what, kv ? "K/V heads" : "heads", n);
}

bool sheet_wants_blank(const Render *R, const Placeholder *ph)
{
	return ph->answer && R->o->blank;
}

/* An inline value: as is when given, padded or underscored when an answer. */
void sheet_inline_put(const Render *R, const Placeholder *ph, const char *s,
		      const SheetRef *ref, SheetBlock *b)
{
	size_t n = strlen(s);
	if (!ph->answer) {
		sheet_block_put(b, 0, s, n, ref);
		return;
	}
	int min = ph->width ? ph->width : INLINE_MIN_W;
	int sw = sheet_text_width(s, n);
	int w = sw > min ? sw : min;
	SheetBuf pad;
	sheet_buf_init(&pad);
	if (sheet_wants_blank(R, ph)) {
		sheet_buf_fill(&pad, '_', w);
		sheet_block_put(b, 0, sheet_buf_str(&pad), pad.len, NULL);
	} else {
		sheet_block_put(b, 0, s, n, ref);
		sheet_buf_fill(&pad, ' ', w - sw);
		sheet_block_put(b, 0, sheet_buf_str(&pad), pad.len, NULL);
	}
	b->oom |= pad.oom;
	sheet_buf_free(&pad);
}
