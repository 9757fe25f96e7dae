/*
 * `kvstep serve`: several requests through one paged KV cache. Its own
 * options (like `spec`), a scenario (serve.h), a run, then the view, an
 * export or the text summary (serve_csv.h).
 */
#include "serve_cli.h"

#include <getopt.h>
#include <stdbool.h>
#include <string.h>

#include "arg_num.h"
#include "atomic_file.h"
#include "interrupt.h"
#include "serve.h"
#include "serve_csv.h"

#include "tui_serve.h"

enum { OPT_BATCHING = 256, OPT_EXPORT, OPT_SUMMARY, OPT_NO_COLOR, OPT_ASCII,
       OPT_DIGITS };

typedef enum ServeExport { EXPORT_NONE, EXPORT_SCHEDULE, EXPORT_BLOCKS,
			   EXPORT_CELLS } ServeExport;

typedef struct ServeOpts {
	const char *scenario, *output;
	ServeExport export;
	bool override_batching, summary, no_color, ascii, help;
	ServeBatching batching;
	int digits;
} ServeOpts;

static const char usage[] =
	"usage: kvstep serve [SCENARIO] [OPTIONS]   requests sharing one paged KV cache\n"
	"\n"
	"  SCENARIO             a scenario file, or a bundled one: default, tight\n"
	"                       (default: default; docs/serving.md has the format)\n"
	"      --batching B     continuous or static, instead of the file's\n"
	"      --export WHAT    write CSV instead of the view: schedule, blocks or cells\n"
	"  -o, --output FILE    with --export: write to FILE (atomically)\n"
	"      --summary        print the schedule as a text table instead of the view\n"
	"      --digits N       decimals shown in the view\n"
	"      --no-color, --ascii   as for the main view\n"
	"  -h, --help           this text\n"
	"\n"
	"exit status: 0 ok, 64 usage, 65 bad scenario, 66 missing input,\n"
	"73 cannot create output, 74 I/O error\n";

static int parse_export(const char *arg, ServeOpts *o, KvError *err)
{
	static const struct { const char *name; ServeExport e; } names[] = {
		{ "schedule", EXPORT_SCHEDULE },
		{ "blocks", EXPORT_BLOCKS },
		{ "cells", EXPORT_CELLS },
	};
	for (size_t i = 0; i < sizeof names / sizeof *names; i++)
		if (strcmp(arg, names[i].name) == 0) {
			o->export = names[i].e;
			return 0;
		}
	return kv_error_set(err, EX_USAGE,
			    "serve: --export expects schedule, blocks or cells, got '%s'",
			    arg);
}

static int apply(int c, const char *arg, ServeOpts *o, KvError *err)
{
	long v = 0;
	int b;
	switch (c) {
	case 'o': o->output = arg; return 0;
	case OPT_EXPORT: return parse_export(arg, o, err);
	case OPT_BATCHING:
		if ((b = serve_batching_parse(arg)) < 0)
			return kv_error_set(err, EX_USAGE,
					    "serve: --batching expects continuous or static, got '%s'",
					    arg);
		o->override_batching = true;
		o->batching = (ServeBatching)b;
		return 0;
	case OPT_DIGITS:
		if (arg_long("serve: ", "--digits", arg, 0, 9, &v, err))
			return err->code;
		o->digits = (int)v;
		return 0;
	case OPT_SUMMARY: o->summary = true; return 0;
	case OPT_NO_COLOR: o->no_color = true; return 0;
	case OPT_ASCII: o->ascii = true; return 0;
	case 'h': o->help = true; return 0;
	default:
		return kv_error_set(err, EX_USAGE,
				    "serve: unknown option; try 'kvstep serve --help'");
	}
}

