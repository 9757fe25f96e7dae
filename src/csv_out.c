#include "csv_out.h"

#include "run_fingerprint.h"

#include "csv_answer.h"

#include <csv.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "interrupt.h" /* a long export stops between steps on Ctrl-C */

void csv_format_double(char *buf, size_t size, double v)
{
	for (int prec = 15; prec <= 17; prec++) {
		snprintf(buf, size, "%.*g", prec, v);
		if (strtod(buf, NULL) == v)
			return;
	}
}

void csv_put_field(FILE *out, const char *s, bool last)
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

static int finish(FILE *out, KvError *err)
{
	if (fflush(out) != 0 || ferror(out))
		return kv_error_set(err, EX_IOERR, "cannot write the CSV: %s",
				    strerror(errno ? errno : EIO));
	return 0;
}

/* Calls `row` for every (step, mode) the filter keeps, in export order. */
static int for_each_kept(FILE *out, const Trace *t, const ExportFilter *f,
			 void (*row)(FILE *, const Trace *, const ExportFilter *,
				     int, Mode),
			 KvError *err)
{
	for (int step = 1; step <= trace_steps(t); step++) {
		if (!keep_step(f, t, step))
			continue;
		for (int mode = 0; mode < MODE_COUNT && !ferror(out) &&
				   !interrupt_caught(); mode++)
			if (keep_mode(f, (Mode)mode))
				row(out, t, f, step, (Mode)mode);
	}
	return finish(out, err);
}

/* Where a cell lives: the step and mode that hold it, layer and head. */
typedef struct CellAt {
	int step;
	Mode mode;
	int layer;
	int head;
	Matrix mat;
} CellAt;

static void write_cell(FILE *out, const Trace *t, const ExportFilter *f,
		       const CellAt *c, int row, int col)
{
	CellStatus st = trace_status_at(t, c->step, c->mode, c->layer, c->mat,
					row, col);
	bool held = st != CELL_MASKED && st != CELL_EVICTED;
	int pick = f->pick ? f->pick(f->pick_ctx, c->step, c->mode, c->layer,
				     c->head, c->mat, row, col)
			   : CSV_PICK_ANSWER;
	if (pick == CSV_PICK_SKIP || (!held && f->blank && !f->masked))
		return;
	bool given = pick == CSV_PICK_GIVEN;
	char value[32] = "";
	double v;
	if ((!f->blank || given) && held &&
	    trace_value_in(t, c->step, c->mode, c->layer, c->head, c->mat, row,
			   col, &v))
		csv_format_double(value, sizeof value, v);
	fprintf(out, "%d,%s,%d,%d,%d,%s,%d,%d,", c->step, mode_name(c->mode),
		trace_step(t, c->step, c->mode)->pass, c->layer, c->head,
		matrix_name(c->mat), row, col);
	csv_put_field(out, value, false);
	csv_put_field(out, given ? "given" : cell_status_name(st), false);
	csv_put_field(out, f->run, true);
}

static void write_matrix(FILE *out, const Trace *t, const ExportFilter *f,
			 CellAt *c)
{
	TraceSpan sp;
	if (!trace_span_at(t, c->step, c->mode, c->layer, c->mat, &sp))
		return;
	for (c->head = 1; c->head <= trace_heads(t, c->mat); c->head++)
		for (int row = 1; row <= sp.rows; row++)
			for (int col = sp.col_lo; col <= sp.col_hi; col++)
				write_cell(out, t, f, c, row, col);
}

/* Layer by layer, matrix by matrix; logits once, after the last layer. */
static void write_step_cells(FILE *out, const Trace *t,
			     const ExportFilter *f, int step, Mode mode)
{
	CellAt c = { .step = step, .mode = mode };
	for (c.layer = 1; c.layer <= trace_layers(t); c.layer++)
		for (int mat = 0; mat < MAT_COUNT; mat++) {
			c.mat = (Matrix)mat;
			bool once = mat == MAT_LOGITS;
			if ((!f->matrices || (f->matrices & (1u << mat))) &&
			    (!once || c.layer == trace_layers(t))) {
				int layer = c.layer;
				c.layer = once ? 1 : layer;
				write_matrix(out, t, f, &c);
				c.layer = layer;
			}
		}
}

