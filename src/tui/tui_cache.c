/*
 * The cache panel of a stacked model: one row per layer with what that
 * layer's K/V cache holds at the step. A global layer grows by one column
 * per token; a sliding-window (local) layer is a ring of W slots, column i
 * in slot (i-1) mod W, so its row stays W slots wide and the newest column
 * overwrites the one that fell out of the window:
 *
 *   cache 32 cells 128 B: a column is 1 KV head × (2+2); column i in ...
 *   L1 local W=2 │ 3= 4*│ 2x out       8 cells  32 B
 *   L3 global    │ 1= 2= 3= 4*│       16 cells  64 B
 *
 * With `sink_tokens = N` a local layer keeps N pinned slots before its
 * ring (N + W in all), marked ^ and set off by ┊; a pinned column is
 * never evicted:
 *
 *   L1 W=2 pin 1 │ 1^┊ 8* 7=│ 6x out
 *
 * Everything is read from the trace: which columns are held comes from
 * K's cell statuses, cells are counted over the held K and V cells, and
 * the title's total is their sum, which equals the trace's cache_cells.
 */
#include "tui_render.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

enum {
	WORD_MAX = 5, /* token spelling shown in a slot on wide panes */
};

static bool is_held(CellStatus st)
{
	return st == CELL_COMPUTED || st == CELL_REUSED ||
	       st == CELL_RECOMPUTED;
}

/* K and V cells of `layer` the cache holds in column `col`. */
static uint64_t column_cells(const Trace *t, int step, Mode mode, int layer,
			     int col)
{
	static const Matrix kv[] = { MAT_K, MAT_V };
	uint64_t n = 0;
	for (int i = 0; i < 2; i++) {
		int rows = trace_matrix_rows(t, kv[i]);
		for (int r = 1; r <= rows; r++)
			if (is_held(trace_status_at(t, step, mode, layer, kv[i],
						    r, col)))
				n += (uint64_t)trace_heads(t, kv[i]);
	}
	return n;
}

bool tui_evicted_has_value(const Trace *t, int step, Mode mode,
			   CellStatus st, int col)
{
	return st == CELL_EVICTED &&
	       col >= trace_step(t, step, mode)->info.proj_lo;
}

void tui_cache_layer(const Trace *t, int step, Mode mode, int layer,
		     TuiLayerCache *out)
{
	const TraceStep *ts = trace_step(t, step, mode);
	*out = (TuiLayerCache){ .window = trace_window(t, layer), .lo = 1,
				.pinned = trace_pinned(t, layer) };
	TraceSpan sp;
	if (!ts->keeps_cache ||
	    !trace_span_at(t, step, mode, layer, MAT_K, &sp))
		return;
	out->lo = sp.col_hi + 1;
	for (int c = sp.col_lo; c <= sp.col_hi; c++) {
		CellStatus st = trace_status_at(t, step, mode, layer, MAT_K, 1,
						c);
		if (st == CELL_EVICTED)
			out->evicted = c; /* the latest one out */
		if (!is_held(st))
			continue;
		if (c < out->lo)
			out->lo = c;
		out->hi = c;
		out->cells += column_cells(t, step, mode, layer, c);
	}
	/* only a column this pass evicted counts as just evicted */
	TraceKv kv;
	if (out->evicted > 0 &&
	    (!trace_kv_at(t, step, mode, layer, out->evicted, &kv) ||
	     kv.gone != ts->pass))
		out->evicted = 0;
	out->bytes = out->cells * (uint64_t)trace_elem_bytes(t);
	const KvQuant *q = trace_quant(t);
	if (q && out->hi >= out->lo) /* codes, scales, mins and the residual */
		out->bytes = kv_quant_bytes(
			(uint64_t)trace_heads(t, MAT_K) *
			kv_quant_bits(q, out->lo, out->hi,
				      trace_matrix_rows(t, MAT_K),
				      trace_matrix_rows(t, MAT_V),
				      trace_elem_bytes(t)));
}

int tui_cache_height(const TuiView *v, int avail)
{
	if (!trace_model(v->t)->stacked)
		return 0;
	int want = 1 + trace_layers(v->t);
	if (want > avail)
		want = avail;
	return want >= 2 ? want : 0;
}

static int digits_i(uint64_t x)
{
	int d = 1;
	while (x >= 10) {
		x /= 10;
		d++;
	}
	return d;
}

/* Sizes shared by every row of one panel, so the columns line up. */
typedef struct Panel {
	TuiBuf *b;
	const TuiView *v;
	const TuiState *s;
	Mode mode;
	TuiRect r;
	int label_w;  /* "L1 local W=2 " */
	int col_w;    /* digits of the largest column number */
	int slot_w;   /* one slot: separator, column (":word"), glyph */
	bool words;   /* slots show the token after the column number */
	int tail_w;   /* " 2x out" */
	int cells_w;  /* digits of the largest cell count */
	int bytes_w;
} Panel;

