/*
 * The serving screen's leaf helpers (tui_serve_int.h): what the panes
 * draw of a matrix, click tags, and text that never passes a cut for
 * the whole. The other tui_serve files call these; these call none of
 * them.
 */
#include "tui_serve_int.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

int tui_serve_head_of(const TuiServeState *s, Matrix mat)
{
	const Model *m = serve_scenario(s->r)->model;
	if (mat == MAT_K || mat == MAT_V)
		return model_kv_head(m, s->head - 1) + 1;
	if (mat == MAT_Q || mat == MAT_S || mat == MAT_A || mat == MAT_Z)
		return s->head;
	return 1;
}

static bool in_batch(const ServeEntry *e)
{
	return e->phase == SERVE_PREFILL || e->phase == SERVE_DECODE;
}

void tui_serve_extent(const TuiServeState *s, Matrix mat, TuiServeExtent *e)
{
	const ServeEntry *en = serve_entry(s->r, s->iter, s->req);
	const Model *m = serve_scenario(s->r)->model;
	bool in = in_batch(en);
	*e = (TuiServeExtent){ 0, 1, 0 };
	if (!serve_has_cells(s->r))
		return;
	if (mat == MAT_K || mat == MAT_V) {
		int hi = in ? en->hi : en->held;
		if (hi >= 1)
			*e = (TuiServeExtent){ mat == MAT_K ? m->d_k : m->d_v, 1, hi };
	} else if (in && (mat == MAT_S || mat == MAT_A)) {
		*e = (TuiServeExtent){ en->hi, en->lo, en->hi };
	} else if (in && mat == MAT_Z) {
		*e = (TuiServeExtent){ m->d_v, en->lo, en->hi };
	}
}

int tui_serve_putf(TuiBuf *b, int x, int y, int x_end, Role role,
		   const char *fmt, ...)
{
	char line[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	return tui_buf_put(b, x, y, x_end, role, line);
}

int tui_serve_put_elided(TuiBuf *b, int x, int y, int w, Role role,
			 const char *s, bool ascii)
{
	if (w <= 0)
		return x;
	if (tui_text_width(s) <= w)
		return tui_buf_put(b, x, y, x + w, role, s);
	const char *dots = ascii ? "..." : "…";
	int dw = tui_text_width(dots);
	if (w <= dw)
		return tui_buf_put(b, x, y, x + w, role, dots);
	int end = tui_buf_put(b, x, y, x + w - dw, role, s);
	return tui_buf_put(b, end, y, x + w, role, dots);
}

void tui_serve_owner_label(const Scenario *sc, int k, char *out, size_t n)
{
	bool letters = true;
	for (int i = 0; i < sc->n_requests; i++)
		if (tui_text_width(sc->req[i].name) != 1)
			letters = false;
	if (letters)
		snprintf(out, n, "%s", sc->req[k - 1].name);
	else
		snprintf(out, n, "%d", k);
}

uint32_t tui_serve_hit_pack(int req, int mat, int row, int col)
{
	if (req < 1 || req > 63 || mat < -1 || mat >= MAT_COUNT || row < 0 ||
	    row > TUI_SERVE_HIT_MAX || col < 0 || col > TUI_SERVE_HIT_MAX)
		return 0;
	return (1u << 29) | (uint32_t)req << 22 | (uint32_t)(mat + 1) << 18 |
	       (uint32_t)row << 9 | (uint32_t)col;
}

bool tui_serve_hit_unpack(uint32_t tag, TuiServeHit *out)
{
	if ((tag >> 29) != 1)
		return false;
	*out = (TuiServeHit){ (int)(tag >> 22 & 63), (int)(tag >> 18 & 15) - 1,
			      (int)(tag >> 9 & 511), (int)(tag & 511) };
	return out->req >= 1;
}


void tui_serve_short_name(const char *name, int w, bool ascii, char *out,
			  size_t n)
{
	int len = (int)strlen(name); /* names are ASCII-safe words; see below */
	const char *dots = ascii ? "..." : "…";
	int dw = ascii ? 3 : 1, tail = 2;
	if (tui_text_width(name) <= w || len != tui_text_width(name) ||
	    w < dw + tail + 1) {
		snprintf(out, n, "%s", name); /* fits, or not plain ASCII: cut */
		return;
	}
	snprintf(out, n, "%.*s%s%s", w - dw - tail, name, dots, name + len - tail);
}