/* One counter or token row of export --sheet (csv_out.h CsvAnswerRow). */
static void write_answer(FILE *out, const Trace *t, const ExportFilter *f,
			 const CsvAnswerRow *a)
{
	char value[32] = "";
	const char *text = value;
	int layer = 1, head = 1, row = 1, col = a->step;
	if (csv_kind_is_tile(a->kind)) {
		double v;
		if (!csv_tile_value(t, a->step, a->mode, a->layer, a->head,
				    a->kind, a->row, a->col, &v))
			return; /* no such state in this run */
		if (!f->blank || a->given)
			csv_format_double(value, sizeof value, v);
		layer = a->layer;
		head = a->head;
		row = a->row;
		col = a->col;
	} else if (a->kind == CSV_KIND_TOKEN) {
		const char *tok = csv_token_value(t, a->step, a->mode);
		if (!tok)
			return; /* no logits there: nothing to predict */
		if (!f->blank || a->given)
			text = tok;
	} else if (!f->blank || a->given) {
		snprintf(value, sizeof value, "%llu",
			 (unsigned long long)csv_counter_value(t, a->step,
							       a->mode,
							       a->kind));
	}
	fprintf(out, "%d,%s,%d,%d,%d,%s,%d,%d,", a->step, mode_name(a->mode),
		trace_step(t, a->step, a->mode)->pass, layer, head,
		csv_kind_name(a->kind), row, col);
	csv_put_field(out, text, false);
	csv_put_field(out, a->given ? "given" : "computed", false);
	csv_put_field(out, f->run, true);
}

static void write_answers(FILE *out, const Trace *t, const ExportFilter *f)
{
	if (f->matrices)
		return; /* --matrix lists matrices only */
	for (int i = 0; i < f->n_answers && !ferror(out); i++) {
		const CsvAnswerRow *a = &f->answers[i];
		if (a->step >= 1 && a->step <= trace_steps(t) &&
		    keep_step(f, t, a->step) && keep_mode(f, a->mode))
			write_answer(out, t, f, a);
	}
}

int csv_write_trace(FILE *out, const Trace *t, const ExportFilter *f,
		    KvError *err)
{
	ExportFilter g = *f; /* plus the run column every row carries */
	run_fingerprint(t, g.run);
	fputs("step,mode,pass,layer,head,matrix,row,col,value,status,run\r\n",
	      out);
	int rc = for_each_kept(out, t, &g, write_step_cells, err);
	if (rc || interrupt_caught())
		return rc;
	write_answers(out, t, &g);
	return finish(out, err);
}

static void put_u64(FILE *out, uint64_t v)
{
	fprintf(out, "%llu,", (unsigned long long)v);
}

/*
 * A quantised run (--kv-quant): the cache modes' largest drift from the
 * no-cache mode at the step, per matrix, and whether their argmax differs
 * (yes/no); empty on the no-cache rows, which are the exact reference.
 */
static void put_quant_err(FILE *out, const Trace *t, int step, Mode mode)
{
	const TraceQuantErr *e = trace_quant_err(t, step);
	for (int k = 0; k < QERR_COUNT; k++) {
		char v[32] = "";
		if (mode != MODE_NOCACHE)
			csv_format_double(v, sizeof v, e->max[k]);
		csv_put_field(out, v, false);
	}
	csv_put_field(out, mode == MODE_NOCACHE ? "" : e->changes ? "yes" : "no",
		      false);
}

