/*
 * `kvstep spec`: speculative decoding from the command line. Its own
 * options (like `mem` and `bench`), a run (spec.h), then the view, an
 * export (spec_csv.h) or, with --sample, the sampled mode (spec_sample.h).
 */
#include "arg_num.h"
#include "spec_cli.h"

#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "atomic_file.h"
#include "interrupt.h"
#include "model.h"
#include "spec.h"
#include "spec_csv.h"
#include "spec_sample.h"
#include "tui_spec.h"

enum { OPT_DRAFT = 256, OPT_EXPORT, OPT_NO_COLOR, OPT_ASCII, OPT_DIGITS,
       OPT_SAMPLE, OPT_SEED, OPT_TRIALS };

typedef enum SpecExport { EXPORT_NONE, EXPORT_SCHEDULE, EXPORT_CELLS } SpecExport;

typedef struct SpecOpts {
	const char *model, *draft, *prompt, *output;
	int generate, k, digits, trials;
	SpecExport export;
	bool no_color, ascii, help, sample;
	unsigned long long seed;
} SpecOpts;

static const char usage[] =
	"usage: kvstep spec [OPTIONS]     speculative decoding, stepped by iteration\n"
	"\n"
	"  -m, --model FILE     the target (default: the classroom model)\n"
	"      --draft MODEL    the draft, a file or a bundled name; it must share\n"
	"                       the target's vocabulary (default: default-draft)\n"
	"  -k K                 tokens the draft proposes per iteration, 1-8 (default 3)\n"
	"  -p, --prompt WORDS   prompt, words from the vocab\n"
	"  -n, --generate N     tokens to generate after the prompt\n"
	"      --export WHAT    write CSV instead of the view: schedule or cells\n"
	"  -o, --output FILE    with --export: write to FILE (atomically)\n"
	"      --sample         sampled speculative decoding: accept d with\n"
	"                       probability min(1, p/q), else resample from\n"
	"                       norm(max(0, p-q)); prints the generated words\n"
	"      --seed S         the sampler's seed (default 1)\n"
	"      --trials M       with --sample: M runs of the first generated token,\n"
	"                       its histogram next to the target's softmax\n"
	"      --digits N       decimals shown in the view\n"
	"      --no-color, --ascii   as for the main view\n"
	"  -h, --help           this text\n"
	"\n"
	"exit status: 0 ok, 64 usage, 65 bad data (a draft with another vocabulary),\n"
	"66 missing input, 73 cannot create output, 74 I/O error\n";

static int apply(int c, const char *arg, SpecOpts *o, KvError *err)
{
	long v = 0;
	switch (c) {
	case 'm': o->model = arg; return 0;
	case 'p': o->prompt = arg; return 0;
	case 'o': o->output = arg; return 0;
	case OPT_DRAFT: o->draft = arg; return 0;
	case 'n':
		if (arg_long("spec: ", "-n/--generate", arg, 0, KV_MAX_TOKENS, &v, err))
			return err->code;
		o->generate = (int)v;
		return 0;
	case 'k':
		if (arg_long("spec: ", "-k", arg, 1, SPEC_MAX_K, &v, err))
			return err->code;
		o->k = (int)v;
		return 0;
	case OPT_DIGITS:
		if (arg_long("spec: ", "--digits", arg, 0, 9, &v, err))
			return err->code;
		o->digits = (int)v;
		return 0;
	case OPT_TRIALS:
		if (arg_long("spec: ", "--trials", arg, 1, 1000000, &v, err))
			return err->code;
		o->trials = (int)v;
		return 0;
	case OPT_SEED:
		if (arg_long("spec: ", "--seed", arg, 0, 2147483647L, &v, err))
			return err->code;
		o->seed = (unsigned long long)v;
		return 0;
	case OPT_EXPORT:
		if (strcmp(arg, "schedule") == 0)
			o->export = EXPORT_SCHEDULE;
		else if (strcmp(arg, "cells") == 0)
			o->export = EXPORT_CELLS;
		else
			return kv_error_set(err, EX_USAGE,
					    "spec: --export expects schedule or cells, got '%s'",
					    arg);
		return 0;
	case OPT_SAMPLE: o->sample = true; return 0;
	case OPT_NO_COLOR: o->no_color = true; return 0;
	case OPT_ASCII: o->ascii = true; return 0;
	case 'h': o->help = true; return 0;
	default:
		return kv_error_set(err, EX_USAGE,
				    "spec: unknown option; try 'kvstep spec --help'");
	}
}

