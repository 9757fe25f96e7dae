#include "cli.h"

#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "arg_num.h"
#include "kv_quant.h"
#include "kv_types.h"

enum {
	OPT_DIGITS = 256, OPT_NO_COLOR, OPT_ASCII, OPT_COUNTERS, OPT_BLANK,
	OPT_MODE, OPT_STEP, OPT_MATRIX, OPT_MASKED, OPT_SUMMARY, OPT_TOL,
	OPT_DTYPE, OPT_REL_TOL, OPT_BOM, OPT_SHEET, OPT_CACHE,
	OPT_ATTENTION, OPT_TILE, OPT_SPLIT, OPT_TILES,
	OPT_KV_QUANT, OPT_KV_GROUP, OPT_KV_RESIDUAL,
	OPT_CTX, OPT_SHIFT,
};

static const struct option long_opts[] = {
	{ "model", required_argument, NULL, 'm' },
	{ "prompt", required_argument, NULL, 'p' },
	{ "generate", required_argument, NULL, 'n' },
	{ "output", required_argument, NULL, 'o' },
	{ "digits", required_argument, NULL, OPT_DIGITS },
	{ "dtype", required_argument, NULL, OPT_DTYPE },
	{ "no-color", no_argument, NULL, OPT_NO_COLOR },
	{ "ascii", no_argument, NULL, OPT_ASCII },
	{ "counters", no_argument, NULL, OPT_COUNTERS },
	{ "cache", no_argument, NULL, OPT_CACHE },
	{ "tiles", no_argument, NULL, OPT_TILES },
	{ "attention", required_argument, NULL, OPT_ATTENTION },
	{ "tile", required_argument, NULL, OPT_TILE },
	{ "split", required_argument, NULL, OPT_SPLIT },
	{ "kv-quant", required_argument, NULL, OPT_KV_QUANT },
	{ "kv-group", required_argument, NULL, OPT_KV_GROUP },
	{ "kv-residual", required_argument, NULL, OPT_KV_RESIDUAL },
	{ "ctx", required_argument, NULL, OPT_CTX },
	{ "shift", required_argument, NULL, OPT_SHIFT },
	{ "sheet", required_argument, NULL, OPT_SHEET },
	{ "blank", no_argument, NULL, OPT_BLANK },
	{ "masked", no_argument, NULL, OPT_MASKED },
	{ "mode", required_argument, NULL, OPT_MODE },
	{ "step", required_argument, NULL, OPT_STEP },
	{ "matrix", required_argument, NULL, OPT_MATRIX },
	{ "summary", required_argument, NULL, OPT_SUMMARY },
	{ "tol", required_argument, NULL, OPT_TOL },
	{ "rel-tol", required_argument, NULL, OPT_REL_TOL },
	{ "bom", no_argument, NULL, OPT_BOM },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ NULL, 0, NULL, 0 },
};

