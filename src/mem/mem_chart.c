#include "mem_chart.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "mem_format.h"

/* Output buffer that counts what it could not hold, like snprintf. */
typedef struct Sb {
	char *buf;
	size_t size;
	size_t len; /* bytes wanted so far */
} Sb;

static void sb_put(Sb *sb, const char *s)
{
	size_t n = strlen(s);
	if (sb->size && sb->len < sb->size - 1) {
		size_t room = sb->size - 1 - sb->len;
		memcpy(sb->buf + sb->len, s, n < room ? n : room);
	}
	sb->len += n;
}

static void sb_repeat(Sb *sb, const char *s, int times)
{
	for (int i = 0; i < times; i++)
		sb_put(sb, s);
}

/* One bar's glyphs: cell[k] is a cell filled k/steps from the bottom. */
typedef struct BarGlyphs {
	const char *cell[9]; /* cell[0] blank .. cell[steps] full */
	int steps;
} BarGlyphs;

typedef struct ChartGlyphs {
	BarGlyphs global; /* the all-global bar */
	BarGlyphs actual; /* the as-published bar */
	const char *axis, *tick, *corner, *rule;
} ChartGlyphs;

static const ChartGlyphs chart_ascii = {
	{ { " ", ":" }, 1 },
	{ { " ", "#" }, 1 },
	"|", "+", "+", "-",
};

/* Braille (quarter cells) for all-global, blocks (eighths) as published:
 * both bars show small values, and they never look alike. */
static const ChartGlyphs chart_utf8 = {
	{ { " ", "\u28c0", "\u28e4", "\u28f6", "\u28ff" }, 4 },
	{ { " ", "\u2581", "\u2582", "\u2583", "\u2584", "\u2585", "\u2586",
	    "\u2587", "\u2588" }, 8 },
	"\u2502", "\u2524", "\u2514", "\u2500",
};

int mem_chart_fill(MemChart *ch, const MemConfig *c, MemKvType d,
		   uint64_t batch, unsigned lo_exp, unsigned hi_exp, KvError *e)
{
	char type[16];
	if (lo_exp > hi_exp || hi_exp > 31)
		return kv_error_set(e, EX_USAGE, "chart range 2^%u..2^%u is out of 2^0..2^31",
				    lo_exp, hi_exp);
	memset(ch, 0, sizeof *ch);
	mem_kv_type_name(d, type, sizeof type);
	snprintf(ch->title, sizeof ch->title, "KV cache of %s by context length", c->id);
	snprintf(ch->subtitle, sizeof ch->subtitle, "(%s, batch %" PRIu64 ")",
		 type, batch);
	bool mha = c->n_local == 0;
	ch->single = mha && mem_cell_bits_mha(c, d) == mem_cell_bits(c, d);
	snprintf(ch->baseline, sizeof ch->baseline, "%s",
		 mha ? "full MHA" : "every layer global");
	for (unsigned x = lo_exp; x <= hi_exp; x++) {
		MemTotals t;
		if (mem_totals(c, (uint64_t)1 << x, batch, d, NULL, &t, e))
			return e->code;
		ch->context[ch->n] = t.context;
		ch->all_global[ch->n] = mha ? t.bytes_mha : t.bytes_all_global;
		ch->actual[ch->n] = t.bytes;
		ch->n++;
	}
	return 0;
}

/*
 * round(v × steps / max), with v <= max; shifts keep the product in range.
 * Any v > 0 gets at least one step, so a small cache never looks like none.
 */
static uint64_t chart_level(uint64_t v, uint64_t max, uint64_t steps)
{
	bool some = v > 0;
	while (max > ((uint64_t)1 << 40)) {
		v >>= 1;
		max >>= 1;
	}
	uint64_t level = (2 * v * steps + max) / (2 * max);
	return some && level == 0 ? 1 : level;
}

/* "1K", "128K", "2G", or the number itself below 1024. */
static void context_label(uint64_t ctx, char *buf, size_t size)
{
	if (ctx >= ((uint64_t)1 << 30))
		snprintf(buf, size, "%" PRIu64 "G", ctx >> 30);
	else if (ctx >= ((uint64_t)1 << 20))
		snprintf(buf, size, "%" PRIu64 "M", ctx >> 20);
	else if (ctx >= 1024)
		snprintf(buf, size, "%" PRIu64 "K", ctx >> 10);
	else
		snprintf(buf, size, "%" PRIu64, ctx);
}

