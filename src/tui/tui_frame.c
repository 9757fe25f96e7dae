/*
 * The whole frame: header, token strip, panes, comparison strip,
 * inspector and legend, laid out by tui_layout.c; or the "terminal too
 * small" screen.
 */
#include "tui_render.h"

#include <stdio.h>
#include <string.h>

/* Centred rows, so even a 20x6 terminal shows the whole message. */
static void draw_too_small(TuiBuf *b)
{
	char need[32], now[32];
	snprintf(need, sizeof need, "need %dx%d", TUI_MIN_W, TUI_MIN_H);
	snprintf(now, sizeof now, "now %dx%d", b->w, b->h);
	const struct {
		const char *text;
		Role role;
	} rows[] = {
		{ "terminal too small", ROLE_WARN }, { need, ROLE_WARN },
		{ now, ROLE_NORMAL }, { "", ROLE_NORMAL },
		{ "q quits", ROLE_DIM },
	};
	int n = (int)(sizeof rows / sizeof rows[0]);
	int y = (b->h - n) / 2;
	for (int i = 0; i < n; i++) {
		int x = (b->w - tui_text_width(rows[i].text)) / 2;
		tui_buf_puts(b, x > 0 ? x : 0, y + i, rows[i].role, rows[i].text);
	}
}

/*
 * What the header shows; header_fit() drops parts, least useful first,
 * until the row fits, so the help hint never disappears.
 */
typedef struct Header {
	bool title;       /* "kvstep " */
	int name_w;       /* model name columns: full, cut with "…", or 0 */
	bool phase;       /* "reading the prompt" / "generating" */
	bool why;         /* "(next token)" / "(prompt: "cat")" */
	const char *hint; /* "?:help  q:quit", "?:help" or "?" */
} Header;

/*
 * What position t (the step) predicts, the same whichever pane has the
 * focus and in the words the inspector uses: `3:sat predicts "on"`, then
 * ` (next token)`, or inside the prompt, where the prompt and not the
 * prediction gives the next token, ` (prompt: "cat")`. Every mode
 * computes the same logits for position t (the lesson), so this reads the
 * KV cache's pass at t, which ends at t.
 */
static void header_prediction(const TuiView *v, const TuiState *s, char *say,
			      char *tok, char *why, size_t n)
{
	const Model *m = trace_model(v->t);
	const TraceStep *ts = trace_step(v->t, s->step, MODE_CACHE);
	snprintf(say, n, "%d:%s predicts ", s->step,
		 m->vocab[trace_token(v->t, s->step)]);
	snprintf(tok, n, "\"%s\"", m->vocab[ts->chosen]);
	if (s->step < s->prompt_n)
		snprintf(why, n, " (prompt: \"%s\")",
			 m->vocab[trace_token(v->t, s->step + 1)]);
	else
		snprintf(why, n, " (next token)");
}

static const char *phase_text(const TuiState *s)
{
	return s->step <= s->prompt_n ? "reading the prompt" : "generating";
}

enum { MODEL_LABEL_W = 7 }; /* "model: " */

static int header_width(const Header *h, const TuiView *v, const TuiState *s)
{
	char say[96], tok[64], why[96], step[32];
	header_prediction(v, s, say, tok, why, sizeof tok);
	snprintf(step, sizeof step, "step %d/%d", s->step, s->steps);
	int w = (h->title ? 7 : 0) +
		(h->name_w ? MODEL_LABEL_W + h->name_w + 2 : 0) +
		tui_text_width(step) +
		(h->phase ? 2 + tui_text_width(phase_text(s)) : 0) + 2 +
		tui_text_width(say) + tui_text_width(tok) +
		(h->why ? tui_text_width(why) : 0);
	return w + 2 + tui_text_width(h->hint);
}

/* The fullest header that fits `w` columns. */
static Header header_fit(const TuiView *v, const TuiState *s, int w)
{
	int name_w = tui_text_width(trace_model(v->t)->name);
	Header h = { true, name_w, true, true, "?:help  q:quit" };
	if (header_width(&h, v, s) <= w)
		return h;
	h.hint = "?:help";
	if (header_width(&h, v, s) <= w)
		return h;
	h.phase = false; /* the token strip shows where the prompt ends */
	if (header_width(&h, v, s) <= w)
		return h;
	h.title = false;
	/* the model name, cut down to no less than 8 columns, then dropped */
	while (h.name_w > 8 && header_width(&h, v, s) > w)
		h.name_w--;
	if (header_width(&h, v, s) <= w)
		return h;
	h.name_w = 0;
	if (header_width(&h, v, s) <= w)
		return h;
	h.why = false;
	if (header_width(&h, v, s) <= w)
		return h;
	h.hint = "?";
	return h;
}

