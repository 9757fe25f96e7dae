/*
 * kvstep: the command-line front end. The only place that prints errors and
 * chooses exit statuses; everything below returns KvError values.
 */
#include <locale.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "atomic_file.h"
#include "bench.h"
#include "cli.h"
#include "csv_out.h"
#include "csv_shift.h"
#include "csv_tiles.h"
#include "estimate.h"
#include "grade.h"
#include "interrupt.h"
#include "mem.h"
#include "model.h"
#include "run.h"
#include "sheet.h"
#include "serve_cli.h"
#include "spec_cli.h"
#include "trace.h"
#include "tui.h"

#ifndef KVSTEP_VERSION
#define KVSTEP_VERSION "unknown"
#endif

static int report(const KvError *err)
{
	fprintf(stderr, "kvstep: %s\n", err->msg);
	return err->code;
}

static int report_write_error(KvError *err)
{
	kv_error_set(err, EX_IOERR, "cannot write output: %s", strerror(errno));
	return report(err);
}

static Model *load_model(const CliOpts *o, KvError *err)
{
	return model_load(o->model_path, err);
}

/* Without --kv-residual the residual is the group G: a sliding window
 * shorter than G is then the group's fault, and the message names it. */
static int group_window_check(const Model *m, const RunConfig *cfg,
			      const CliOpts *o, KvError *err)
{
	if (!o->kv_bits || o->kv_residual)
		return 0;
	int g = cfg->quant.group;
	long total = (long)cfg->prompt_n + cfg->generate;
	for (int l = 0; l < m->n_layers; l++)
		if (m->window[l] > 0 && m->window[l] < total &&
		    g > m->window[l])
			return kv_error_set(err, EX_USAGE,
					    "--kv-group %d%s: the residual (default: the group, %d) is longer than the window %d of layer %d; give --kv-group %d or less",
					    g, o->kv_group ? "" : " (the default)",
					    g, m->window[l], l + 1,
					    m->window[l]);
	return 0;
}

/* export --matrix of a matrix this run never holds would write a bare
 * header: refused, with the reason and what would hold it. A --sheet
 * export picks among its sheet's cells instead. */
static int matrix_check(const Model *m, const RunConfig *cfg,
			const CliOpts *o, KvError *err)
{
	unsigned want = o->filter.matrices;
	if (o->cmd != CMD_EXPORT || o->sheet || !want)
		return 0;
	unsigned quant = 1u << MAT_KQ | 1u << MAT_VQ;
	unsigned rope = 1u << MAT_QR | 1u << MAT_KR;
	unsigned scores = 1u << MAT_S | 1u << MAT_A;
	if ((want & quant) && !kv_quant_on(&cfg->quant))
		return kv_error_set(err, EX_USAGE,
				    "--matrix Kq and Vq are K and V as a quantised cache reads them back; they need --kv-quant int8 or int4");
	if ((want & rope) && m->rope <= 0)
		return kv_error_set(err, EX_USAGE,
				    "--matrix Qr and Kr are q and k before the rotation of a model with rope (e.g. -m rope); %s has none",
				    m->source);
	if ((want & (1u << MAT_H)) && !m->stacked)
		return kv_error_set(err, EX_USAGE,
				    "--matrix H is a stacked model's layer output; %s has one layer and head",
				    m->source);
	if ((want & scores) && cfg->tiled)
		return kv_error_set(err, EX_USAGE,
				    "--matrix S and A are never held by --attention flash (export --tiles gives its tile states)");
	return 0;
}