static void layer_label(const Trace *t, int l, char *out, size_t n)
{
	int w = trace_window(t, l), pin = trace_pinned(t, l);
	if (w > 0 && pin > 0)
		snprintf(out, n, "L%d W=%d pin %d", l, w, pin);
	else if (w > 0)
		snprintf(out, n, "L%d local W=%d", l, w);
	else
		snprintf(out, n, "L%d global", l);
}

/* Widest slot row a layer of this trace can reach: W or T slots. */
static int most_slots(const Trace *t)
{
	int most = 1, T = trace_steps(t);
	for (int l = 1; l <= trace_layers(t); l++) {
		int w = trace_window(t, l) + trace_pinned(t, l);
		int n = w > 0 && w < T ? w : T;
		if (n > most)
			most = n;
	}
	return most;
}

static int counts_width(const Panel *p)
{
	/* " 16 cells  64 B" */
	return 1 + p->cells_w + 7 + p->bytes_w + 2;
}

static void panel_measure(Panel *p)
{
	const Trace *t = p->v->t;
	int T = trace_steps(t);
	char buf[48];
	p->label_w = 0;
	for (int l = 1; l <= trace_layers(t); l++) {
		layer_label(t, l, buf, sizeof buf);
		int w = tui_text_width(buf) + 1;
		if (w > p->label_w)
			p->label_w = w;
	}
	p->col_w = digits_i((uint64_t)T);
	p->tail_w = 1 + p->col_w + 5;
	uint64_t cells = 1, bytes = 1;
	for (int m = 0; m < MODE_COUNT; m++) {
		const Counters *c = &trace_step(t, T, (Mode)m)->total;
		if (c->cache_cells > cells)
			cells = c->cache_cells;
		if (c->cache_bytes > bytes)
			bytes = c->cache_bytes;
	}
	p->cells_w = digits_i(cells);
	p->bytes_w = digits_i(bytes);
	/* token words in the slots when every slot row still fits */
	int room = p->r.w - p->label_w - 2 - p->tail_w - counts_width(p);
	int wide = 1 + p->col_w + 1 + WORD_MAX + 1;
	p->words = most_slots(t) * wide <= room;
	p->slot_w = p->words ? wide : 1 + p->col_w + 1;
}

static void draw_title(const Panel *p, uint64_t cells, uint64_t bytes)
{
	const Trace *t = p->v->t;
	const Model *m = trace_model(t);
	const TraceStep *ts = trace_step(t, p->s->step, p->mode);
	int x_end = p->r.x + p->r.w, y = p->r.y;
	char buf[200];
	if (!ts->keeps_cache) {
		tui_buf_put(p->b, p->r.x, y, x_end, ROLE_TITLE,
			    "no cache: K and V are recomputed every pass, 0 B "
			    "kept");
		return;
	}
	bool any_window = false, any_pin = false;
	for (int l = 1; l <= trace_layers(t); l++) {
		any_window = any_window || trace_window(t, l) > 0;
		any_pin = any_pin || trace_pinned(t, l) > 0;
	}
	snprintf(buf, sizeof buf, "cache %" PRIu64 " cells %" PRIu64 " B",
		 cells, bytes);
	int x = tui_buf_put(p->b, p->r.x, y, x_end, ROLE_TITLE, buf);
	/* the explanations, each only when it fits whole */
	snprintf(buf, sizeof buf, ": a column is %d KV head%s %s (%d+%d)",
		 m->n_kv_heads, m->n_kv_heads == 1 ? "" : "s",
		 p->v->ascii ? "x" : "×", m->d_k, m->d_v);
	if (x + tui_text_width(buf) <= x_end)
		x = tui_buf_put(p->b, x, y, x_end, ROLE_DIM, buf);
	const char *ring = "; column i in slot (i-1) mod W";
	if (any_pin) { /* the long note, else the short one */
		const char *pin = "; ^ pinned first columns, never evicted";
		ring = ", then a ring of W";
		if (x + tui_text_width(pin) > x_end) {
			pin = "; ^ pinned";
			ring = "";
		}
		if (x + tui_text_width(pin) <= x_end)
			x = tui_buf_put(p->b, x, y, x_end, ROLE_DIM, pin);
		else
			ring = "";
	}
	if (any_window && *ring && x + tui_text_width(ring) <= x_end)
		tui_buf_put(p->b, x, y, x_end, ROLE_DIM, ring);
}