const char *cli_usage(void)
{
	return "usage: kvstep [OPTIONS]                 step through the run in the terminal UI\n"
	       "       kvstep answers [WORKSHEET...]    print worksheet answer keys (--blank: student copies)\n"
	       "       kvstep export [-o FILE]          write the step trace as CSV\n"
	       "       kvstep grade KEY.csv STUDENT.csv...  score filled-in CSVs against a key\n"
	       "       kvstep mem [MODEL...]            KV-cache memory of real models (kvstep mem --help)\n"
	       "       kvstep bench [--quick]           time the three modes at real sizes (kvstep bench --help)\n"
	       "       kvstep spec [--draft M] [-k K]   speculative decoding, draft and target (kvstep spec --help)\n"
	       "       kvstep serve [SCENARIO]          requests sharing a paged KV cache (kvstep serve --help)\n"
	       "\n"
	       "options:\n"
	       "  -m, --model FILE     model file, or a bundled model: default, gqa, mqa,\n"
	       "                       local-global, streaming, rope (default: the classroom\n"
	       "                       model)\n"
	       "  -p, --prompt WORDS   prompt, words from the model's vocab\n"
	       "  -n, --generate N     tokens to generate after the prompt\n"
	       "      --digits N       decimals shown (UI and worksheets)\n"
	       "      --dtype T        cache element type for cache_bytes: fp32 (default), fp16, bf16, fp8\n"
	       "      --attention K    attention kernel: standard (default), or flash (tiled,\n"
	       "                       online softmax; docs/tiled-attention.md)\n"
	       "      --tile B         flash: keys per tile, 1-1024 (default 2)\n"
	       "      --split S        flash: split each decode query's keys in S parts\n"
	       "      --kv-quant B     store K and V quantised: int8 or int4 (docs/kv-quant.md)\n"
	       "      --kv-group G     positions per K channel group, 1-64 (default 2)\n"
	       "      --kv-residual R  newest positions kept exact, G-128 (default G)\n"
	       "      --ctx C          RoPE models: a cache of C positions for --shift\n"
	       "      --shift N        when the cache is full, drop the oldest N positions and\n"
	       "                       turn the kept keys back by N (status shifted; docs/rope.md)\n"
	       "      --no-color       no colour in the UI (also when NO_COLOR is set)\n"
	       "      --ascii          ASCII instead of Unicode box drawing\n"
	       "  -h, --help           this text\n"
	       "  -V, --version        the version\n"
	       "\n"
	       "export options:\n"
	       "  -o, --output FILE    write to FILE (atomically) instead of stdout\n"
	       "      --counters       one row of counters per (step, mode) instead of cells\n"
	       "      --cache          one row per cached K/V column: its block, slot and status\n"
	       "      --tiles          flash: one row per tile state (m, l, alpha, o)\n"
	       "      --shift N        (with --ctx C) one row per K cell and score of the\n"
	       "                       shifted cache, beside a fresh run's\n"
	       "      --sheet N        only the cells worksheet N (1-3 or 7) shows; given ones\n"
	       "                       say so\n"
	       "      --mode LIST      keep these modes: nocache,cache,prefill\n"
	       "      --step N|A-B     keep this step or range of steps\n"
	       "      --matrix LIST    keep these matrices: X,Q,K,V,S,A,Z,logits; H (stacked\n"
	       "                       models), Qr,Kr (rope), Kq,Vq (--kv-quant)\n"
	       "      --blank          leave values empty, for students to fill in\n"
	       "      --masked         with --blank, keep the masked cells too\n"
	       "\n"
	       "grade options:\n"
	       "      --tol X          accept |answer - key| <= X (default 0.005)\n"
	       "      --rel-tol R      or <= R * |key|, whichever is larger (hand-worked\n"
	       "                       sheets: --tol 0.05 --rel-tol 0.06)\n"
	       "      --summary FILE   also write one CSV row per student\n"
	       "      --bom            start the summary with a UTF-8 BOM (for Excel)\n"
	       "\n"
	       "exit status: 0 ok, 64 usage, 65 bad data or a run past the limits (man kvstep),\n"
	       "66 missing input, 71 out of memory, 73 cannot create output, 74 I/O error\n";
}

/* Parses a comma-separated list of names into a bit mask. */
static int parse_list(const char *opt, const char *s, int (*parse)(const char *),
		      const char *valid, unsigned *mask, KvError *err)
{
	char buf[256];
	if (strlen(s) >= sizeof buf)
		return kv_error_set(err, EX_USAGE, "%s: list too long", opt);
	strcpy(buf, s);
	size_t n = strlen(buf);
	if (n == 0 || buf[0] == ',' || buf[n - 1] == ',' || strstr(buf, ",,"))
		return kv_error_set(err, EX_USAGE,
				    "%s: empty name in the list '%s'", opt, s);
	*mask = 0;
	for (char *save, *w = strtok_r(buf, ",", &save); w;
	     w = strtok_r(NULL, ",", &save)) {
		int k = parse(w);
		if (k < 0)
			return kv_error_set(err, EX_USAGE,
					    "%s: unknown name '%s'; expected %s",
					    opt, w, valid);
		*mask |= 1u << k;
	}
	if (!*mask)
		return kv_error_set(err, EX_USAGE, "%s: empty list", opt);
	return 0;
}

static int parse_steps(const char *s, ExportFilter *f, KvError *err)
{
	char *end;
	long lo = strtol(s, &end, 10), hi = lo;
	if (*end == '-')
		hi = strtol(end + 1, &end, 10);
	if (end == s || *end || lo < 1 || hi < lo || hi > 1 << 20)
		return kv_error_set(err, EX_USAGE,
				    "--step expects N or A-B with 1 <= A <= B, got '%s'",
				    s);
	f->step_lo = (int)lo;
	f->step_hi = (int)hi;
	return 0;
}