static int parse(int argc, char **argv, SpecOpts *o, KvError *err)
{
	static const struct option longs[] = {
		{ "model", required_argument, NULL, 'm' },
		{ "draft", required_argument, NULL, OPT_DRAFT },
		{ "prompt", required_argument, NULL, 'p' },
		{ "generate", required_argument, NULL, 'n' },
		{ "output", required_argument, NULL, 'o' },
		{ "export", required_argument, NULL, OPT_EXPORT },
		{ "digits", required_argument, NULL, OPT_DIGITS },
		{ "sample", no_argument, NULL, OPT_SAMPLE },
		{ "seed", required_argument, NULL, OPT_SEED },
		{ "trials", required_argument, NULL, OPT_TRIALS },
		{ "no-color", no_argument, NULL, OPT_NO_COLOR },
		{ "ascii", no_argument, NULL, OPT_ASCII },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	*o = (SpecOpts){ .generate = -1, .k = 3, .digits = -1, .seed = 1 };
	optind = 1;
	opterr = 0;
	int c;
	while ((c = getopt_long(argc, argv, ":m:p:n:o:k:h", longs, NULL)) != -1) {
		if (c == '?' || c == ':')
			return arg_getopt_error("spec", c, argv[optind - 1],
						err);
		if (apply(c, optarg, o, err))
			return err->code;
	}
	if (optind < argc)
		return kv_error_set(err, EX_USAGE, "spec: unexpected argument '%s'",
				    argv[optind]);
	if (o->output && o->export == EXPORT_NONE)
		return kv_error_set(err, EX_USAGE,
				    "spec: -o goes with --export schedule|cells");
	if (o->output && !*o->output)
		return kv_error_set(err, EX_USAGE, "spec: -o needs a file name");
	if (o->sample && o->export != EXPORT_NONE)
		return kv_error_set(err, EX_USAGE,
				    "spec: --sample prints text; --export is for the greedy run");
	if (o->trials && !o->sample)
		return kv_error_set(err, EX_USAGE, "spec: --trials goes with --sample");
	return 0;
}

static int export_run(const SpecOpts *o, const SpecRun *r, KvError *err)
{
	AtomicFile af;
	if (atomic_open(&af, o->output, err))
		return err->code;
	int rc = o->export == EXPORT_CELLS ? spec_csv_cells(af.fp, r, err)
					   : spec_csv_schedule(af.fp, r, err);
	return atomic_finish(&af, rc, err);
}

/* The greedy run: a view or an export. */
static int greedy(const SpecOpts *o, const Model *t, const Model *d,
		  const SpecConfig *sc, KvError *err)
{
	if (o->export == EXPORT_NONE && tui_spec_check(err))
		return err->code;
	SpecRun *r = spec_run(t, d, sc, err);
	if (!r)
		return err->code;
	int rc;
	if (o->export != EXPORT_NONE) {
		rc = export_run(o, r, err);
	} else {
		TuiOptions to = { .no_color = o->no_color, .ascii = o->ascii,
				  .digits = o->digits };
		rc = tui_spec_run(r, &to, err);
	}
	spec_free(r);
	return rc;
}

static int run(const SpecOpts *o, const Model *t, const Model *d, int *ids,
	       KvError *err)
{
	SpecConfig sc = { .prompt = t->prompt, .prompt_n = t->prompt_n,
			  .generate = o->generate >= 0 ? o->generate : t->generate,
			  .k = o->k, .cells = o->export != EXPORT_SCHEDULE };
	if (o->prompt) {
		int n = model_parse_prompt(t, o->prompt, ids, KV_MAX_TOKENS, err);
		if (n < 0)
			return err->code;
		sc.prompt = ids;
		sc.prompt_n = n;
	}
	if (spec_check_pair(t, d, err))
		return err->code;
	if (!o->sample)
		return greedy(o, t, d, &sc, err);
	SpecSampleConfig ss = { .prompt = sc.prompt, .prompt_n = sc.prompt_n,
				.generate = sc.generate, .k = sc.k,
				.seed = o->seed, .trials = o->trials };
	return spec_sample_print(stdout, t, d, &ss, err);
}

int spec_main(int argc, char **argv, FILE *out, FILE *errout)
{
	KvError err;
	kv_error_clear(&err);
	SpecOpts o;
	int rc = parse(argc, argv, &o, &err);
	if (!rc && o.help) {
		fputs(usage, out);
		return fflush(out) || ferror(out) ? EX_IOERR : 0;
	}
	Model *t = NULL, *d = NULL;
	int *ids = NULL;
	if (!rc && !(t = model_load(o.model, &err)))
		rc = err.code;
	if (!rc && !(d = model_load(o.draft ? o.draft : "default-draft", &err)))
		rc = err.code;
	if (!rc && !(ids = malloc(KV_MAX_TOKENS * sizeof *ids)))
		rc = kv_error_set(&err, EX_OSERR, "out of memory");
	if (!rc) {
		interrupt_install();
		rc = run(&o, t, d, ids, &err);
	}
	free(ids);
	model_free(d);
	model_free(t);
	interrupt_exit(); /* a signal ends the process by that signal */
	if (rc)
		fprintf(errout, "kvstep: %s\n", err.msg);
	return rc;
}
