#include "trace_quant.h"

#include <stdlib.h>

struct TraceQuantLog {
	KvQuant q;
	int layers, heads, T;
	int rows[2];            /* d_k (Kq), d_v (Vq) */
	KvQuantCell *cell[2];   /* (layers, heads, T, rows) */
	unsigned char *set[2];  /* same shape: 1 once quantised */
	TraceQuantErr *err;     /* (T + 1): [0] the run, [t] step t */
	size_t bytes;
};

const char *quant_err_name(QuantErrMat e)
{
	static const char *const names[QERR_COUNT] = { "K", "V", "S", "A",
						       "Z", "logits" };
	return (unsigned)e < QERR_COUNT ? names[e] : "?";
}

TraceQuantLog *trace_quant_new(const KvQuant *q, int layers, int heads,
			       int T, int d_k, int d_v)
{
	TraceQuantLog *log = calloc(1, sizeof *log);
	if (!log)
		return NULL;
	*log = (TraceQuantLog){ .q = *q, .layers = layers, .heads = heads,
				.T = T, .rows = { d_k, d_v } };
	log->bytes = sizeof *log;
	for (int k = 0; k < 2; k++) {
		size_t n = (size_t)layers * (size_t)heads * (size_t)T *
			   (size_t)log->rows[k];
		log->cell[k] = calloc(n, sizeof *log->cell[k]);
		log->set[k] = calloc(n, 1);
		log->bytes += n * (sizeof *log->cell[k] + 1);
	}
	log->err = calloc((size_t)T + 1, sizeof *log->err);
	log->bytes += ((size_t)T + 1) * sizeof *log->err;
	if (!log->cell[0] || !log->cell[1] || !log->set[0] || !log->set[1] ||
	    !log->err) {
		trace_quant_free(log);
		return NULL;
	}
	return log;
}

void trace_quant_free(TraceQuantLog *log)
{
	if (!log)
		return;
	for (int k = 0; k < 2; k++) {
		free(log->cell[k]);
		free(log->set[k]);
	}
	free(log->err);
	free(log);
}

size_t trace_quant_memory(const TraceQuantLog *log)
{
	return log ? log->bytes : 0;
}

const KvQuant *trace_quant_settings(const TraceQuantLog *log)
{
	return &log->q;
}

/* Index of (row, col) of Kq (k = 0) or Vq (k = 1), or -1 when outside. */
static long at(const TraceQuantLog *log, int k, int layer, int head,
	       int row, int col)
{
	if (layer < 1 || layer > log->layers || head < 1 ||
	    head > log->heads || col < 1 || col > log->T || row < 1 ||
	    row > log->rows[k])
		return -1;
	size_t lh = (size_t)(layer - 1) * (size_t)log->heads +
		    (size_t)(head - 1);
	return (long)((lh * (size_t)log->T + (size_t)(col - 1)) *
			      (size_t)log->rows[k] +
		      (size_t)(row - 1));
}

static int kind(Matrix mat)
{
	return mat == MAT_KQ ? 0 : mat == MAT_VQ ? 1 : -1;
}

void trace_quant_record(TraceQuantLog *log, Matrix mat, int layer, int head,
			int col, const KvQuantCell *cells, int n)
{
	int k = kind(mat);
	for (int r = 1; k >= 0 && r <= n; r++) {
		long i = at(log, k, layer, head, r, col);
		if (i < 0)
			return;
		log->cell[k][i] = cells[r - 1];
		log->set[k][i] = 1;
	}
}

bool trace_quant_get(const TraceQuantLog *log, Matrix mat, int layer,
		     int head, int row, int col, KvQuantCell *out)
{
	int k = kind(mat);
	long i = k >= 0 ? at(log, k, layer, head, row, col) : -1;
	if (i < 0 || !log->set[k][i])
		return false;
	*out = log->cell[k][i];
	return true;
}

TraceQuantErr *trace_quant_err_mut(TraceQuantLog *log, int step)
{
	return step >= 0 && step <= log->T ? &log->err[step] : NULL;
}

const TraceQuantErr *trace_quant_err_get(const TraceQuantLog *log,
					 int step)
{
	return step >= 0 && step <= log->T ? &log->err[step] : NULL;
}