/* The slots of `layer`: its ring of W, or columns lo..hi when global. */
static int draw_slots(const Panel *p, int layer, const TuiLayerCache *lc,
		      int x, int y, int x_stop)
{
	const Trace *t = p->v->t;
	TuiBuf *b = p->b;
	const char *bar = p->v->ascii ? "|" : "│";
	x = tui_buf_put(b, x, y, x_stop, ROLE_DIM, bar);
	int n = lc->window > 0 ? lc->pinned + lc->window : lc->hi - lc->lo + 1;
	int fit = (x_stop - x - 1) / p->slot_w;
	int first = 0;
	if (n > fit) {
		/* a long global row keeps its newest columns */
		first = n - fit + 1;
		tui_buf_put(b, x + 1, y, x_stop, ROLE_DIM,
			    p->v->ascii ? ".." : "…");
		x += p->slot_w;
	}
	for (int k = first; k < n; k++) {
		int col = 0;
		if (lc->window > 0) {
			/* slot k+1 holds the column the trace put there */
			col = trace_kv_holder(t, p->s->step, p->mode, layer,
					      (KvPlace){ 1, k + 1 });
		} else {
			col = lc->lo + k;
		}
		if (col < 1) {
			tui_buf_put(b, x + p->col_w, y, x_stop, ROLE_DIM,
				    p->v->ascii ? "-" : "·");
			x += p->slot_w;
			continue;
		}
		if (k == lc->pinned && k > 0) /* the ring after the pins */
			tui_buf_put(b, x, y, x_stop, ROLE_DIM,
				    p->v->ascii ? ":" : "┊");
		CellStatus st = trace_status_at(t, p->s->step, p->mode, layer,
						MAT_K, 1, col);
		Role role = tui_status_role(st);
		/* a pinned column an earlier pass wrote: ^ for its pin */
		const char *glyph = col <= lc->pinned && st == CELL_REUSED
					    ? "^" : tui_status_glyph(st, p->v->ascii);
		char buf[48];
		int len = snprintf(buf, sizeof buf, "%d", col);
		if (p->words)
			snprintf(buf + len, sizeof buf - (size_t)len, ":%.*s",
				 WORD_MAX,
				 trace_model(t)->vocab[trace_token(t, col)]);
		int cx = x + 1 + p->col_w - len;
		tui_buf_fill(b, x + 1, y, cx - x - 1, ' ', role);
		cx = tui_buf_put(b, cx, y, x_stop, role, buf);
		tui_buf_put(b, cx, y, x_stop, role, glyph);
		x += p->slot_w;
	}
	return tui_buf_put(b, x, y, x_stop, ROLE_DIM, bar);
}

static void draw_layer(const Panel *p, int layer, int y,
		       const TuiLayerCache *lc)
{
	TuiBuf *b = p->b;
	int x_end = p->r.x + p->r.w;
	char buf[96];
	layer_label(p->v->t, layer, buf, sizeof buf);
	tui_buf_put(b, p->r.x, y, x_end,
		    layer == p->s->layer ? ROLE_TAB_ACTIVE : ROLE_TITLE, buf);
	int cx = x_end - counts_width(p);
	snprintf(buf, sizeof buf, " %*" PRIu64 " cells %*" PRIu64 " B",
		 p->cells_w, lc->cells, p->bytes_w, lc->bytes);
	tui_buf_put(b, cx, y, x_end, ROLE_NORMAL, buf);
	int x = p->r.x + p->label_w;
	if (lc->lo > lc->hi) {
		tui_buf_put(b, x, y, cx, ROLE_DIM, "nothing kept");
		return;
	}
	x = draw_slots(p, layer, lc, x, y, cx - p->tail_w);
	if (lc->evicted > 0) {
		snprintf(buf, sizeof buf, "%d%s", lc->evicted,
			 tui_status_glyph(CELL_EVICTED, p->v->ascii));
		x = tui_buf_put(b, x + 1, y, cx, ROLE_EVICTED, buf);
		x = tui_buf_put(b, x, y, cx, ROLE_DIM, " out");
		/* the ring's rule, when there is room: slot (i-1) mod W */
		TraceKv kv = { .place = { 0, 0 } };
		trace_kv_at(p->v->t, p->s->step, p->mode, layer, lc->hi, &kv);
		snprintf(buf, sizeof buf, ", column %d took its slot %d",
			 lc->hi, kv.place.slot);
		if (x + tui_text_width(buf) < cx)
			tui_buf_put(b, x, y, cx, ROLE_DIM, buf);
	}
}

void tui_render_cache(TuiBuf *b, const TuiView *v, const TuiState *s,
		      Mode mode, TuiRect r)
{
	Panel p = { .b = b, .v = v, .s = s, .mode = mode, .r = r };
	panel_measure(&p);
	const Trace *t = v->t;
	int L = trace_layers(t), rows = r.h - 1;
	/* the rows keep the selected layer in view */
	int first = s->layer - rows / 2;
	if (first > L - rows + 1)
		first = L - rows + 1;
	if (first < 1)
		first = 1;
	uint64_t cells = 0, bytes = 0;
	for (int l = 1; l <= L; l++) {
		TuiLayerCache lc;
		tui_cache_layer(t, s->step, mode, l, &lc);
		cells += lc.cells;
		bytes += lc.bytes;
		if (l >= first && l < first + rows)
			draw_layer(&p, l, r.y + 1 + l - first, &lc);
	}
	draw_title(&p, cells, bytes);
}
