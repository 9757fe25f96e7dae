/*
 * The trace's view of a quantised cache (trace.h): which producer a mode
 * shows, what its Kq and Vq cells read, and how far the cache modes drift
 * from the exact no-cache mode, step by step.
 */
#include "trace.h"

#include <math.h>

Producer trace_producer_in(const Trace *t, Mode mode)
{
	if (trace_tiles_kernel(trace_tiles(t))->tiled)
		return PRODUCER_TARGET_TILED;
	if (trace_quant(t) && mode != MODE_NOCACHE)
		return PRODUCER_TARGET_QUANT;
	return PRODUCER_TARGET_STANDARD;
}

bool trace_quantised_at(const Trace *t, int step, Mode mode, int col)
{
	const KvQuant *q = trace_quant(t);
	if (!q || step < 1 || step > trace_steps(t) ||
	    (unsigned)mode >= MODE_COUNT)
		return false;
	const TraceStep *s = trace_step(t, step, mode);
	return s->keeps_cache && kv_quant_is_quantised(q, col, s->info.hi);
}

bool trace_value_in(const Trace *t, int step, Mode mode, int layer, int head,
		    Matrix mat, int row, int col, double *out)
{
	Producer p = trace_producer_in(t, mode);
	if (mat == MAT_KQ || mat == MAT_VQ) {
		if (!trace_quantised_at(t, step, mode, col))
			mat = mat == MAT_KQ ? MAT_K : MAT_V; /* the residual */
	}
	return trace_value_of(t, p, layer, head, mat, row, col, out);
}

/* Folds |a − b| into *max. */
static void fold(double *max, double a, double b)
{
	double d = fabs(a - b);
	if (d > *max)
		*max = d;
}

/* |Kq − K| (or V) over the cells the cache mode holds quantised at step. */
static double cache_drift(const Trace *t, int step, Matrix exact, Matrix q)
{
	const Model *m = trace_model(t);
	int rows = trace_matrix_rows(t, exact);
	double max = 0, a, b;
	for (int l = 1; l <= m->n_layers; l++)
		for (int h = 1; h <= m->n_kv_heads; h++)
			for (int c = 1; c <= step; c++) {
				if (!trace_quantised_at(t, step, MODE_CACHE, c))
					continue;
				for (int r = 1; r <= rows; r++)
					if (trace_value_of(t, PRODUCER_TARGET_QUANT, l, h, exact, r, c, &a) &&
					    trace_value_of(t, PRODUCER_TARGET_QUANT, l, h, q, r, c, &b))
						fold(&max, a, b);
			}
	return max;
}

/* Largest difference of column `col` of `mat` between the two producers. */
static double column_drift(const Trace *t, Matrix mat, int col)
{
	const Model *m = trace_model(t);
	bool logits = mat == MAT_LOGITS;
	int L = logits ? 1 : m->n_layers, H = logits ? 1 : m->n_heads;
	int rows = trace_matrix_rows(t, mat);
	double max = 0, a, b;
	for (int l = 1; l <= L; l++)
		for (int h = 1; h <= H; h++)
			for (int r = 1; r <= rows; r++)
				if (trace_value_of(t, PRODUCER_TARGET_QUANT, l, h, mat, r, col, &a) &&
				    trace_value_of(t, PRODUCER_TARGET_STANDARD, l, h, mat, r, col, &b))
					fold(&max, a, b);
	return max;
}

void trace_quant_measure(Trace *t)
{
	TraceQuantLog *log = trace_quant_log(t);
	if (!log)
		return;
	TraceQuantErr *run = trace_quant_err_mut(log, 0);
	*run = (TraceQuantErr){ 0 };
	static const Matrix col_mats[] = { MAT_S, MAT_A, MAT_Z, MAT_LOGITS };
	for (int step = 1; step <= trace_steps(t); step++) {
		TraceQuantErr *e = trace_quant_err_mut(log, step);
		*e = (TraceQuantErr){ 0 };
		e->max[QERR_K] = cache_drift(t, step, MAT_K, MAT_KQ);
		e->max[QERR_V] = cache_drift(t, step, MAT_V, MAT_VQ);
		for (int i = 0; i < 4; i++)
			e->max[QERR_S + i] = column_drift(t, col_mats[i], step);
		e->exact_token = trace_step(t, step, MODE_NOCACHE)->chosen;
		e->quant_token = trace_step(t, step, MODE_CACHE)->chosen;
		e->changes = e->exact_token != e->quant_token;
		for (int k = 0; k < QERR_COUNT; k++)
			if (e->max[k] > run->max[k])
				run->max[k] = e->max[k];
		run->changes = run->changes || e->changes;
		run->changed_steps += e->changes;
	}
	run->exact_token = trace_quant_err_get(log, trace_steps(t))->exact_token;
	run->quant_token = trace_quant_err_get(log, trace_steps(t))->quant_token;
}
