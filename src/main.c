/*
 * kvstep: the command-line front end. The only place that prints errors and
 * chooses exit statuses; everything below returns KvError values.
 */
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "atomic_file.h"
#include "bench.h"
#include "cli.h"
#include "csv_out.h"
#include "grade.h"
#include "mem.h"
#include "model.h"
#include "run.h"
#include "sheet.h"
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

static Model *load_model(const CliOpts *o, KvError *err)
{
	return model_load(o->model_path, err);
}

/* The run's configuration: the model's defaults overridden by -p and -n. */
static int make_config(const Model *m, const CliOpts *o, int *ids,
		       RunConfig *cfg, KvError *err)
{
	*cfg = run_config_default(m);
	cfg->elem_bytes = o->elem_bytes;
	if (o->prompt) {
		int n = model_parse_prompt(m, o->prompt, ids, KV_MAX_TOKENS, err);
		if (n < 0)
			return err->code;
		cfg->prompt = ids;
		cfg->prompt_n = n;
	}
	if (o->generate >= 0)
		cfg->generate = o->generate;
	return run_config_check(m, cfg, err);
}

static int cmd_export(const CliOpts *o, const Trace *t, KvError *err)
{
	if (o->filter.step_hi > trace_steps(t))
		return kv_error_set(err, EX_USAGE,
				    "--step %d is past the last step of this run (%d)",
				    o->filter.step_hi, trace_steps(t));
	ExportFilter f = o->filter;
	SheetPick *pick = NULL;
	if (o->sheet && sheet_pick_load(t, o->sheet, &pick, err))
		return err->code;
	f.pick = pick ? sheet_pick_cell : NULL;
	f.pick_ctx = pick;
	AtomicFile af;
	if (atomic_open(&af, o->output, err)) {
		sheet_pick_free(pick);
		return err->code;
	}
	int rc = o->cache      ? csv_write_cache(af.fp, t, &f, err)
		 : o->counters ? csv_write_counters(af.fp, t, &f, err)
			       : csv_write_trace(af.fp, t, &f, err);
	sheet_pick_free(pick);
	if (rc) {
		atomic_abort(&af);
		return rc;
	}
	return atomic_commit(&af, err);
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
	if (argc > 1 && strcmp(argv[1], "bench") == 0)
		return bench_main(argc - 1, argv + 1, stdout, stderr);
	KvError err;
	kv_error_clear(&err);
	CliOpts o;
	if (cli_parse(argc, argv, &o, &err))
		return report(&err);
	if (o.cmd == CMD_HELP) {
		fputs(cli_usage(), stdout);
		return 0;
	}
	if (o.cmd == CMD_VERSION) {
		puts("kvstep " KVSTEP_VERSION);
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
	if (!ids)
		kv_error_set(&err, EX_OSERR, "out of memory");
	else if (!make_config(m, &o, ids, &cfg, &err))
		t = run_trace(m, &cfg, &err);
	if (t)
		run_command(&o, t, &err);
	trace_free(t);
	free(ids);
	model_free(m);
	return err.code ? report(&err) : 0;
}