static void draw_header(TuiBuf *b, const TuiView *v, const TuiState *s,
			TuiRect r)
{
	const Model *m = trace_model(v->t);
	Header h = header_fit(v, s, r.w);
	char buf[160], say[96], tok[64], why[96];
	int x = r.x, x_end = r.x + r.w;
	if (h.title)
		x = tui_buf_put(b, x, r.y, x_end, ROLE_TITLE, "kvstep ");
	if (h.name_w > 0) {
		int full = tui_text_width(m->name);
		x = tui_buf_put(b, x, r.y, x_end, ROLE_DIM, "model: ");
		x = tui_buf_put(b, x, r.y, x + h.name_w, ROLE_NORMAL, m->name);
		if (h.name_w < full) /* the name keeps 8 columns or more */
			tui_buf_put(b, x - (v->ascii ? 3 : 1), r.y, x_end,
				    ROLE_NORMAL, v->ascii ? "..." : "…");
		x = tui_buf_put(b, x, r.y, x_end, ROLE_NORMAL, "  ");
	}
	snprintf(buf, sizeof buf, "step %d/%d", s->step, s->steps);
	x = tui_buf_put(b, x, r.y, x_end, ROLE_CURRENT, buf);
	if (h.phase) {
		snprintf(buf, sizeof buf, "  %s", phase_text(s));
		x = tui_buf_put(b, x, r.y, x_end, ROLE_NORMAL, buf);
	}
	header_prediction(v, s, say, tok, why, sizeof tok);
	x = tui_buf_put(b, x, r.y, x_end, ROLE_NORMAL, "  ");
	x = tui_buf_put(b, x, r.y, x_end, ROLE_NORMAL, say);
	x = tui_buf_put(b, x, r.y, x_end, ROLE_CHOSEN, tok);
	if (h.why)
		tui_buf_put(b, x, r.y, x_end, ROLE_NORMAL, why);
	int kx = x_end - tui_text_width(h.hint);
	tui_buf_put(b, kx, r.y, x_end, ROLE_DIM, h.hint);
}

/*
 * " (K, V: shared by heads 3-4)": the query heads reading KV head g; when
 * `brief`, " (K, V of heads 3-4)" for a narrow row.
 */
static void kv_sharing(const Model *m, int g, bool brief, char *out, size_t n)
{
	int group = m->n_heads / m->n_kv_heads;
	if (group == 1)
		snprintf(out, n, brief ? " (head %d's own)"
				       : " (K, V: head %d's own)", g);
	else
		snprintf(out, n, brief ? " (K, V of heads %d-%d)"
				       : " (K, V: shared by heads %d-%d)",
			 (g - 1) * group + 1, g * group);
}

/*
 * Puts `text` at x, or when it is wider than x..x_end, its start and "…"
 * ("..." in ASCII) in the last columns: a cut is never silent.
 */
static int put_marked(TuiBuf *b, const TuiView *v, int x, int y, int x_end,
		      Role role, const char *text)
{
	if (x + tui_text_width(text) <= x_end)
		return tui_buf_put(b, x, y, x_end, role, text);
	const char *ell = v->ascii ? "..." : "…";
	int room = x_end - x - tui_text_width(ell);
	if (room < 0)
		return x;
	tui_buf_put(b, x, y, x + room, role, text);
	return tui_buf_put(b, x + room, y, x_end, role, ell);
}

/*
 * "layer 2/3 (local, window 2)  head 1/2 → KV head 1 (K, V: shared by
 * heads 1-2)", and the keys that change them when there is room.
 */
static void draw_select(TuiBuf *b, const TuiView *v, const TuiState *s,
			TuiRect r)
{
	const Model *m = trace_model(v->t);
	int x_end = r.x + r.w, w = trace_window(v->t, s->layer);
	int g = tui_state_head_of(s, v->t, MAT_K);
	char buf[160], share[64];
	snprintf(buf, sizeof buf, "layer %d/%d", s->layer, s->layers);
	int x = tui_buf_put(b, r.x, r.y, x_end, ROLE_CURRENT, buf);
	if (w > 0 && trace_pinned(v->t, s->layer) > 0)
		snprintf(buf, sizeof buf, " (local, window %d, %d pinned)  ", w,
			 trace_pinned(v->t, s->layer));
	else if (w > 0)
		snprintf(buf, sizeof buf, " (local, window %d)  ", w);
	else
		snprintf(buf, sizeof buf, " (global)  ");
	x = put_marked(b, v, x, r.y, x_end, ROLE_NORMAL, buf);
	snprintf(buf, sizeof buf, "head %d/%d", s->head, s->heads);
	x = put_marked(b, v, x, r.y, x_end, ROLE_CURRENT, buf);
	snprintf(buf, sizeof buf, " %s KV head %d", v->ascii ? "->" : "→", g);
	x = put_marked(b, v, x, r.y, x_end, ROLE_TITLE, buf);
	kv_sharing(m, g, false, share, sizeof share);
	if (x + tui_text_width(share) > x_end)
		kv_sharing(m, g, true, share, sizeof share);
	x = put_marked(b, v, x, r.y, x_end, ROLE_NORMAL, share);
	const char *keys = "< > layer  , . head";
	int kx = x_end - tui_text_width(keys);
	if (kx > x + 1)
		tui_buf_put(b, kx, r.y, x_end, ROLE_DIM, keys);
}

