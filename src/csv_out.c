#include "csv_out.h"

#include <csv.h>
#include <stdlib.h>
#include <string.h>

void csv_format_double(char *buf, size_t size, double v)
{
	for (int prec = 15; prec <= 17; prec++) {
		snprintf(buf, size, "%.*g", prec, v);
		if (strtod(buf, NULL) == v)
			return;
	}
}

/* Writes a field, quoted through libcsv only when RFC 4180 needs it. */
static void put_field(FILE *out, const char *s, bool last)
{
	if (strpbrk(s, ",\"\r\n"))
		csv_fwrite(out, s, strlen(s));
	else
		fputs(s, out);
	fputs(last ? "\r\n" : ",", out);
}

static bool keep_step(const ExportFilter *f, const Trace *t, int step)
{
	int lo = f->step_lo ? f->step_lo : 1;
	int hi = f->step_hi ? f->step_hi : trace_steps(t);
	return step >= lo && step <= hi;
}

static bool keep_mode(const ExportFilter *f, Mode m)
{
	return !f->modes || (f->modes & (1u << m));
}

static void write_cell(FILE *out, const Trace *t, const ExportFilter *f,
		       int step, Mode mode, Matrix mat, int row, int col)
{
	CellStatus st = trace_status(t, step, mode, mat, row, col);
	if (st == CELL_MASKED && f->blank && !f->masked)
		return;
	char value[32] = "";
	double v;
	if (!f->blank && st != CELL_MASKED && trace_value(t, mat, row, col, &v))
		csv_format_double(value, sizeof value, v);
	fprintf(out, "%d,%s,%d,1,1,%s,%d,%d,", step, mode_name(mode),
		trace_step(t, step, mode)->pass, matrix_name(mat), row, col);
	put_field(out, value, false);
	put_field(out, cell_status_name(st), true);
}

static void write_matrix(FILE *out, const Trace *t, const ExportFilter *f,
			 int step, Mode mode, Matrix mat)
{
	TraceSpan sp;
	if (!trace_span(t, step, mode, mat, &sp))
		return;
	for (int row = 1; row <= sp.rows; row++)
		for (int col = sp.col_lo; col <= sp.col_hi; col++)
			write_cell(out, t, f, step, mode, mat, row, col);
}

static int finish(FILE *out, KvError *err)
{
	if (fflush(out) != 0 || ferror(out))
		return kv_error_set(err, EX_IOERR, "cannot write the CSV");
	return 0;
}

int csv_write_trace(FILE *out, const Trace *t, const ExportFilter *f,
		    KvError *err)
{
	fputs("step,mode,pass,layer,head,matrix,row,col,value,status\r\n", out);
	for (int step = 1; step <= trace_steps(t); step++) {
		if (!keep_step(f, t, step))
			continue;
		for (int mode = 0; mode < MODE_COUNT; mode++) {
			if (!keep_mode(f, (Mode)mode))
				continue;
			for (int mat = 0; mat < MAT_COUNT; mat++)
				if (!f->matrices || (f->matrices & (1u << mat)))
					write_matrix(out, t, f, step, (Mode)mode,
						     (Matrix)mat);
			if (ferror(out))
				return finish(out, err);
		}
	}
	return finish(out, err);
}

static void put_u64(FILE *out, uint64_t v)
{
	fprintf(out, "%llu,", (unsigned long long)v);
}

int csv_write_counters(FILE *out, const Trace *t, const ExportFilter *f,
		       KvError *err)
{
	fputs("step,mode,pass,macs,macs_proj,macs_scores,macs_av,macs_logits,"
	      "exps,recomputed_macs,cache_cells,cache_bytes,cache_reads,passes,"
	      "total_macs,total_exps,total_recomputed_macs,total_cache_reads,"
	      "token\r\n", out);
	const Model *m = trace_model(t);
	for (int step = 1; step <= trace_steps(t); step++) {
		if (!keep_step(f, t, step))
			continue;
		for (int mode = 0; mode < MODE_COUNT; mode++) {
			if (!keep_mode(f, (Mode)mode))
				continue;
			const TraceStep *s = trace_step(t, step, (Mode)mode);
			const Counters *p = &s->pass_c, *c = &s->total;
			fprintf(out, "%d,%s,%d,", step, mode_name((Mode)mode),
				s->pass);
			const uint64_t cols[] = {
				counters_macs(p), p->macs_proj, p->macs_scores,
				p->macs_av, p->macs_logits, p->exps,
				p->recomputed_macs, p->cache_cells, p->cache_bytes,
				p->cache_reads, p->passes, counters_macs(c),
				c->exps, c->recomputed_macs, c->cache_reads,
			};
			for (size_t i = 0; i < sizeof cols / sizeof *cols; i++)
				put_u64(out, cols[i]);
			put_field(out, m->vocab[s->chosen], true);
		}
	}
	return finish(out, err);
}
