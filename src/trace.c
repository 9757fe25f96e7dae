#include "trace.h"

#include <stdlib.h>
#include <string.h>

struct Trace {
	const Model *m;
	int P, T;
	int *tokens;                  /* (T) token id at positions 1..T */
	int rows[MAT_COUNT];          /* rows per column of each matrix */
	double *val[MAT_COUNT];       /* (T, rows) column-major, one per cell */
	unsigned char *set[MAT_COUNT];/* (T, rows) 1 once the cell has a value */
	TraceStep *steps;             /* (T, MODE_COUNT) */
	uint64_t mismatches;
};

Trace *trace_new(const Model *m, int prompt_n, int generate, KvError *err)
{
	Trace *t = calloc(1, sizeof *t);
	int T = prompt_n + generate;
	if (!t)
		goto oom;
	t->m = m;
	t->P = prompt_n;
	t->T = T;
	const int rows[MAT_COUNT] = {
		[MAT_X] = m->d_model, [MAT_Q] = m->d_k, [MAT_K] = m->d_k,
		[MAT_V] = m->d_v, [MAT_S] = T, [MAT_A] = T, [MAT_Z] = m->d_v,
		[MAT_LOGITS] = m->vocab_n,
	};
	memcpy(t->rows, rows, sizeof rows);
	t->tokens = calloc((size_t)T, sizeof *t->tokens);
	t->steps = calloc((size_t)T * MODE_COUNT, sizeof *t->steps);
	if (!t->tokens || !t->steps)
		goto oom;
	for (int k = 0; k < MAT_COUNT; k++) {
		size_t n = (size_t)T * (size_t)t->rows[k];
		t->val[k] = calloc(n, sizeof *t->val[k]);
		t->set[k] = calloc(n, 1);
		if (!t->val[k] || !t->set[k])
			goto oom;
	}
	return t;
oom:
	trace_free(t);
	kv_error_set(err, EX_OSERR, "out of memory for a %d-position trace", T);
	return NULL;
}

void trace_free(Trace *t)
{
	if (!t)
		return;
	for (int k = 0; k < MAT_COUNT; k++) {
		free(t->val[k]);
		free(t->set[k]);
	}
	free(t->tokens);
	free(t->steps);
	free(t);
}

/* Stores a column, or checks it bit for bit against the stored one. */
static void record_column(void *ctx, Matrix mat, int col, const double *v,
			  int rows)
{
	Trace *t = ctx;
	size_t at = (size_t)(col - 1) * (size_t)t->rows[mat];
	double *dst = t->val[mat] + at;
	unsigned char *set = t->set[mat] + at;
	for (int r = 0; r < rows; r++) {
		if (!set[r]) {
			dst[r] = v[r];
			set[r] = 1;
		} else if (memcmp(&dst[r], &v[r], sizeof v[r]) != 0) {
			t->mismatches++;
		}
	}
}

EngineSink trace_sink(Trace *t)
{
	return (EngineSink){ .column = record_column, .ctx = t };
}

void trace_set_token(Trace *t, int pos, int id)
{
	t->tokens[pos - 1] = id;
}

void trace_set_step(Trace *t, int step, Mode mode, const TraceStep *s)
{
	t->steps[(size_t)(step - 1) * MODE_COUNT + mode] = *s;
}

uint64_t trace_mismatches(const Trace *t)
{
	return t->mismatches;
}

const Model *trace_model(const Trace *t)
{
	return t->m;
}

int trace_steps(const Trace *t)
{
	return t->T;
}

int trace_prompt_len(const Trace *t)
{
	return t->P;
}

int trace_token(const Trace *t, int pos)
{
	return t->tokens[pos - 1];
}

const TraceStep *trace_step(const Trace *t, int step, Mode mode)
{
	return &t->steps[(size_t)(step - 1) * MODE_COUNT + mode];
}

int trace_matrix_rows(const Trace *t, Matrix mat)
{
	return t->rows[mat];
}

bool trace_span(const Trace *t, int step, Mode mode, Matrix mat,
		TraceSpan *span)
{
	const TraceStep *s = trace_step(t, step, mode);
	const PassInfo *p = &s->info;
	*span = (TraceSpan){ .rows = t->rows[mat], .col_lo = p->proj_lo,
			     .col_hi = p->hi };
	switch (mat) {
	case MAT_X:
	case MAT_Q:
		break;
	case MAT_K:
	case MAT_V:
		/* the cache: every column so far, most of them reused */
		if (s->keeps_cache)
			span->col_lo = 1;
		break;
	case MAT_S:
	case MAT_A:
		span->rows = p->hi;
		span->col_lo = p->att_lo;
		break;
	case MAT_Z:
		span->col_lo = p->att_lo;
		break;
	case MAT_LOGITS:
		span->col_lo = p->hi;
		break;
	case MAT_COUNT:
		return false;
	}
	return span->col_lo <= span->col_hi && span->rows > 0;
}

CellStatus trace_status(const Trace *t, int step, Mode mode, Matrix mat,
			int row, int col)
{
	TraceSpan sp;
	if (!trace_span(t, step, mode, mat, &sp) || row < 1 || row > sp.rows ||
	    col < sp.col_lo || col > sp.col_hi)
		return CELL_ABSENT;
	const PassInfo *p = &trace_step(t, step, mode)->info;
	if ((mat == MAT_S || mat == MAT_A) && row > col)
		return CELL_MASKED;
	if ((mat == MAT_K || mat == MAT_V) && col < p->proj_lo)
		return CELL_REUSED;
	return col >= p->first_new ? CELL_COMPUTED : CELL_RECOMPUTED;
}

bool trace_value(const Trace *t, Matrix mat, int row, int col, double *out)
{
	if ((unsigned)mat >= MAT_COUNT || row < 1 || row > t->rows[mat] ||
	    col < 1 || col > t->T)
		return false;
	size_t at = (size_t)(col - 1) * (size_t)t->rows[mat] + (size_t)(row - 1);
	if (!t->set[mat][at])
		return false;
	*out = t->val[mat][at];
	return true;
}