static int parse_dtype(const char *s, int *bytes, KvError *err)
{
	/* the engine counts whole bytes a cell: int4 and blocks are mem's */
	KvDtype d;
	if (kv_dtype_parse(s, &d) && kv_dtype_bytes(d) > 0) {
		*bytes = (int)kv_dtype_bytes(d);
		return 0;
	}
	return kv_error_set(err, EX_USAGE,
			    "--dtype expects fp32, fp16, bf16 or fp8, got '%s'", s);
}

static int parse_tol(const char *opt, const char *s, double max, double *tol,
		     KvError *err)
{
	char *end;
	double v = strtod(s, &end);
	if (end == s || *end || !(v >= 0) || v > max)
		return kv_error_set(err, EX_USAGE,
				    "%s expects a number from 0 to %g, got '%s'", opt,
				    max, s);
	*tol = v;
	return 0;
}

static int apply_option(int c, const char *arg, CliOpts *o, KvError *err)
{
	switch (c) {
	case 'm': o->model_path = arg; return 0;
	case 'p': o->prompt = arg; return 0;
	case 'n':
		return arg_int("", "--generate", arg, 0, 1 << 20, &o->generate,
				     err);
	case 'o':
		if (!*arg)
			return kv_error_set(err, EX_USAGE,
					    "-o/--output needs a file name; '-' is stdout");
		o->output = arg;
		return 0;
	case OPT_DIGITS:
		return arg_int("", "--digits", arg, 0, 9, &o->digits, err);
	case OPT_DTYPE: return parse_dtype(arg, &o->elem_bytes, err);
	case OPT_NO_COLOR: o->no_color = true; return 0;
	case OPT_ASCII: o->ascii = true; return 0;
	case OPT_COUNTERS: o->counters = true; return 0;
	case OPT_CACHE: o->cache = true; return 0;
	case OPT_TILES: o->tiles = true; return 0;
	case OPT_ATTENTION:
		if (strcmp(arg, "flash") && strcmp(arg, "standard"))
			return kv_error_set(err, EX_USAGE,
					    "--attention expects standard or flash, got '%s'",
					    arg);
		o->tiled = strcmp(arg, "flash") == 0;
		return 0;
	case OPT_TILE:
		return arg_int("", "--tile", arg, 1, 1024, &o->tile, err);
	case OPT_SPLIT:
		return arg_int("", "--split", arg, 1, 1024, &o->split, err);
	case OPT_KV_QUANT:
		if (!kv_quant_parse_bits(arg, &o->kv_bits))
			return kv_error_set(err, EX_USAGE,
					    "--kv-quant expects int8 or int4, got '%s'",
					    arg);
		return 0;
	case OPT_KV_GROUP:
		return arg_int("", "--kv-group", arg, 1, KV_QUANT_MAX_GROUP,
			       &o->kv_group, err);
	case OPT_KV_RESIDUAL:
		/* the lower bound is G, known once all options are read */
		if (arg_int("", "--kv-residual", arg, 1,
			    2 * KV_QUANT_MAX_GROUP, &o->kv_residual, err)) {
			kv_error_clear(err);
			return kv_error_set(err, EX_USAGE,
					    "--kv-residual expects a whole number from G (the group) to %d, got '%s'",
					    2 * KV_QUANT_MAX_GROUP, arg);
		}
		return 0;
	case OPT_CTX:
		return arg_int("", "--ctx", arg, 2, 1024, &o->ctx, err);
	case OPT_SHIFT:
		return arg_int("", "--shift", arg, 1, 1023, &o->shift, err);
	case OPT_SHEET: o->sheet = arg; return 0;
	case OPT_BLANK: o->filter.blank = true; return 0;
	case OPT_MASKED: o->filter.masked = true; return 0;
	case OPT_MODE:
		return parse_list("--mode", arg, mode_parse,
				  "nocache, cache or prefill", &o->filter.modes,
				  err);
	case OPT_MATRIX:
		return parse_list("--matrix", arg, matrix_parse,
				  "X, Q, K, V, S, A, Z, logits, H, Qr, Kr, Kq or Vq",
				  &o->filter.matrices, err);
	case OPT_STEP: return parse_steps(arg, &o->filter, err);
	case OPT_SUMMARY: o->summary = arg; return 0;
	case OPT_TOL: return parse_tol("--tol", arg, 1e9, &o->tol, err);
	case OPT_REL_TOL:
		return parse_tol("--rel-tol", arg, 1, &o->rel_tol, err);
	case OPT_BOM: o->bom = true; return 0;
	case 'h': o->cmd = CMD_HELP; return 0;
	case 'V': o->cmd = CMD_VERSION; return 0;
	default:
		return kv_error_set(err, EX_USAGE,
				    "unknown option; try 'kvstep --help'");
	}
}

