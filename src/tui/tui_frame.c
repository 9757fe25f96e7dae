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
	const char *hint; /* "?:help  q:quit", "?:help" or "?" */
} Header;

/*
 * The prediction of the focused pane's pass: `predicts: "cat" (prompt
 * continues: "cat")` while the pass's last column is inside the prompt
 * (its argmax is not what comes next), else `next token: "on"`. Writes the
 * text before the token into pre, the token quoted into tok, the rest into
 * post.
 */
static void header_prediction(const TuiView *v, const TuiState *s, char *pre,
			      char *tok, char *post, size_t n)
{
	const Model *m = trace_model(v->t);
	const TraceStep *ts = trace_step(v->t, s->step, s->focus);
	int hi = ts->info.hi;
	snprintf(tok, n, "\"%s\"", m->vocab[ts->chosen]);
	if (hi < s->prompt_n) {
		snprintf(pre, n, "predicts: ");
		snprintf(post, n, " (prompt continues: \"%s\")",
			 m->vocab[trace_token(v->t, hi + 1)]);
	} else {
		snprintf(pre, n, "next token: ");
		post[0] = '\0';
	}
}

static const char *phase_text(const TuiState *s)
{
	return s->step <= s->prompt_n ? "reading the prompt" : "generating";
}

static int header_width(const Header *h, const TuiView *v, const TuiState *s)
{
	char pre[32], tok[64], post[96], step[32];
	header_prediction(v, s, pre, tok, post, sizeof tok);
	snprintf(step, sizeof step, "step %d/%d", s->step, s->steps);
	int w = (h->title ? 7 : 0) + (h->name_w ? h->name_w + 2 : 0) +
		tui_text_width(step) +
		(h->phase ? 2 + tui_text_width(phase_text(s)) : 0) + 2 +
		tui_text_width(pre) + tui_text_width(tok) + tui_text_width(post);
	return w + 2 + tui_text_width(h->hint);
}

/* The fullest header that fits `w` columns. */
static Header header_fit(const TuiView *v, const TuiState *s, int w)
{
	int name_w = tui_text_width(trace_model(v->t)->name);
	Header h = { true, name_w, true, "?:help  q:quit" };
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
	h.hint = "?";
	return h;
}

static void draw_header(TuiBuf *b, const TuiView *v, const TuiState *s,
			TuiRect r)
{
	const Model *m = trace_model(v->t);
	Header h = header_fit(v, s, r.w);
	char buf[160], pre[32], tok[64], post[96];
	int x = r.x, x_end = r.x + r.w;
	if (h.title)
		x = tui_buf_put(b, x, r.y, x_end, ROLE_TITLE, "kvstep ");
	if (h.name_w > 0) {
		int full = tui_text_width(m->name);
		x = tui_buf_put(b, x, r.y, x + h.name_w, ROLE_NORMAL, m->name);
		if (h.name_w < full)
			tui_buf_put(b, x - 1, r.y, x_end, ROLE_NORMAL,
				    v->ascii ? "~" : "…");
		x = tui_buf_put(b, x, r.y, x_end, ROLE_NORMAL, "  ");
	}
	snprintf(buf, sizeof buf, "step %d/%d", s->step, s->steps);
	x = tui_buf_put(b, x, r.y, x_end, ROLE_CURRENT, buf);
	if (h.phase) {
		snprintf(buf, sizeof buf, "  %s", phase_text(s));
		x = tui_buf_put(b, x, r.y, x_end, ROLE_NORMAL, buf);
	}
	header_prediction(v, s, pre, tok, post, sizeof tok);
	x = tui_buf_put(b, x, r.y, x_end, ROLE_NORMAL, "  ");
	x = tui_buf_put(b, x, r.y, x_end, ROLE_NORMAL, pre);
	x = tui_buf_put(b, x, r.y, x_end, ROLE_CHOSEN, tok);
	tui_buf_put(b, x, r.y, x_end, ROLE_NORMAL, post);
	int kx = x_end - tui_text_width(h.hint);
	tui_buf_put(b, kx, r.y, x_end, ROLE_DIM, h.hint);
}