/* Value at the top edge of row r (0 = top) of h rows: max × (h - r) / h. */
static uint64_t row_top(uint64_t max, int h, int r)
{
	uint64_t k = (uint64_t)(h - r);
	return max / (uint64_t)h * k + max % (uint64_t)h * k / (uint64_t)h;
}

/* The cell in row b (0 = bottom) of a bar `lvl` steps high. */
static const char *bar_cell(uint64_t lvl, int b, const BarGlyphs *g)
{
	uint64_t floor = (uint64_t)b * (uint64_t)g->steps;
	if (lvl >= floor + (uint64_t)g->steps)
		return g->cell[g->steps];
	if (lvl > floor)
		return g->cell[lvl - floor];
	return g->cell[0];
}

typedef struct Layout {
	size_t first;   /* first point drawn */
	int bar;        /* columns per bar */
	int label_w;    /* y label width */
	uint64_t max;   /* value at the top of the plot */
	char top[32], mid[32];
} Layout;

static void chart_layout(const MemChart *ch, int width, int height, Layout *lo)
{
	lo->max = 1;
	for (size_t i = 0; i < ch->n; i++)
		if (ch->all_global[i] > lo->max)
			lo->max = ch->all_global[i];
	mem_format_bytes(lo->max, lo->top, sizeof lo->top, NULL);
	lo->mid[0] = '\0';
	if (height >= 4)
		mem_format_bytes(row_top(lo->max, height, height / 2), lo->mid,
				 sizeof lo->mid, NULL);
	lo->label_w = (int)strlen(lo->top);
	if ((int)strlen(lo->mid) > lo->label_w)
		lo->label_w = (int)strlen(lo->mid);
	int room = width - lo->label_w - 2; /* label, space, axis */
	lo->first = 0;
	int min_group = ch->single ? 3 : 5;
	while (lo->first + 1 < ch->n && (int)(ch->n - lo->first) * min_group > room)
		lo->first++;
	/* A group is a gap plus one or two bars; widen bars to fill the room. */
	int bars = ch->single ? 1 : 2;
	int per = (room - 8) / (int)(ch->n - lo->first); /* 8: "  tokens" */
	lo->bar = (per - 1) / bars;
	if (lo->bar > 16)
		lo->bar = 16;
	if (lo->bar < 2)
		lo->bar = 2;
}

/* Appends row text without its trailing spaces, then a newline. */
static void sb_put_row(Sb *sb, char *row, size_t len)
{
	while (len > 0 && row[len - 1] == ' ')
		len--;
	row[len] = '\0';
	sb_put(sb, row);
	sb_put(sb, "\n");
}

static void chart_rows(Sb *sb, const MemChart *ch, int height,
		       const Layout *lo, const ChartGlyphs *g)
{
	char label[40];
	/* A row: label, axis, and up to 1000 columns of 3-byte glyphs. */
	char row[40 + 3 * MEM_CHART_WIDTH_MAX + 8];
	for (int r = 0; r < height; r++) {
		Sb line = { row, sizeof row, 0 };
		int b = height - 1 - r;
		const char *text = r == 0 ? lo->top
				   : (lo->mid[0] && r == height / 2) ? lo->mid
								     : "";
		snprintf(label, sizeof label, "%*s ", lo->label_w, text);
		sb_put(&line, label);
		sb_put(&line, text[0] ? g->tick : g->axis);
		for (size_t i = lo->first; i < ch->n; i++) {
			uint64_t rows = (uint64_t)height;
			uint64_t as = (uint64_t)g->actual.steps;
			uint64_t gs = (uint64_t)g->global.steps;
			uint64_t la = chart_level(ch->actual[i], lo->max, rows * as);
			/* The all-global bar at the same resolution, then rounded up
			 * to its own coarser steps: never drawn below the other. */
			uint64_t lg = chart_level(ch->all_global[i], lo->max, rows * as);
			lg = (lg * gs + as - 1) / as;
			sb_put(&line, " ");
			if (!ch->single)
				sb_repeat(&line, bar_cell(lg, b, &g->global), lo->bar);
			sb_repeat(&line, bar_cell(la, b, &g->actual), lo->bar);
		}
		sb_put_row(sb, row, line.len < sizeof row ? line.len : sizeof row - 1);
	}
}