static int set_command(CliOpts *o, KvError *err)
{
	static const struct { const char *word; Command cmd; } words[] = {
		{ "answers", CMD_ANSWERS },
		{ "export", CMD_EXPORT },
		{ "grade", CMD_GRADE },
	};
	if (o->n_args == 0 || o->cmd == CMD_HELP || o->cmd == CMD_VERSION)
		return 0;
	for (size_t i = 0; i < sizeof words / sizeof *words; i++)
		if (strcmp(o->args[0], words[i].word) == 0) {
			o->cmd = words[i].cmd;
			o->args++;
			o->n_args--;
			return 0;
		}
	if (strcmp(o->args[0], "mem") == 0 || strcmp(o->args[0], "bench") == 0 ||
	    strcmp(o->args[0], "spec") == 0 || strcmp(o->args[0], "serve") == 0)
		return kv_error_set(err, EX_USAGE,
				    "'%s' takes its own options and must come first: kvstep %s --help",
				    o->args[0], o->args[0]);
	return kv_error_set(err, EX_USAGE,
			    "unknown command '%s'; expected answers, export, grade, mem, bench, spec or serve",
			    o->args[0]);
}

enum { IN_UI = 1 << CMD_UI, IN_ANSWERS = 1 << CMD_ANSWERS,
       IN_EXPORT = 1 << CMD_EXPORT, IN_GRADE = 1 << CMD_GRADE,
       IN_RUN = IN_UI | IN_ANSWERS | IN_EXPORT };

/* The commands each option means something to. */
static const struct {
	int opt;
	const char *name;
	unsigned where;
} scope[] = {
	{ 'm', "-m/--model", IN_RUN },
	{ 'p', "-p/--prompt", IN_RUN },
	{ 'n', "-n/--generate", IN_RUN },
	{ OPT_DTYPE, "--dtype", IN_RUN },
	/* not answers: the worksheets ask for S and A, which flash never holds */
	{ OPT_ATTENTION, "--attention", IN_UI | IN_EXPORT },
	{ OPT_TILE, "--tile", IN_UI | IN_EXPORT },
	{ OPT_SPLIT, "--split", IN_UI | IN_EXPORT },
	{ OPT_TILES, "--tiles", IN_EXPORT },
	{ OPT_KV_QUANT, "--kv-quant", IN_UI | IN_EXPORT },
	{ OPT_KV_GROUP, "--kv-group", IN_UI | IN_EXPORT },
	{ OPT_KV_RESIDUAL, "--kv-residual", IN_UI | IN_EXPORT },
	{ OPT_CTX, "--ctx", IN_UI | IN_EXPORT },
	{ OPT_SHIFT, "--shift", IN_UI | IN_EXPORT },
	{ OPT_DIGITS, "--digits", IN_UI | IN_ANSWERS },
	{ OPT_ASCII, "--ascii", IN_UI | IN_ANSWERS },
	{ OPT_NO_COLOR, "--no-color", IN_UI },
	{ 'o', "-o/--output", IN_EXPORT },
	{ OPT_COUNTERS, "--counters", IN_EXPORT },
	{ OPT_CACHE, "--cache", IN_EXPORT },
	{ OPT_SHEET, "--sheet", IN_EXPORT },
	{ OPT_MODE, "--mode", IN_EXPORT },
	{ OPT_STEP, "--step", IN_EXPORT },
	{ OPT_MATRIX, "--matrix", IN_EXPORT },
	{ OPT_MASKED, "--masked", IN_EXPORT },
	{ OPT_BLANK, "--blank", IN_ANSWERS | IN_EXPORT },
	{ OPT_SUMMARY, "--summary", IN_GRADE },
	{ OPT_TOL, "--tol", IN_GRADE },
	{ OPT_REL_TOL, "--rel-tol", IN_GRADE },
	{ OPT_BOM, "--bom", IN_GRADE },
};

/* CliOpts.given keeps one bit per entry of scope. */
_Static_assert(sizeof scope / sizeof *scope <= 32, "scope outgrew CliOpts.given");

static const char *command_name(Command c)
{
	switch (c) {
	case CMD_UI: return "the terminal UI";
	case CMD_ANSWERS: return "answers";
	case CMD_EXPORT: return "export";
	case CMD_GRADE: return "grade";
	case CMD_HELP:
	case CMD_VERSION:
		break;
	}
	return "";
}

