#include "tui_spec.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tui_keys.h"
#include "tui_term.h"

enum { LABEL_W = 12, MIN_W = 60, MIN_H = 20 };

void tui_spec_state_init(TuiSpecState *s, const SpecRun *r, int digits)
{
	*s = (TuiSpecState){ .r = r, .iter = spec_iters(r) > 1 ? 1 : 0,
			     .digits = digits >= 0 ? digits : 2 };
}

bool tui_spec_key(TuiSpecState *s, int ch)
{
	int last = spec_iters(s->r) - 1, it = s->iter, dg = s->digits;
	bool help = s->help;
	Action a = tui_key_action(ch, false);
	if (a == ACT_NEXT)
		s->iter = it < last ? it + 1 : last;
	else if (a == ACT_PREV)
		s->iter = it > 0 ? it - 1 : 0;
	else if (a == ACT_FIRST)
		s->iter = 0;
	else if (a == ACT_LAST)
		s->iter = last;
	else if (a == ACT_DIGITS_MORE)
		s->digits = dg < 6 ? dg + 1 : dg;
	else if (a == ACT_DIGITS_LESS)
		s->digits = dg > 0 ? dg - 1 : dg;
	else if (a == ACT_HELP)
		s->help = !s->help;
	else if (a == ACT_CLOSE)
		s->help = false;
	else if (a == ACT_REDRAW)
		return true;
	else if (a == ACT_QUIT)
		s->quit = true;
	return s->iter != it || s->digits != dg || s->help != help;
}