static int check(const ServeOpts *o, KvError *err)
{
	if (o->output && o->export == EXPORT_NONE)
		return kv_error_set(err, EX_USAGE,
				    "serve: -o goes with --export schedule|blocks|cells");
	if (o->output && !*o->output)
		return kv_error_set(err, EX_USAGE, "serve: -o needs a file name");
	if (o->summary && o->export != EXPORT_NONE)
		return kv_error_set(err, EX_USAGE,
				    "serve: --summary prints text; --export writes CSV: pick one");
	return 0;
}

static int parse(int argc, char **argv, ServeOpts *o, KvError *err)
{
	static const struct option longs[] = {
		{ "batching", required_argument, NULL, OPT_BATCHING },
		{ "export", required_argument, NULL, OPT_EXPORT },
		{ "output", required_argument, NULL, 'o' },
		{ "summary", no_argument, NULL, OPT_SUMMARY },
		{ "digits", required_argument, NULL, OPT_DIGITS },
		{ "no-color", no_argument, NULL, OPT_NO_COLOR },
		{ "ascii", no_argument, NULL, OPT_ASCII },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	*o = (ServeOpts){ .digits = -1 };
	optind = 1;
	opterr = 0;
	int c;
	while ((c = getopt_long(argc, argv, ":o:h", longs, NULL)) != -1) {
		if (c == '?' || c == ':')
			return arg_getopt_error("serve", c, argv[optind - 1],
						err);
		if (apply(c, optarg, o, err))
			return err->code;
	}
	if (optind < argc)
		o->scenario = argv[optind++];
	if (optind < argc)
		return kv_error_set(err, EX_USAGE,
				    "serve: unexpected argument '%s' (one scenario at a time)",
				    argv[optind]);
	return check(o, err);
}

static int export_run(const ServeOpts *o, const ServeRun *r, KvError *err)
{
	AtomicFile af;
	if (atomic_open(&af, o->output, err))
		return err->code;
	int rc = o->export == EXPORT_CELLS    ? serve_csv_cells(af.fp, r, err)
		 : o->export == EXPORT_BLOCKS ? serve_csv_blocks(af.fp, r, err)
					      : serve_csv_schedule(af.fp, r, err);
	return atomic_finish(&af, rc, err);
}

/* The serving view (src/tui/tui_serve.h): the one place the command line
 * opens it. view_check runs before the scenario does. */
static int view_check(KvError *err)
{
	return tui_serve_check(err);
}

static int open_view(const ServeOpts *o, const ServeRun *r, KvError *err)
{
	TuiOptions to = { .no_color = o->no_color, .ascii = o->ascii,
			  .digits = o->digits };
	return tui_serve_run(r, &to, err);
}

static int run(const ServeOpts *o, const Scenario *s, FILE *out,
	       KvError *err)
{
	bool view = o->export == EXPORT_NONE && !o->summary;
	if (view && view_check(err))
		return err->code;
	ServeConfig cfg = { .override_batching = o->override_batching,
			    .batching = o->batching,
			    .cells = view || o->export == EXPORT_CELLS,
			    .compare = view || o->summary };
	ServeRun *r = serve_run(s, &cfg, err);
	if (!r)
		return err->code;
	int rc;
	if (o->export != EXPORT_NONE)
		rc = export_run(o, r, err);
	else if (o->summary)
		rc = serve_print_summary(out, r, err);
	else
		rc = open_view(o, r, err);
	serve_free(r);
	return rc;
}

int serve_main(int argc, char **argv, FILE *out, FILE *errout)
{
	KvError err;
	kv_error_clear(&err);
	ServeOpts o;
	int rc = parse(argc, argv, &o, &err);
	if (!rc && o.help) {
		fputs(usage, out);
		return fflush(out) || ferror(out) ? EX_IOERR : 0;
	}
	Scenario *s = NULL;
	if (!rc && !(s = scenario_load(o.scenario, &err)))
		rc = err.code;
	if (!rc) {
		interrupt_install();
		rc = run(&o, s, out, &err);
	}
	scenario_free(s);
	interrupt_exit();
	if (rc)
		fprintf(errout, "kvstep: %s\n", err.msg);
	return rc;
}