/* One entry of the token strip: " 3:sat" or " [3:sat]", and what leads it. */
typedef struct TokItem {
	char text[64];
	Role role;
	bool bar;  /* the prompt ends before it: " │" first */
	int w;     /* columns, the bar included */
} TokItem;

static void token_item(const TuiView *v, const TuiState *s, int p,
		       TokItem *it)
{
	const Model *m = trace_model(v->t);
	bool prompt = p <= s->prompt_n;
	const char *word = prompt || p <= s->step
				   ? m->vocab[trace_token(v->t, p)]
				   : "?";
	it->role = p == s->step ? ROLE_CURRENT
		 : p > s->step  ? ROLE_DIM
		 : prompt       ? ROLE_PROMPT
				: ROLE_GENERATED;
	snprintf(it->text, sizeof it->text, p == s->step ? "[%d:%s]" : "%d:%s",
		 p, word);
	it->bar = p == s->prompt_n + 1;
	it->w = 1 + tui_text_width(it->text) + (it->bar ? 2 : 0);
}

/*
 * Columns the strip shows from position `first` on, with "… " before it
 * when first > 1 (tokens off to the left): the first position past `w`,
 * so the strip holds first..result-1.
 */
static int tokens_fit(const TuiView *v, const TuiState *s, int first, int w)
{
	int x = first > 1 ? 2 : 0;
	TokItem it;
	for (int p = first; p <= s->steps; p++) {
		token_item(v, s, p, &it);
		/* room for " …" after it unless it is the last */
		int after = p < s->steps ? 2 : 0;
		if (x + it.w + after > w)
			return p;
		x += it.w;
	}
	return s->steps + 1;
}

/*
 * "1:the 2:cat [3:sat] │ 4:? ...": later generated tokens are hidden.
 * When the run does not fit, the strip scrolls so the current token and
 * up to two after it are shown, with "…" ("<" ">" in ASCII) where
 * tokens are off to the left or right.
 */
static void draw_tokens(TuiBuf *b, const TuiView *v, const TuiState *s,
			TuiRect r)
{
	int x = tui_buf_put(b, r.x, r.y, r.x + r.w, ROLE_TITLE, "tokens ");
	int w = r.x + r.w - x;
	int want = s->step + 2 < s->steps ? s->step + 2 : s->steps;
	int first = 1;
	while (first < s->step && tokens_fit(v, s, first, w) <= want)
		first++;
	int end = tokens_fit(v, s, first, w);
	if (first > 1)
		x = tui_buf_put(b, x, r.y, r.x + r.w, ROLE_DIM,
				v->ascii ? "<" : "…");
	TokItem it;
	for (int p = first; p < end; p++) {
		token_item(v, s, p, &it);
		if (it.bar)
			x = tui_buf_put(b, x, r.y, r.x + r.w, ROLE_DIM,
					v->ascii ? " |" : " │");
		x = tui_buf_put(b, x, r.y, r.x + r.w, ROLE_NORMAL, " ");
		x = tui_buf_put(b, x, r.y, r.x + r.w, it.role, it.text);
	}
	if (end <= s->steps)
		tui_buf_put(b, x, r.y, r.x + r.w, ROLE_DIM,
			    v->ascii ? " >" : " …");
}

