/* Names and values of the CSV rows that are not matrix cells. */
#include "csv_answer.h"

#include <string.h>

#include "counters.h"
#include "model.h"

static const char *const kind_names[CSV_KIND_COUNT - MAT_COUNT] = {
	"macs", "macs_proj", "macs_scores", "macs_av", "macs_logits",
	"exps", "recomputed_macs", "cache_cells", "cache_bytes",
	"cache_reads", "passes", "pass",
	"total_macs", "total_macs_proj", "total_macs_scores", "total_macs_av",
	"total_macs_logits", "total_exps", "total_recomputed_macs",
	"total_cache_cells", "total_cache_bytes", "total_cache_reads",
	"total_passes", "total_pass",
	"token",
	"tile_m", "tile_alpha", "tile_l", "tile_o", "tile_s",
};

const char *csv_kind_name(int kind)
{
	if (kind >= 0 && kind < MAT_COUNT)
		return matrix_name((Matrix)kind);
	if (kind >= MAT_COUNT && kind < CSV_KIND_COUNT)
		return kind_names[kind - MAT_COUNT];
	return "";
}

int csv_kind_parse(const char *name)
{
	for (int k = 0; k < CSV_KIND_COUNT; k++)
		if (strcmp(name, csv_kind_name(k)) == 0)
			return k;
	return -1;
}

static uint64_t counter_get(const TraceStep *s, const Counters *c,
			    CsvCounter k)
{
	switch (k) {
	case CSV_CTR_MACS: return counters_macs(c);
	case CSV_CTR_MACS_PROJ: return c->macs_proj;
	case CSV_CTR_MACS_SCORES: return c->macs_scores;
	case CSV_CTR_MACS_AV: return c->macs_av;
	case CSV_CTR_MACS_LOGITS: return c->macs_logits;
	case CSV_CTR_EXPS: return c->exps;
	case CSV_CTR_RECOMPUTED_MACS: return c->recomputed_macs;
	case CSV_CTR_CACHE_CELLS: return c->cache_cells;
	case CSV_CTR_CACHE_BYTES: return c->cache_bytes;
	case CSV_CTR_CACHE_READS: return c->cache_reads;
	case CSV_CTR_PASSES: return c->passes;
	case CSV_CTR_PASS: return (uint64_t)s->pass;
	case CSV_CTR_COUNT: break;
	}
	return 0;
}

uint64_t csv_counter_value(const Trace *t, int step, Mode mode, int kind)
{
	const TraceStep *s = trace_step(t, step, mode);
	if (kind >= CSV_KIND_TOTAL && kind < CSV_KIND_TOKEN)
		return counter_get(s, &s->total,
				   (CsvCounter)(kind - CSV_KIND_TOTAL));
	if (kind >= CSV_KIND_COUNTER && kind < CSV_KIND_TOTAL)
		return counter_get(s, &s->pass_c,
				   (CsvCounter)(kind - CSV_KIND_COUNTER));
	return 0;
}

const char *csv_token_value(const Trace *t, int step, Mode mode)
{
	const TraceStep *s = trace_step(t, step, mode);
	if (s->info.hi != step)
		return NULL;
	return trace_model(t)->vocab[s->chosen];
}

bool csv_tile_value(const Trace *t, int step, Mode mode, int layer,
		    int head, int kind, int row, int col, double *out)
{
	if (!csv_kind_is_tile(kind) || step < 1 || step > trace_steps(t))
		return false;
	if (kind == CSV_KIND_TILE + CSV_TILE_S)
		return row <= col &&
		       trace_value_kernel(t, PRODUCER_KERNEL_STANDARD, layer,
					  head, MAT_S, row, col, out);
	const TraceTiles *tt = trace_tiles(t);
	int q = trace_step(t, step, mode)->info.hi;
	TileState ts;
	if (!trace_tiles_get(tt, layer, head, q, col, &ts))
		return false;
	switch ((CsvTileField)(kind - CSV_KIND_TILE)) {
	case CSV_TILE_M: *out = ts.m; return row == 1;
	case CSV_TILE_ALPHA: *out = ts.alpha; return row == 1;
	case CSV_TILE_L: *out = ts.l; return row == 1;
	case CSV_TILE_S: /* read above */
		break;
	case CSV_TILE_O:
		if (row < 1 || row > trace_model(t)->d_v)
			return false;
		*out = ts.o[row - 1];
		return true;
	case CSV_TILE_COUNT: break;
	}
	return false;
}
