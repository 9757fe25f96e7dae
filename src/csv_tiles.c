#include "csv_tiles.h"

#include <errno.h>
#include <string.h>

#include "interrupt.h"

static void put_int(FILE *out, int v, bool last)
{
	char buf[16];
	snprintf(buf, sizeof buf, "%d", v);
	csv_put_field(out, buf, last);
}

static void put_double(FILE *out, double v, bool last)
{
	char buf[40];
	csv_format_double(buf, sizeof buf, v);
	csv_put_field(out, buf, last);
}

static void write_header(FILE *out, int d_v)
{
	fputs("step,mode,layer,head,query,tile,key_lo,key_hi,m,l,alpha,kind,"
	      "part,beta", out);
	for (int r = 1; r <= d_v; r++)
		fprintf(out, ",o%d", r);
	fputs(",run\r\n", out);
}

typedef struct RowAt {
	int step;
	Mode mode;
	int layer, head, query;
} RowAt;

static void write_state(FILE *out, const RowAt *at, const TileState *ts,
			int d_v, const char *run)
{
	put_int(out, at->step, false);
	csv_put_field(out, mode_name(at->mode), false);
	put_int(out, at->layer, false);
	put_int(out, at->head, false);
	put_int(out, at->query, false);
	if (ts->kind == TILE_STEP)
		put_int(out, ts->tile, false);
	else
		csv_put_field(out, "", false);
	put_int(out, ts->key_lo, false);
	put_int(out, ts->key_hi, false);
	put_double(out, ts->m, false);
	put_double(out, ts->l, false);
	put_double(out, ts->alpha, false);
	csv_put_field(out, ts->kind == TILE_STEP ? "tile" : "merge", false);
	put_int(out, ts->part, false);
	put_double(out, ts->beta, false);
	for (int r = 0; r < d_v; r++)
		put_double(out, ts->o[r], false);
	csv_put_field(out, run, true);
}

static void write_step(FILE *out, const Trace *t, const char *run, int step,
		       Mode mode)
{
	const Model *m = trace_model(t);
	const TraceTiles *tt = trace_tiles(t);
	const PassInfo *p = &trace_step(t, step, mode)->info;
	for (int l = 1; l <= m->n_layers; l++)
		for (int h = 1; h <= m->n_heads; h++)
			for (int q = p->att_lo; q <= p->hi; q++) {
				RowAt at = { step, mode, l, h, q };
				int n = trace_tiles_count(tt, l, h, q);
				for (int i = 1; i <= n; i++) {
					TileState ts;
					if (trace_tiles_get(tt, l, h, q, i, &ts))
						write_state(out, &at, &ts,
							    m->d_v, run);
				}
			}
}

int csv_write_tiles(FILE *out, const Trace *t, const ExportFilter *f,
		    KvError *err)
{
	if (!trace_tiles_kernel(trace_tiles(t))->tiled)
		return kv_error_set(err, EX_USAGE,
				    "export --tiles needs --attention flash: the standard kernel has no tiles");
	char run[RUN_FINGERPRINT_SIZE];
	run_fingerprint(t, run);
	write_header(out, trace_model(t)->d_v);
	int lo = f->step_lo ? f->step_lo : 1;
	int hi = f->step_hi ? f->step_hi : trace_steps(t);
	for (int step = lo; step <= hi; step++)
		for (int mode = 0; mode < MODE_COUNT && !ferror(out) &&
				   !interrupt_caught(); mode++)
			if (!f->modes || (f->modes & (1u << mode)))
				write_step(out, t, run, step, (Mode)mode);
	if (fflush(out) != 0 || ferror(out))
		return kv_error_set(err, EX_IOERR, "cannot write the CSV: %s",
				    strerror(errno ? errno : EIO));
	return 0;
}

uint64_t csv_tiles_rows(const Trace *t, const ExportFilter *f, double *bytes)
{
	const Model *m = trace_model(t);
	const TraceTiles *tt = trace_tiles(t);
	int lo = f->step_lo ? f->step_lo : 1;
	int hi = f->step_hi ? f->step_hi : trace_steps(t);
	uint64_t rows = 0;
	for (int step = lo; step <= hi; step++)
		for (int mode = 0; mode < MODE_COUNT; mode++) {
			if (f->modes && !(f->modes & (1u << mode)))
				continue;
			const PassInfo *p = &trace_step(t, step, (Mode)mode)->info;
			for (int l = 1; l <= m->n_layers; l++)
				for (int h = 1; h <= m->n_heads; h++)
					for (int q = p->att_lo; q <= p->hi; q++)
						rows += (uint64_t)trace_tiles_count(tt, l, h, q);
		}
	/* measured: about 70 bytes plus 19 per o component */
	*bytes = (double)rows * (70.0 + 19.0 * m->d_v);
	return rows;
}