/* " (K, V: shared by heads 3-4)": the query heads reading KV head g. */
static void kv_sharing(const Model *m, int g, char *out, size_t n)
{
	int group = m->n_heads / m->n_kv_heads;
	if (group == 1)
		snprintf(out, n, " (K, V: head %d's own)", g);
	else
		snprintf(out, n, " (K, V: shared by heads %d-%d)",
			 (g - 1) * group + 1, g * group);
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
	if (w > 0)
		snprintf(buf, sizeof buf, " (local, window %d)  ", w);
	else
		snprintf(buf, sizeof buf, " (global)  ");
	x = tui_buf_put(b, x, r.y, x_end, ROLE_NORMAL, buf);
	snprintf(buf, sizeof buf, "head %d/%d", s->head, s->heads);
	x = tui_buf_put(b, x, r.y, x_end, ROLE_CURRENT, buf);
	snprintf(buf, sizeof buf, " %s KV head %d", v->ascii ? "->" : "→", g);
	x = tui_buf_put(b, x, r.y, x_end, ROLE_TITLE, buf);
	kv_sharing(m, g, share, sizeof share);
	x = tui_buf_put(b, x, r.y, x_end, ROLE_NORMAL, share);
	const char *keys = "< > layer  , . head";
	int kx = x_end - tui_text_width(keys);
	if (kx > x + 1)
		tui_buf_put(b, kx, r.y, x_end, ROLE_DIM, keys);
}

/* "1:the 2:cat [3:sat] | 4:? ...": later generated tokens are hidden. */
static void draw_tokens(TuiBuf *b, const TuiView *v, const TuiState *s,
			TuiRect r)
{
	const Model *m = trace_model(v->t);
	int x = tui_buf_put(b, r.x, r.y, r.x + r.w, ROLE_TITLE, "tokens ");
	char buf[64];
	for (int p = 1; p <= s->steps && x < r.x + r.w; p++) {
		bool prompt = p <= s->prompt_n;
		if (p == s->prompt_n + 1)
			x = tui_buf_put(b, x, r.y, r.x + r.w, ROLE_DIM,
					v->ascii ? " |" : " │");
		const char *word = prompt || p <= s->step
					   ? m->vocab[trace_token(v->t, p)]
					   : "?";
		Role role = p == s->step ? ROLE_CURRENT
			  : p > s->step  ? ROLE_DIM
			  : prompt       ? ROLE_PROMPT
					 : ROLE_GENERATED;
		x = tui_buf_put(b, x, r.y, r.x + r.w, ROLE_NORMAL, " ");
		snprintf(buf, sizeof buf, p == s->step ? "[%d:%s]" : "%d:%s", p,
			 word);
		x = tui_buf_put(b, x, r.y, r.x + r.w, role, buf);
	}
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
	bool short_reused = n == sizeof items / sizeof items[0] && r.w < 88;
	for (size_t i = 0; i < n; i++) {
		Role role = tui_status_role(items[i].st);
		const char *text = items[i].st == CELL_REUSED && short_reused
					   ? " reused  " : items[i].text;
		x = tui_buf_put(b, x, r.y, x_end, role, items[i].sample);
		x = tui_buf_put(b, x, r.y, x_end, role,
				tui_status_glyph(items[i].st, v->ascii));
		x = tui_buf_put(b, x, r.y, x_end, ROLE_NORMAL, text);
	}
	int cx = x;
	x = tui_buf_put(b, x, r.y, x_end, ROLE_NORMAL, v->ascii ? ">" : "▶");
	tui_buf_mark(b, cx, r.y, x - cx, TUI_CURSOR_MARK);
	x = tui_buf_put(b, x, r.y, x_end, ROLE_NORMAL, " cursor  ");
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
		 tui_layout_three_width(v->pane_need), r.w);
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
	tui_layout_compute(&l, b->w, b->h, s, v->pane_need);
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
