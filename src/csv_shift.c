#include "csv_shift.h"

#include <errno.h>
#include <string.h>

#include "interrupt.h"

static void put_num(FILE *out, double v, bool have)
{
	char buf[32] = "";
	if (have)
		csv_format_double(buf, sizeof buf, v);
	csv_put_field(out, buf, false);
}

/* Every row of K column `col` of (layer, head) at step t. */
static void write_k_col(FILE *out, const RopeShift *rs, const Trace *t,
			const ExportFilter *f, int step, int layer, int head,
			int col)
{
	CellStatus st = rope_shift_status(rs, step, col);
	int pos = col - rope_shift_step(rs, step)->offset;
	for (int r = 1; r <= trace_matrix_rows(t, MAT_K); r++) {
		double sh = 0, fr = 0;
		bool have = rope_shift_k(rs, step, layer, head, r, col, &sh, &fr);
		fprintf(out, "%d,%d,%d,K,%d,%d,", step, layer, head, r, col);
		if (have)
			fprintf(out, "%d,", pos);
		else
			fputs(",", out);
		put_num(out, sh, have);
		put_num(out, fr, have);
		csv_put_field(out, cell_status_name(st), false);
		csv_put_field(out, f->run, true);
	}
}

/* The scores of query `step` against its kept keys, (layer, head). */
static void write_s_col(FILE *out, const RopeShift *rs, const ExportFilter *f,
			int step, int layer, int head)
{
	const RopeShiftStep *st = rope_shift_step(rs, step);
	for (int key = st->kept_lo; key <= step; key++) {
		double sh, fr;
		if (!rope_shift_s(rs, step, layer, head, key, &sh, &fr))
			continue; /* a window hid it */
		fprintf(out, "%d,%d,%d,S,%d,%d,%d,", step, layer, head, key,
			step, step - st->offset);
		put_num(out, sh, true);
		put_num(out, fr, true);
		csv_put_field(out, "computed", false);
		csv_put_field(out, f->run, true);
	}
}

static void write_step(FILE *out, const RopeShift *rs, const Trace *t,
		       const ExportFilter *f, int step)
{
	for (int l = 1; l <= trace_layers(t); l++) {
		for (int g = 1; g <= trace_heads(t, MAT_K); g++)
			for (int col = 1; col <= step; col++)
				write_k_col(out, rs, t, f, step, l, g, col);
		for (int h = 1; h <= trace_heads(t, MAT_Q); h++)
			write_s_col(out, rs, f, step, l, h);
	}
}

int csv_write_shift(FILE *out, const Trace *t, const ExportFilter *f,
		    KvError *err)
{
	const RopeShift *rs = trace_shift(t);
	if (!rs)
		return kv_error_set(err, EX_USAGE,
				    "this run has no context shift (--ctx C --shift N)");
	ExportFilter g = *f;
	run_fingerprint(t, g.run);
	fputs("step,layer,head,matrix,row,col,pos,value,fresh,status,run\r\n",
	      out);
	int lo = f->step_lo ? f->step_lo : 1;
	int hi = f->step_hi ? f->step_hi : trace_steps(t);
	for (int step = lo; step <= hi && !ferror(out) && !interrupt_caught();
	     step++)
		write_step(out, rs, t, &g, step);
	if (fflush(out) != 0 || ferror(out))
		return kv_error_set(err, EX_IOERR, "cannot write the CSV: %s",
				    strerror(errno ? errno : EIO));
	return 0;
}