static void chart_axis(Sb *sb, const MemChart *ch, const Layout *lo,
		       const ChartGlyphs *g, int width)
{
	char label[40];
	int group = 1 + (ch->single ? 1 : 2) * lo->bar;
	snprintf(label, sizeof label, "%*s ", lo->label_w, "0");
	sb_put(sb, label);
	sb_put(sb, g->corner);
	sb_repeat(sb, g->rule, group * (int)(ch->n - lo->first));
	sb_put(sb, "\n");
	/* The context labels, built in a row buffer so trailing blanks go. */
	char row[40 + 24 * MEM_CHART_POINTS_MAX + 16];
	Sb line = { row, sizeof row, 0 };
	snprintf(label, sizeof label, "%*s  ", lo->label_w, "");
	sb_put(&line, label);
	for (size_t i = lo->first; i < ch->n; i++) {
		char ctx[16], cell[24];
		context_label(ch->context[i], ctx, sizeof ctx);
		snprintf(cell, sizeof cell, " %-*s", group - 1 < 20 ? group - 1 : 20, ctx);
		sb_put(&line, cell);
	}
	int used = lo->label_w + 2 + group * (int)(ch->n - lo->first);
	if (used + 8 <= width)
		sb_put(&line, "  tokens");
	sb_put_row(sb, row, line.len < sizeof row ? line.len : sizeof row - 1);
}

/* Prints `a` and `b` on one line if it fits in `width`, else on two. */
static void put_pair(Sb *sb, int indent, const char *a, const char *b,
		     int cols_a, int cols_b, const char *sep, int width)
{
	char pad[40];
	snprintf(pad, sizeof pad, "%*s", indent, "");
	sb_put(sb, pad);
	sb_put(sb, a);
	if (indent + cols_a + (int)strlen(sep) + cols_b <= width) {
		sb_put(sb, sep);
	} else {
		sb_put(sb, "\n");
		sb_put(sb, pad);
	}
	sb_put(sb, b);
	sb_put(sb, "\n");
}

/* Says which contexts did not fit, and the width that shows them all. */
static void chart_dropped(Sb *sb, const MemChart *ch, const Layout *lo, int width)
{
	char first[16], last[16], a[48], b[48];
	context_label(ch->context[0], first, sizeof first);
	context_label(ch->context[lo->first - 1], last, sizeof last);
	int need = lo->label_w + 2 + (ch->single ? 3 : 5) * (int)ch->n;
	if (lo->first == 1)
		snprintf(a, sizeof a, "(%s left out;", first);
	else
		snprintf(a, sizeof a, "(%s to %s left out;", first, last);
	snprintf(b, sizeof b, "--width %d shows all)", need);
	put_pair(sb, 0, a, b, (int)strlen(a), (int)strlen(b), " ", width);
}

int mem_chart_render(const MemChart *ch, int width, int height, bool unicode,
		     char *buf, size_t size)
{
	if (width < MEM_CHART_WIDTH_MIN || width > MEM_CHART_WIDTH_MAX ||
	    height < MEM_CHART_HEIGHT_MIN || height > MEM_CHART_HEIGHT_MAX ||
	    ch->n == 0 || ch->n > MEM_CHART_POINTS_MAX)
		return -1;
	const ChartGlyphs *g = unicode ? &chart_utf8 : &chart_ascii;
	Layout lo;
	chart_layout(ch, width, height, &lo);
	Sb sb = { buf, size, 0 };
	put_pair(&sb, 0, ch->title, ch->subtitle, (int)strlen(ch->title),
		 (int)strlen(ch->subtitle), " ", width);
	chart_rows(&sb, ch, height, &lo, g);
	chart_axis(&sb, ch, &lo, g, width);
	char lg[64], la[64];
	snprintf(lg, sizeof lg, "%s %s", g->global.cell[g->global.steps], ch->baseline);
	snprintf(la, sizeof la, "%s as published", g->actual.cell[g->actual.steps]);
	/* Both legend entries are one glyph wide, then ASCII text. */
	if (ch->single) {
		char pad[40];
		snprintf(pad, sizeof pad, "%*s", lo.label_w + 2, "");
		sb_put(&sb, pad);
		sb_put(&sb, la);
		sb_put(&sb, "\n");
	} else {
		put_pair(&sb, lo.label_w + 2, lg, la, 2 + (int)strlen(ch->baseline), 14,
			 "   ", width);
	}
	if (lo.first > 0)
		chart_dropped(&sb, ch, &lo, width);
	if (size)
		buf[sb.len < size ? sb.len : size - 1] = '\0';
	return sb.len > (size_t)INT32_MAX ? -1 : (int)sb.len;
}