/* Options that mean nothing to the command are refused, not ignored. */
static int check_scope(const CliOpts *o, KvError *err)
{
	if (o->cmd == CMD_HELP || o->cmd == CMD_VERSION)
		return 0;
	for (size_t i = 0; i < sizeof scope / sizeof *scope; i++)
		if (((o->given >> i) & 1u) && !(scope[i].where & (1u << o->cmd)))
			return kv_error_set(err, EX_USAGE,
					    "%s does not go with %s; see kvstep --help",
					    scope[i].name, command_name(o->cmd));
	if (o->counters && (o->filter.blank || o->filter.matrices ||
			    o->filter.masked))
		return kv_error_set(err, EX_USAGE,
				    "--counters goes with --mode and --step, not --blank, --matrix or --masked");
	if (o->cache && (o->counters || o->sheet || o->filter.blank ||
			 o->filter.matrices || o->filter.masked))
		return kv_error_set(err, EX_USAGE,
				    "--cache goes with --mode and --step, not --counters, --sheet, --blank, --matrix or --masked");
	if ((o->kv_group || o->kv_residual) && !o->kv_bits)
		return kv_error_set(err, EX_USAGE,
				    "--kv-group and --kv-residual go with --kv-quant");
	if (o->kv_bits && o->tiled)
		return kv_error_set(err, EX_USAGE,
				    "--kv-quant goes with the standard attention kernel, not --attention flash");
	if (o->kv_bits && o->kv_residual &&
	    o->kv_residual < (o->kv_group ? o->kv_group : 2))
		return kv_error_set(err, EX_USAGE,
				    "--kv-residual %d is shorter than the group %d; it takes G to %d",
				    o->kv_residual, o->kv_group ? o->kv_group : 2,
				    2 * KV_QUANT_MAX_GROUP);
	if ((o->tile || o->split || o->tiles) && !o->tiled)
		return kv_error_set(err, EX_USAGE,
				    "--tile, --split and --tiles go with --attention flash");
	if (o->tiles && (o->counters || o->cache || o->sheet ||
			 o->filter.blank || o->filter.matrices ||
			 o->filter.masked))
		return kv_error_set(err, EX_USAGE,
				    "--tiles goes with --mode and --step, not --counters, --cache, --sheet, --blank, --matrix or --masked");
	if (o->shift && o->cmd == CMD_EXPORT &&
	    (o->counters || o->cache || o->tiles || o->sheet ||
	     o->filter.blank || o->filter.matrices || o->filter.masked ||
	     o->filter.modes))
		return kv_error_set(err, EX_USAGE,
				    "export --shift writes the shift table; it goes with --step, not --counters, --cache, --tiles, --sheet, --blank, --matrix, --masked or --mode");
	if (o->sheet && (o->counters || o->filter.masked))
		return kv_error_set(err, EX_USAGE,
				    "--sheet writes the cells a worksheet shows; it goes with --blank, not --counters or --masked");
	if (o->filter.masked && !o->filter.blank)
		return kv_error_set(err, EX_USAGE,
				    "--masked keeps masked cells in a --blank copy; without --blank they are always there");
	if ((o->cmd == CMD_EXPORT || o->cmd == CMD_UI) && o->n_args > 0)
		return kv_error_set(err, EX_USAGE, "unexpected argument '%s'",
				    o->args[0]);
	return 0;
}

int cli_parse(int argc, char **argv, CliOpts *o, KvError *err)
{
	*o = (CliOpts){ .cmd = CMD_UI, .generate = -1, .digits = -1,
			.elem_bytes = 4, .tol = 0.005 };
	optind = 1;
	opterr = 0;
	int c;
	while ((c = getopt_long(argc, argv, ":m:p:n:o:hV", long_opts, NULL)) != -1) {
		if (c == '?')
			return kv_error_set(err, EX_USAGE,
					    "unknown option '%s'; try 'kvstep --help'",
					    argv[optind - 1]);
		if (c == ':')
			return kv_error_set(err, EX_USAGE,
					    "option '%s' needs a value",
					    argv[optind - 1]);
		if (apply_option(c, optarg, o, err))
			return err->code;
		for (size_t i = 0; i < sizeof scope / sizeof *scope; i++)
			if (scope[i].opt == c)
				o->given |= 1u << i;
	}
	o->args = argv + optind;
	o->n_args = argc - optind;
	if (set_command(o, err))
		return err->code;
	return check_scope(o, err);
}