/* The run's configuration: the model's defaults overridden by -p and -n. */
static int make_config(const Model *m, const CliOpts *o, int *ids,
		       RunConfig *cfg, KvError *err)
{
	*cfg = run_config_default(m);
	cfg->elem_bytes = o->elem_bytes;
	cfg->tiled = o->tiled;
	cfg->tile = o->tile;
	cfg->split = o->split;
	if (o->kv_bits) {
		int g = o->kv_group ? o->kv_group : 2;
		cfg->quant = (KvQuant){ .bits = o->kv_bits, .group = g,
					.residual = o->kv_residual ?
							    o->kv_residual : g };
	}
	cfg->ctx = o->ctx;
	cfg->shift = o->shift;
	if (o->prompt) {
		int n = model_parse_prompt(m, o->prompt, ids, KV_MAX_TOKENS, err);
		if (n < 0)
			return err->code;
		cfg->prompt = ids;
		cfg->prompt_n = n;
	}
	if (o->generate >= 0)
		cfg->generate = o->generate;
	/* export --sheet of a tiled sheet (7): its cells are a tiled run's */
	int tile = 0;
	if (o->cmd == CMD_EXPORT && o->sheet &&
	    sheet_attention(o->sheet, &tile, err))
		return err->code;
	if (tile > 0 && ((o->tile && o->tile != tile) || o->split))
		return kv_error_set(err, EX_USAGE,
				    "--sheet %s works tiles of %d without a "
				    "split; drop --tile and --split", o->sheet,
				    tile);
	if (tile > 0) {
		cfg->tiled = true;
		cfg->tile = tile;
	}
	if (group_window_check(m, cfg, o, err))
		return err->code;
	if (run_config_check(m, cfg, err))
		return err->code;
	return matrix_check(m, cfg, o, err);
}

/* Progress of a long run on a terminal: one line on stderr, redrawn. */
typedef struct Progress {
	bool show;    /* stderr is a terminal and the run is long */
	int percent;  /* last shown, -1 before the first */
} Progress;

static bool on_progress(void *ctx, uint64_t done, uint64_t total)
{
	Progress *p = ctx;
	if (interrupt_caught())
		return false;
	int pc = total ? (int)(100.0 * (double)done / (double)total) : 100;
	if (p->show && pc != p->percent) {
		fprintf(stderr, "\rkvstep: computing the run: %3d%% of %.1e multiply-adds (Ctrl-C stops)",
			pc, (double)total);
		p->percent = pc;
	}
	return true;
}

static void progress_end(const Progress *p)
{
	if (p->show && p->percent >= 0)
		fprintf(stderr, "\r%78s\r", "");
}

/* Exports past this size say so first: they take a while and a disk. */
#define EXPORT_NOTICE_BYTES 100e6

static void export_notice(const CliOpts *o, const Trace *t)
{
	if (o->tiles) {
		double tb;
		uint64_t tr = csv_tiles_rows(t, &o->filter, &tb);
		if (tb > EXPORT_NOTICE_BYTES)
			fprintf(stderr,
				"kvstep: this export writes %llu rows, about %.1f GB; Ctrl-C stops it and leaves no file\n",
				(unsigned long long)tr, tb / 1e9);
		return;
	}
	uint64_t rows = o->counters ? estimate_counter_rows(t, &o->filter)
				    : estimate_export_rows(t, &o->filter);
	double bytes = (double)rows * ESTIMATE_ROW_BYTES;
	if (bytes > EXPORT_NOTICE_BYTES)
		fprintf(stderr,
			"kvstep: this export writes %llu rows, about %.1f GB; Ctrl-C stops it and leaves no file\n",
			(unsigned long long)rows, bytes / 1e9);
}

static int cmd_export(const CliOpts *o, const Trace *t, KvError *err)
{
	if (o->filter.step_hi > trace_steps(t))
		return kv_error_set(err, EX_USAGE,
				    "--step %d is past the last step of this run (%d)",
				    o->filter.step_hi, trace_steps(t));
	export_notice(o, t);
	ExportFilter f = o->filter;
	SheetPick *pick = NULL;
	if (o->sheet && sheet_pick_load(t, o->sheet, &pick, err))
		return err->code;
	f.pick = pick ? sheet_pick_cell : NULL;
	f.pick_ctx = pick;
	if (pick)
		f.answers = sheet_pick_answers(pick, &f.n_answers);
	AtomicFile af;
	if (atomic_open(&af, o->output, err)) {
		sheet_pick_free(pick);
		return err->code;
	}
	int rc = o->shift      ? csv_write_shift(af.fp, t, &f, err)
		 : o->tiles    ? csv_write_tiles(af.fp, t, &f, err)
		 : o->cache    ? csv_write_cache(af.fp, t, &f, err)
		 : o->counters ? csv_write_counters(af.fp, t, &f, err)
			       : csv_write_trace(af.fp, t, &f, err);
	sheet_pick_free(pick);
	return atomic_finish(&af, rc, err);
}