static void write_step_counters(FILE *out, const Trace *t,
				const ExportFilter *f, int step, Mode mode)
{
	const TraceStep *s = trace_step(t, step, mode);
	const Counters *p = &s->pass_c, *c = &s->total;
	fprintf(out, "%d,%s,%d,", step, mode_name(mode), s->pass);
	const uint64_t cols[] = {
		counters_macs(p), p->macs_proj, p->macs_scores, p->macs_av,
		p->macs_logits, p->exps, p->recomputed_macs, p->cache_cells,
		p->cache_bytes, p->cache_reads, p->passes, counters_macs(c),
		c->exps, c->recomputed_macs, c->cache_reads,
	};
	for (size_t i = 0; i < sizeof cols / sizeof *cols; i++)
		put_u64(out, cols[i]);
	if (trace_tiles_kernel(trace_tiles(t))->tiled) { /* --attention flash */
		put_u64(out, p->score_cells_written);
		put_u64(out, p->tile_passes);
		put_u64(out, c->score_cells_written);
		put_u64(out, c->tile_passes);
	}
	if (trace_quant(t))
		put_quant_err(out, t, step, mode);
	/* the token predicted after position `step`, when this mode has
	 * logits there (prefill has none before the last prompt position) */
	csv_put_field(out, s->info.hi == step ? trace_model(t)->vocab[s->chosen]
					      : "", false);
	csv_put_field(out, f->run, true);
}

int csv_write_counters(FILE *out, const Trace *t, const ExportFilter *f,
		       KvError *err)
{
	fputs("step,mode,pass,macs,macs_proj,macs_scores,macs_av,macs_logits,"
	      "exps,recomputed_macs,cache_cells,cache_bytes,cache_reads,passes,"
	      "total_macs,total_exps,total_recomputed_macs,total_cache_reads,",
	      out);
	if (trace_tiles_kernel(trace_tiles(t))->tiled)
		fputs("score_cells_written,tile_passes,"
		      "total_score_cells_written,total_tile_passes,", out);
	if (trace_quant(t))
		fputs("err_K,err_V,err_S,err_A,err_Z,err_logits,token_changes,",
		      out);
	fputs("token,run\r\n", out);
	ExportFilter g = *f;
	run_fingerprint(t, g.run);
	return for_each_kept(out, t, &g, write_step_counters, err);
}

/* The K/V columns one mode's cache holds or evicted after the step's pass. */
static void write_step_cache(FILE *out, const Trace *t, const ExportFilter *f,
			     int step, Mode mode)
{
	static const char *const state[] = {
		[TRACE_KV_COMPUTED] = "computed", [TRACE_KV_REUSED] = "reused",
		[TRACE_KV_HELD] = "held", [TRACE_KV_EVICTED] = "evicted",
	};
	int G = trace_heads(t, MAT_K);
	for (int l = 1; l <= trace_layers(t); l++)
		for (int g = 1; g <= G; g++)
			for (int pos = 1; pos <= trace_steps(t); pos++) {
				TraceKv kv;
				if (!trace_kv_at(t, step, mode, l, pos, &kv) ||
				    kv.state == TRACE_KV_NONE)
					continue;
				fprintf(out, "%d,%s,%d,%d,%d,", step,
					mode_name(mode), l, g, pos);
				if (kv.state == TRACE_KV_EVICTED)
					fputs(",,", out);
				else
					fprintf(out, "%d,%d,", kv.place.block,
						kv.place.slot);
				/* a pinned column an earlier pass wrote says so */
				bool pin = kv.pinned &&
					   (kv.state == TRACE_KV_REUSED ||
					    kv.state == TRACE_KV_HELD);
				csv_put_field(out, pin ? "pinned" : state[kv.state],
					      false);
				csv_put_field(out, f->run, true);
			}
}

int csv_write_cache(FILE *out, const Trace *t, const ExportFilter *f,
		    KvError *err)
{
	fputs("step,mode,layer,kv_head,pos,block,slot,status,run\r\n", out);
	ExportFilter g = *f;
	run_fingerprint(t, g.run);
	return for_each_kept(out, t, &g, write_step_cache, err);
}