/* printf into a row at x; returns the column after it. */
static int putf(TuiBuf *b, int x, int y, Role role, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

static int putf(TuiBuf *b, int x, int y, Role role, const char *fmt, ...)
{
	char line[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	return tui_buf_puts(b, x, y, role, line);
}

static const char *word(const SpecRun *r, int id)
{
	return spec_model(r, SPEC_TARGET)->vocab[id];
}

/* The tokens 1..t+emitted: prompt, earlier output, this iteration's. */
static void draw_tokens(TuiBuf *b, int y, const TuiSpecState *s)
{
	const SpecRun *r = s->r;
	const SpecIter *it = spec_iter(r, s->iter);
	int P = spec_prompt_len(r), known = it->t + it->emitted_n;
	if (s->iter == 0)
		known = P + it->emitted_n;
	int x = tui_buf_puts(b, 0, y, ROLE_DIM, "tokens      ");
	for (int pos = 1; pos <= known && x < b->w; pos++) {
		bool now = pos > known - it->emitted_n;
		Role role = now ? ROLE_CHOSEN : pos <= P ? ROLE_PROMPT
							  : ROLE_GENERATED;
		x = tui_buf_puts(b, x, y, role, word(r, spec_tokens(r)[pos - 1]));
		x = tui_buf_puts(b, x, y, ROLE_NORMAL, " ");
	}
}

/* Proposals, the target's argmax, the checks and the emitted tokens. */
static int draw_table(TuiBuf *b, int y, const TuiSpecState *s, bool ascii)
{
	const SpecRun *r = s->r;
	const SpecIter *it = spec_iter(r, s->iter);
	int cw = 8;
	putf(b, 0, y, ROLE_TITLE, "iteration %d: x1..x%d known; draft proposes %d; target checks %d..%d in 1 pass",
	     s->iter, it->t, it->k, it->t, it->t + it->k);
	tui_buf_puts(b, 0, y + 1, ROLE_DIM, "for pos");
	tui_buf_puts(b, 0, y + 2, ROLE_DIM, "draft d_i");
	tui_buf_puts(b, 0, y + 3, ROLE_DIM, "target max");
	tui_buf_puts(b, 0, y + 4, ROLE_DIM, "check");
	for (int i = 0; i <= it->k; i++) {
		int x = LABEL_W + i * cw;
		putf(b, x, y + 1, ROLE_DIM, "%d", it->t + 1 + i);
		if (i < it->k)
			tui_buf_put(b, x, y + 2, x + cw - 1, ROLE_NORMAL,
				    word(r, it->draft[i]));
		bool used = i <= it->accepted;
		tui_buf_put(b, x, y + 3, x + cw - 1, used ? ROLE_CHOSEN : ROLE_DIM,
			    word(r, it->target[i]));
		if (i < it->k) {
			bool ok = it->draft[i] == it->target[i];
			const char *mark = i > it->accepted ? (ascii ? "-" : "·")
				: ok ? (ascii ? "ok" : "✓") : (ascii ? "no" : "✗");
			tui_buf_puts(b, x, y + 4, ok && i < it->accepted ?
				     ROLE_COMPUTED : i > it->accepted ? ROLE_DIM :
				     ROLE_WARN, mark);
		} else if (it->accepted == it->k) {
			tui_buf_puts(b, x, y + 4, ROLE_COMPUTED, "bonus");
		}
	}
	int x = tui_buf_puts(b, 0, y + 5, ROLE_DIM, "emitted     ");
	for (int i = 0; i < it->emitted_n; i++) {
		x = tui_buf_puts(b, x, y + 5, ROLE_CHOSEN, word(r, it->emitted[i]));
		x = tui_buf_puts(b, x, y + 5, ROLE_NORMAL, " ");
	}
	putf(b, x + 1, y + 5, ROLE_DIM, "(a = %d accepted + the target's own%s)",
	     it->accepted, it->emitted_n < it->accepted + 1 ? ", cut to N" : "");
	return y + 6;
}

static SpecStatus status_of(const SpecCell *c)
{
	return c->status;
}

static Role spec_role(SpecStatus st)
{
	switch (st) {
	case SPEC_COMPUTED: return ROLE_COMPUTED;
	case SPEC_REUSED: return ROLE_REUSED;
	case SPEC_ROLLED_BACK: return ROLE_EVICTED;
	}
	return ROLE_DIM;
}

static const char *spec_glyph(SpecStatus st)
{
	return st == SPEC_REUSED ? "=" : st == SPEC_ROLLED_BACK ? "~" : "*";
}

/*
 * Matrix `mat` (layer 1, head 1) of the target in this iteration, columns
 * lo..hi (the last that fit), `rows` rows, from x.
 */
static int draw_matrix(TuiBuf *b, int x, int y, int x_end,
		       const TuiSpecState *s, Matrix mat, int rows, int lo,
		       int hi)
{
	const SpecCell *c;
	size_t n = spec_cells(s->r, &c);
	int cw = s->digits + 6;
	int fit = (x_end - x - 2) / cw;
	if (fit < 1)
		return y;
	if (hi - lo + 1 > fit)
		lo = hi - fit + 1; /* the latest columns */
	putf(b, x, y, ROLE_TITLE, "%s", matrix_name(mat));
	for (int col = lo; col <= hi; col++)
		putf(b, x + 2 + (col - lo) * cw, y, ROLE_DIM, "%*d", cw - 2, col);
	for (size_t i = 0; i < n; i++) {
		const SpecCell *e = &c[i];
		if (e->iter != s->iter || e->model != SPEC_TARGET ||
		    e->mat != mat || e->layer != 1 || e->head != 1 ||
		    e->col < lo || e->col > hi || e->row > rows)
			continue;
		int cx = x + 2 + (e->col - lo) * cw, cy = y + e->row;
		char v[32];
		snprintf(v, sizeof v, "%*.*f", cw - 2, s->digits, e->value);
		int ex = tui_buf_put(b, cx, cy, cx + cw - 1, spec_role(status_of(e)), v);
		tui_buf_put(b, ex, cy, cx + cw - 1, spec_role(status_of(e)),
			    spec_glyph(status_of(e)));
	}
	return y + rows + 1;
}

/*
 * Q (the k+1 verify queries), K and V (the cache: reused, computed, rolled
 * back) and S (keys × the verify queries), left to right, wrapping to a
 * new band when the next one does not fit; a band that would pass y_end is
 * left out.
 */
static void draw_flow(TuiBuf *b, int y, int y_end, const TuiSpecState *s,
		      int lo, int hi)
{
	const Model *m = spec_model(s->r, SPEC_TARGET);
	const struct { Matrix mat; int rows, lo; } mats[] = {
		{ MAT_Q, m->d_k, lo }, { MAT_K, m->d_k, 1 },
		{ MAT_V, m->d_v, 1 }, { MAT_S, hi, lo },
	};
	int cw = s->digits + 6, x = 0, band = 0;
	for (size_t i = 0; i < sizeof mats / sizeof *mats; i++) {
		int w = 2 + (hi - mats[i].lo + 1) * cw + 1;
		if (x > 0 && x + w > b->w) {
			y += band + 1;
			x = 0;
			band = 0;
		}
		if (y + mats[i].rows + 1 > y_end)
			return;
		int x_end = x + w < b->w ? x + w : b->w;
		draw_matrix(b, x, y, x_end, s, mats[i].mat, mats[i].rows,
			    mats[i].lo, hi);
		if (mats[i].rows > band)
			band = mats[i].rows;
		x = x_end + 1;
	}
}

static void draw_counters(TuiBuf *b, int y, const TuiSpecState *s)
{
	const SpecRun *r = s->r;
	int i = s->iter;
	const SpecIter *it = spec_iter(r, i);
	Counters dt = spec_total(r, SPEC_DRAFT, i);
	int acc = 0, prop = 0;
	uint64_t wasted = 0;
	for (int j = 1; j <= i; j++) {
		acc += spec_iter(r, j)->accepted;
		prop += spec_iter(r, j)->k;
		wasted += spec_iter(r, j)->wasted_macs;
	}
	int passes = 1 + i, plain = it->generated > 0 ? it->generated : 1;
	putf(b, 0, y, ROLE_TITLE, "so far");
	putf(b, LABEL_W, y, ROLE_NORMAL,
	     "target passes: speculative %d, plain cache decoding %d", passes,
	     plain);
	putf(b, LABEL_W, y + 1, ROLE_NORMAL,
	     "tokens per target pass %.2f   acceptance %d/%d%s", (double)
	     it->generated / passes, acc, prop, prop ? "" : " (none yet)");
	putf(b, LABEL_W, y + 2, ROLE_NORMAL,
	     "draft MACs %" PRIu64 "   target MACs wasted on rejected positions %" PRIu64,
	     counters_macs(&dt), wasted);
}

static void draw_help(TuiBuf *b, bool ascii)
{
	static const Action acts[] = { ACT_NEXT, ACT_PREV, ACT_FIRST, ACT_LAST,
				       ACT_DIGITS_MORE, ACT_DIGITS_LESS,
				       ACT_HELP, ACT_QUIT };
	int n = (int)(sizeof acts / sizeof *acts), y0 = 3, x0 = 4;
	for (int y = y0; y < y0 + n + 2 && y < b->h; y++)
		tui_buf_fill(b, x0, y, 50, ' ', ROLE_NORMAL);
	tui_buf_puts(b, x0 + 1, y0, ROLE_TITLE, "keys (Esc or ? closes)");
	for (int i = 0; i < n; i++) {
		char keys[64];
		tui_action_keys(acts[i], ascii, false, keys, sizeof keys);
		tui_buf_put(b, x0 + 1, y0 + 1 + i, x0 + 20, ROLE_CHOSEN, keys);
		tui_buf_puts(b, x0 + 21, y0 + 1 + i, ROLE_NORMAL,
			     tui_action_help(acts[i]));
	}
}

void tui_spec_render(TuiBuf *b, const TuiSpecState *s, bool ascii)
{
	tui_buf_clear(b);
	if (b->w < MIN_W || b->h < MIN_H) {
		putf(b, 0, 0, ROLE_WARN, "terminal too small (%dx%d); spec needs %dx%d", b->w,
		     b->h, MIN_W, MIN_H);
		return;
	}
	const SpecRun *r = s->r;
	const SpecIter *it = spec_iter(r, s->iter);
	const Model *t = spec_model(r, SPEC_TARGET);
	putf(b, 0, 0, ROLE_TITLE, "kvstep spec  target %s  draft %s  k = %d  iteration %d/%d",
	     t->name, spec_model(r, SPEC_DRAFT)->name, spec_k(r), s->iter,
	     spec_iters(r) - 1);
	draw_tokens(b, 1, s);
	int y = 3;
	if (s->iter == 0) {
		putf(b, 0, y, ROLE_TITLE, "prefill: both models run 1..%d, one pass each; target argmax at %d: x%d = %s",
		     spec_prompt_len(r), spec_prompt_len(r), spec_prompt_len(r) + 1,
		     it->emitted_n ? word(r, it->emitted[0]) : "-");
		y += 2;
	} else {
		y = draw_table(b, y, s, ascii);
	}
	int hi = s->iter == 0 ? spec_prompt_len(r) : it->t + it->k;
	int lo = s->iter == 0 ? 1 : it->t;
	putf(b, 0, y, ROLE_DIM, "target, layer 1, head 1:  * computed  = reused from the cache  ~ rolled back");
	draw_flow(b, y + 1, b->h - 4, s, lo, hi);
	draw_counters(b, b->h - 4, s);
	putf(b, 0, b->h - 1, ROLE_DIM, "%s step  ? keys  q quit",
	     ascii ? "Left/Right" : "←/→");
	if (s->help)
		draw_help(b, ascii);
}

int tui_spec_check(KvError *err)
{
	KvError why;
	kv_error_clear(&why);
	if (!tui_term_check(&why))
		return 0;
	return kv_error_set(err, EX_USAGE,
			    "the spec view needs a terminal; for text use `kvstep spec --export schedule` or `--export cells`");
}

typedef struct Screen {
	TuiSpecState st;
} Screen;

static void op_render(void *ctx, TuiBuf *buf, bool ascii)
{
	Screen *sc = ctx;
	tui_spec_render(buf, &sc->st, ascii);
}

static bool op_key(void *ctx, int ch)
{
	Screen *sc = ctx;
	return tui_spec_key(&sc->st, ch);
}

static bool op_quit(const void *ctx)
{
	const Screen *sc = ctx;
	return sc->st.quit;
}

int tui_spec_run(const SpecRun *r, const TuiOptions *o, KvError *err)
{
	if (tui_spec_check(err))
		return err->code;
	Screen sc;
	tui_spec_state_init(&sc.st, r, o->digits);
	TuiScreenOps ops = { op_render, op_key, op_quit, &sc, NULL, NULL };
	return tui_term_run_ops(&ops, o, err);
}
