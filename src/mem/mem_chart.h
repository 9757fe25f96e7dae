#ifndef KVSTEP_MEM_CHART_H
#define KVSTEP_MEM_CHART_H
/*
 * A terminal bar chart of KV-cache bytes against context length, the x axis
 * in powers of two. Each context gets two bars side by side: a baseline,
 * then the cache as published, so the cut is visible as the gap between
 * them. The baseline is "every layer global" for a model with local
 * layers; for an all-global model it is full MHA (what GQA, MQA or MLA
 * saves); an all-global MHA model has nothing to compare and gets one bar.
 *
 * Rendering goes into a string buffer, so tests compare exact text.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kv_error.h"
#include "mem_calc.h"
#include "mem_config.h"

enum {
	MEM_CHART_POINTS_MAX = 32, /* contexts 2^0 .. 2^31 */
	MEM_CHART_WIDTH_MIN = 30,
	MEM_CHART_WIDTH_MAX = 1000,
	MEM_CHART_HEIGHT_MIN = 2,
	MEM_CHART_HEIGHT_MAX = 100,
};

typedef struct MemChart {
	char title[128];                             /* "KV cache of <id> by ..." */
	char subtitle[64];                           /* "(fp16, batch 1)" */
	size_t n;                                    /* points */
	uint64_t context[MEM_CHART_POINTS_MAX];      /* tokens, powers of two, rising */
	uint64_t all_global[MEM_CHART_POINTS_MAX];   /* bytes of the baseline */
	char baseline[32];                           /* its legend: "every layer global" */
	bool single;                                 /* no baseline: one bar a context */
	uint64_t actual[MEM_CHART_POINTS_MAX];       /* bytes, as published */
} MemChart;

/*
 * Fills `ch` for contexts 2^lo_exp .. 2^hi_exp (lo_exp <= hi_exp <= 31).
 * Returns 0, or EX_USAGE for a bad range or a total too large for 64 bits.
 */
int mem_chart_fill(MemChart *ch, const MemConfig *c, MemKvType d,
		   uint64_t batch, unsigned lo_exp, unsigned hi_exp, KvError *e);

/*
 * Renders `ch` as `height` rows of bars plus a title, an axis, the context
 * labels and a legend, at most `width` columns wide. Bars widen with the
 * room, from 2 up to 16 columns; when even 2 do not fit, the smallest
 * contexts are left out and a line under the chart says which.
 *
 * unicode: all-global bars in braille, ⣿ with ⣀ ⣤ ⣶ on top (quarter
 * cells); published bars in blocks, █ with ▁..▇ on top (eighths).
 * Otherwise ':' and '#' in whole cells. Heights round to the nearest step;
 * the y axis is linear from 0 to the largest all-global value. The title
 * and legend wrap onto a second line when they do not fit.
 *
 * Writes at most `size` bytes with a NUL, like snprintf, and returns the
 * length the whole chart needs (so a return >= size means it was cut), or
 * -1 when width or height is outside the MEM_CHART_* limits or ch->n is 0.
 */
int mem_chart_render(const MemChart *ch, int width, int height, bool unicode,
		     char *buf, size_t size);

#endif