/* Samples drawn in their own roles, so the legend is the key to colour. */
static void draw_legend(TuiBuf *b, const TuiView *v, TuiRect r)
{
	static const struct {
		CellStatus st;
		const char *sample, *text;
	} items[] = {
		{ CELL_COMPUTED, "1", " computed  " },
		{ CELL_REUSED, "1", " reused (cache)  " },
		{ CELL_RECOMPUTED, "1", " recomputed  " },
		{ CELL_MASKED, " ", " masked  " },
		{ CELL_EVICTED, " ", " evicted  " },
	};
	/* evicted cells exist only in models with a sliding window */
	size_t n = sizeof items / sizeof items[0] - 1;
	for (int l = 1; l <= trace_layers(v->t); l++)
		if (trace_window(v->t, l) > 0)
			n = sizeof items / sizeof items[0];
	int x_end = r.x + r.w;
	int x = tui_buf_put(b, r.x, r.y, x_end, ROLE_TITLE, "legend ");
	/* with five statuses, 80 columns keep the cursor's entry */
	bool short_reused = (n == sizeof items / sizeof items[0] ||
			     trace_shift(v->t)) && r.w < 88;
	for (size_t i = 0; i < n; i++) {
		Role role = tui_status_role(items[i].st);
		const char *text = items[i].st == CELL_REUSED && short_reused
					   ? " reused  " : items[i].text;
		x = tui_buf_put(b, x, r.y, x_end, role, items[i].sample);
		x = tui_buf_put(b, x, r.y, x_end, role,
				tui_status_glyph(items[i].st, v->ascii));
		x = tui_buf_put(b, x, r.y, x_end, ROLE_NORMAL, text);
	}
	if (trace_shift(v->t)) { /* --shift: keys turned back (tui_rope.c) */
		Role role = tui_status_role(CELL_SHIFTED);
		x = tui_buf_put(b, x, r.y, x_end, role, "k");
		x = tui_buf_put(b, x, r.y, x_end, role,
				tui_status_glyph(CELL_SHIFTED, v->ascii));
		x = tui_buf_put(b, x, r.y, x_end, ROLE_NORMAL, " shifted  ");
	}
	int cx = x;
	x = tui_buf_put(b, x, r.y, x_end, ROLE_NORMAL, v->ascii ? ">" : "▶");
	tui_buf_mark(b, cx, r.y, x - cx, TUI_CURSOR_MARK);
	x = tui_buf_put(b, x, r.y, x_end, ROLE_NORMAL, " cursor  ");
	bool pins = false; /* sink_tokens: the cache panel's ^ */
	for (int l = 1; l <= trace_layers(v->t); l++)
		pins = pins || trace_pinned(v->t, l) > 0;
	if (pins && x + 10 <= x_end)
		x = tui_buf_put(b, x, r.y, x_end, ROLE_NORMAL, "^ pinned  ");
	/* a quantised cache (--kv-quant): the mark of a read-back value */
	char quant[32];
	snprintf(quant, sizeof quant, "%s1 quantised  ",
		 tui_quant_mark(v->ascii));
	if (trace_quant(v->t) && x + tui_text_width(quant) <= x_end)
		x = tui_buf_put(b, x, r.y, x_end, ROLE_NORMAL, quant);
	const char *hint = "Tab pane  [ ] matrix  i inspect";
	if (x + tui_text_width(hint) <= x_end)
		tui_buf_put(b, x, r.y, x_end, ROLE_DIM, hint);
}

/*
 * After `0` on a screen too narrow for three panes: why nothing changed,
 * on the legend's row until the next key.
 */
static void draw_need_all(TuiBuf *b, const TuiView *v, TuiRect r)
{
	char buf[128];
	snprintf(buf, sizeof buf, "all three panes need %d columns (this "
		 "terminal has %d); Tab or 1 2 3 pick one",
		 tui_layout_three_width(tui_layout_pane_min(v->pane_need,
							    v->pane_text)),
		 r.w);
	tui_buf_fill(b, r.x, r.y, r.w, ' ', ROLE_NORMAL);
	tui_buf_put(b, r.x, r.y, r.x + r.w, ROLE_WARN, buf);
}

static void draw_separators(TuiBuf *b, const TuiView *v, const TuiLayout *l)
{
	for (int m = 0; m + 1 < MODE_COUNT; m++) {
		if (!l->shown[m] || !l->shown[m + 1])
			continue;
		TuiRect p = l->pane[m];
		for (int y = p.y; y < p.y + p.h; y++)
			tui_buf_fill(b, p.x + p.w, y, 1, v->ascii ? '|' : 0x2502,
				     ROLE_DIM);
	}
}

void tui_render_frame(TuiBuf *b, const TuiView *v, const TuiState *s)
{
	tui_buf_clear(b);
	TuiLayout l;
	tui_layout_compute(&l, b->w, b->h, s,
			   tui_layout_pane_min(v->pane_need, v->pane_text));
	if (l.too_small) {
		draw_too_small(b);
		return;
	}
	draw_header(b, v, s, l.header);
	if (l.select.h > 0)
		draw_select(b, v, s, l.select);
	draw_tokens(b, v, s, l.tokens);
	for (int m = 0; m < MODE_COUNT; m++)
		if (l.shown[m])
			tui_render_pane(b, v, s, (Mode)m, l.pane[m], l.tabs);
	draw_separators(b, v, &l);
	tui_render_strip(b, v, s, l.strip);
	/* side by side, the inspector names the pane it describes */
	tui_render_inspector(b, v, s, l.inspector, !l.tabs);
	if (s->asked_all && l.tabs)
		draw_need_all(b, v, l.legend);
	else
		draw_legend(b, v, l.legend);
	if (s->help)
		tui_render_help(b, v);
}