/* run_trace with a progress line on a terminal for long runs. */
static Trace *run_traced(const Model *m, RunConfig *cfg, KvError *err)
{
	RunEstimate est = estimate_run(m, cfg->prompt_n,
				       cfg->prompt_n + cfg->generate);
	Progress p = { .show = isatty(STDERR_FILENO) && estimate_is_long(&est),
		       .percent = -1 };
	cfg->progress = (RunProgress){ .step = on_progress, .ctx = &p };
	Trace *t = run_trace(m, cfg, err);
	progress_end(&p);
	return t;
}

static int cmd_answers(const CliOpts *o, const Trace *t, KvError *err)
{
	SheetOptions so = { .blank = o->filter.blank, .ascii = o->ascii,
			    .digits = o->digits };
	if (sheet_print(stdout, t, o->args, o->n_args, &so, err))
		return err->code;
	if (fflush(stdout) != 0 || ferror(stdout))
		return kv_error_set(err, EX_IOERR, "cannot write output");
	return 0;
}

static int cmd_ui(const CliOpts *o, const Trace *t, KvError *err)
{
	TuiOptions to = { .no_color = o->no_color, .ascii = o->ascii,
			  .digits = o->digits };
	return tui_run(t, &to, err);
}

static int run_command(const CliOpts *o, const Trace *t, KvError *err)
{
	switch (o->cmd) {
	case CMD_EXPORT:
		return cmd_export(o, t, err);
	case CMD_UI:
		return cmd_ui(o, t, err);
	case CMD_ANSWERS:
		return cmd_answers(o, t, err);
	case CMD_GRADE:
	case CMD_HELP:
	case CMD_VERSION:
		break;
	}
	return 0;
}

/* Grading reads CSV files only; it needs no model and no run. */
static int cmd_grade(const CliOpts *o, KvError *err)
{
	if (o->n_args < 2)
		return kv_error_set(err, EX_USAGE,
				    "usage: kvstep grade KEY.csv STUDENT.csv...");
	GradeOptions go = { .tol = o->tol, .rel_tol = o->rel_tol,
			    .summary = o->summary, .bom = o->bom };
	setlocale(LC_CTYPE, ""); /* display widths of names in the class table */
	if (grade_run(o->args[0], o->args + 1, o->n_args - 1, &go, stdout, err))
		return err->code;
	if (fflush(stdout) != 0 || ferror(stdout))
		return kv_error_set(err, EX_IOERR, "cannot write output");
	return 0;
}

int main(int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "mem") == 0)
		return mem_main(argc - 1, argv + 1, stdout, stderr);
	if (argc > 1 && strcmp(argv[1], "spec") == 0)
		return spec_main(argc - 1, argv + 1, stdout, stderr);
	if (argc > 1 && strcmp(argv[1], "serve") == 0)
		return serve_main(argc - 1, argv + 1, stdout, stderr);
	if (argc > 1 && strcmp(argv[1], "bench") == 0)
		return bench_main(argc - 1, argv + 1, stdout, stderr);
	KvError err;
	kv_error_clear(&err);
	CliOpts o;
	if (cli_parse(argc, argv, &o, &err))
		return report(&err);
	if (o.cmd == CMD_HELP || o.cmd == CMD_VERSION) {
		fputs(o.cmd == CMD_HELP ? cli_usage() : "kvstep " KVSTEP_VERSION "\n",
		      stdout);
		if (fflush(stdout) != 0 || ferror(stdout))
			return report_write_error(&err);
		return 0;
	}
	if (o.cmd == CMD_GRADE)
		return cmd_grade(&o, &err) ? report(&err) : 0;
	Model *m = load_model(&o, &err);
	if (!m)
		return report(&err);
	int *ids = malloc(KV_MAX_TOKENS * sizeof *ids);
	RunConfig cfg;
	Trace *t = NULL;
	interrupt_install();
	if (!ids)
		kv_error_set(&err, EX_OSERR, "out of memory");
	else if (!make_config(m, &o, ids, &cfg, &err))
		t = run_traced(m, &cfg, &err);
	if (t)
		run_command(&o, t, &err);
	trace_free(t);
	free(ids);
	model_free(m);
	interrupt_exit(); /* a signal ends the process by that signal */
	return err.code ? report(&err) : 0;
}
