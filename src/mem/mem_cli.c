/*
 * `kvstep mem` command line: parse arguments, load the models, then hand
 * the numbers to the text, CSV and chart views.
 */
#include "mem.h"

#include <inttypes.h>
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kv_error.h"
#include "mem_calc.h"
#include "mem_chart.h"
#include "mem_config.h"
#include "mem_fit.h"
#include "mem_format.h"
#include "mem_json.h"
#include "mem_models.h"

enum {
	CONTEXTS_MAX = 32,
	CHART_HEIGHT = 12,
	FILE_MAX = 1 << 20, /* longest model file read from disk */
};

static const char usage_text[] =
	"usage: kvstep mem [MODEL...] [--context N[,N...]] [--batch B] [--dtype T]\n"
	"                  [--k-dtype T] [--v-dtype T] [--engine E] [--block-size N]\n"
	"                  [--ubatch N] [--swa-full] [--budget SIZE] [--weights SIZE]\n"
	"                  [--csv] [--ascii | --unicode] [--width W] [--no-chart]\n"
	"       kvstep mem --list\n"
	"\n"
	"KV-cache memory of published model architectures, with the arithmetic shown.\n"
	"\n"
	"  MODEL          a model id from --list, a model .ini file, or a Hugging Face\n"
	"                 config.json; none means every bundled model\n"
	"  --context N    context lengths in tokens, comma-separated, 1 to 2^31;\n"
	"                 a k or m suffix multiplies by 1024 or 1048576\n"
	"                 (default 8192,32768,131072; for --csv every power of two\n"
	"                 from 1k to 128k)\n"
	"  --batch B      sequences cached at once, 1 to 1048576 (default 1)\n"
	"  --dtype T      element type of K and V: fp32, fp16 (default), bf16, fp8,\n"
	"                 int4, q8_0 (34 B per 32 values) or q4_0 (18 B per 32)\n"
	"  --k-dtype T    element type of K only; --v-dtype T of V only\n"
	"  --engine E     count cells as exact (default), vllm, llama.cpp or hf do\n"
	"  --block-size N vllm block size in tokens (default 16)\n"
	"  --ubatch N     llama.cpp micro-batch (default 512); --swa-full keeps\n"
	"                 every cell in sliding-window layers\n"
	"  --budget SIZE  memory for weights and cache: 24GiB, 80GB or bytes; answers\n"
	"                 the longest context at --batch and the largest batch at\n"
	"                 each --context that fit\n"
	"  --weights SIZE bytes of weights to subtract first (default: estimated from\n"
	"                 a config.json, else 0)\n"
	"  --csv          write the numbers as CSV (RFC 4180) instead of text\n"
	"  --kv-quant B   bytes of a KIVI-quantised cache instead: int8 or int4\n"
	"                 codes, scales and mins in --dtype (docs/kv-quant.md)\n"
	"  --kv-group G   tokens per K channel group, 1 to 64 (default 2)\n"
	"  --kv-residual R  newest tokens kept exact, G to 128 (default G)\n"
	"  --list         list the bundled models\n"
	"  --ascii        draw with ASCII only (the default when not on a terminal)\n"
	"  --unicode      draw with Unicode blocks even when not on a terminal\n"
	"  --width W      chart width in columns, 30 to 1000 (default: $COLUMNS on a\n"
	"                 terminal, else 80)\n"
	"  --no-chart     leave the chart out\n"
	"\n"
	"A global layer keeps every token; a local layer of window W keeps\n"
	"min(context, W). bytes = batch x layer-tokens x bits per layer-token / 8.\n"
	"See docs/mem.md for the engines' rules and the weight estimate.\n";

typedef struct MemArgs {
	const char **models;           /* ids or paths, argc entries */
	size_t n_models;
	uint64_t contexts[CONTEXTS_MAX];
	size_t n_contexts;
	KvDtype dtype, k_dtype, v_dtype;
	bool k_set, v_set;
	MemPolicy policy;
	uint64_t batch;
	uint64_t budget, weights;
	bool has_budget, has_weights;
	int width;                     /* 0 = pick */
	bool csv, list, help, ascii, unicode, no_chart, swa_full;
	KvQuant quant;                 /* --kv-quant: bits 0 = not given */
	uint64_t kv_group, kv_residual; /* 0 = the defaults (2, G) */
} MemArgs;

/* A whole number with an optional k/m suffix; false if malformed. */
static bool parse_count(const char *s, uint64_t *out)
{
	uint64_t v = 0;
	const char *p = s;
	for (; *p >= '0' && *p <= '9'; p++) {
		if (v > UINT64_MAX / 10 - 9)
			v = UINT64_MAX / 10 - 9; /* saturate: "beyond" anyway */
		v = v * 10 + (uint64_t)(*p - '0');
	}
	if (p == s)
		return false;
	uint64_t mul = 1;
	if (*p == 'k' || *p == 'K')
		mul = 1024, p++;
	else if (*p == 'm' || *p == 'M')
		mul = (uint64_t)1 << 20, p++;
	if (*p != '\0')
		return false;
	*out = v > UINT64_MAX / mul ? UINT64_MAX : v * mul;
	return true;
}

static int parse_contexts(const char *list, MemArgs *a, KvError *e)
{
	char item[64];
	const char *p = list;
	for (;;) {
		size_t n = strcspn(p, ",");
		uint64_t v = 0;
		snprintf(item, sizeof item, "%.*s", (int)(n < 63 ? n : 63), p);
		if (n == 0 || n > 63 || !parse_count(item, &v))
			return kv_error_set(e, EX_USAGE,
					    "--context: expected a number of tokens such as 8192 or 128k, found '%s'",
					    item);
		if (v == 0)
			return kv_error_set(e, EX_USAGE,
					    "--context: 0 tokens is not a context; the closest valid length is 1 (expected 1 to 2147483648 = 2^31)");
		if (v > MEM_CONTEXT_MAX)
			return kv_error_set(e, EX_USAGE,
					    "--context: %s is beyond 2^31 tokens; the closest valid length is 2147483648 (expected 1 to 2^31)",
					    item);
		bool seen = false; /* 8192,8k: one length, shown once */
		for (size_t i = 0; i < a->n_contexts; i++)
			seen = seen || a->contexts[i] == v;
		if (!seen && a->n_contexts == CONTEXTS_MAX)
			return kv_error_set(e, EX_USAGE,
					    "--context: expected at most %d lengths", CONTEXTS_MAX);
		if (!seen)
			a->contexts[a->n_contexts++] = v;
		if (p[n] == '\0')
			return 0;
		p += n + 1;
	}
}

static int parse_dtype(const char *opt, const char *s, KvDtype *out, KvError *e)
{
	if (kv_dtype_parse(s, out))
		return 0;
	const char *names[KV_DTYPE_COUNT];
	for (int d = 0; d < KV_DTYPE_COUNT; d++)
		names[d] = kv_dtype_name((KvDtype)d);
	size_t picked[3];
	char hint[128];
	size_t got = mem_suggest(s, names, KV_DTYPE_COUNT, picked, 1);
	mem_suggest_text(names, picked, got, hint, sizeof hint);
	return kv_error_set(e, EX_USAGE,
			    "%s: unknown dtype '%s'; %s (expected fp32, fp16, bf16, fp8, int4, q8_0 or q4_0)",
			    opt, s, hint);
}

static int parse_engine(const char *s, MemArgs *a, KvError *e)
{
	static const char *const names[] = { "exact", "vllm", "llama.cpp", "hf" };
	if (mem_engine_parse(s, &a->policy.engine))
		return 0;
	size_t picked[3];
	char hint[128];
	size_t got = mem_suggest(s, names, 4, picked, 1);
	mem_suggest_text(names, picked, got, hint, sizeof hint);
	return kv_error_set(e, EX_USAGE,
			    "--engine: unknown engine '%s'; %s (expected exact, vllm, llama.cpp or hf)",
			    s, hint);
}

static int parse_size(const char *opt, const char *s, uint64_t *out, bool *set,
		      KvError *e)
{
	if (!mem_size_parse(s, out))
		return kv_error_set(e, EX_USAGE,
				    "%s: expected a size such as 24GiB, 80GB or 1073741824 (bytes), found '%s'",
				    opt, s);
	*set = true;
	return 0;
}

static int parse_ranged(const char *opt, const char *s, uint64_t lo,
			uint64_t hi, uint64_t *out, KvError *e)
{
	uint64_t v = 0;
	if (!parse_count(s, &v) || v < lo || v > hi)
		return kv_error_set(e, EX_USAGE,
				    "%s: expected a whole number from %" PRIu64 " to %" PRIu64 ", found '%s'",
				    opt, lo, hi, s);
	*out = v;
	return 0;
}

/* Applies option `opt` with its value `val` (NULL for flags). */
static int apply_value(MemArgs *a, const char *opt, const char *val, KvError *e)
{
	uint64_t v = 0;
	if (strcmp(opt, "--context") == 0)
		return parse_contexts(val, a, e);
	if (strcmp(opt, "--dtype") == 0)
		return parse_dtype(opt, val, &a->dtype, e);
	if (strcmp(opt, "--k-dtype") == 0)
		return a->k_set = true, parse_dtype(opt, val, &a->k_dtype, e);
	if (strcmp(opt, "--v-dtype") == 0)
		return a->v_set = true, parse_dtype(opt, val, &a->v_dtype, e);
	if (strcmp(opt, "--engine") == 0)
		return parse_engine(val, a, e);
	if (strcmp(opt, "--kv-quant") == 0)
		return kv_quant_parse_bits(val, &a->quant.bits) ? 0 :
			kv_error_set(e, EX_USAGE, "--kv-quant: expected int8 or int4, found '%s'", val);
	if (strcmp(opt, "--kv-group") == 0)
		return parse_ranged(opt, val, 1, KV_QUANT_MAX_GROUP, &a->kv_group, e);
	if (strcmp(opt, "--kv-residual") == 0)
		return parse_ranged(opt, val, 1, 2 * KV_QUANT_MAX_GROUP, &a->kv_residual, e);
	if (strcmp(opt, "--budget") == 0)
		return parse_size(opt, val, &a->budget, &a->has_budget, e);
	if (strcmp(opt, "--weights") == 0)
		return parse_size(opt, val, &a->weights, &a->has_weights, e);
	if (strcmp(opt, "--batch") == 0)
		return parse_ranged(opt, val, 1, MEM_FIT_BATCH_MAX, &a->batch, e);
	if (strcmp(opt, "--block-size") == 0 || strcmp(opt, "--ubatch") == 0) {
		if (parse_ranged(opt, val, 1, 1u << 20, &v, e))
			return e->code;
		*(opt[2] == 'b' ? &a->policy.block_size : &a->policy.ubatch) = (uint32_t)v;
		return 0;
	}
	if (parse_ranged(opt, val, MEM_CHART_WIDTH_MIN, MEM_CHART_WIDTH_MAX, &v, e))
		return e->code;
	a->width = (int)v;
	return 0;
}

enum { OPT_VALUE = 256, OPT_FLAG };

/* Every option; a value option's handler is apply_value, a flag's flag_for. */
static const struct option long_opts[] = {
	{ "context", required_argument, NULL, OPT_VALUE },
	{ "dtype", required_argument, NULL, OPT_VALUE },
	{ "k-dtype", required_argument, NULL, OPT_VALUE },
	{ "v-dtype", required_argument, NULL, OPT_VALUE },
	{ "engine", required_argument, NULL, OPT_VALUE },
	{ "block-size", required_argument, NULL, OPT_VALUE },
	{ "ubatch", required_argument, NULL, OPT_VALUE },
	{ "budget", required_argument, NULL, OPT_VALUE },
	{ "weights", required_argument, NULL, OPT_VALUE },
	{ "batch", required_argument, NULL, OPT_VALUE },
	{ "width", required_argument, NULL, OPT_VALUE },
	{ "kv-quant", required_argument, NULL, OPT_VALUE },
	{ "kv-group", required_argument, NULL, OPT_VALUE },
	{ "kv-residual", required_argument, NULL, OPT_VALUE },
	{ "csv", no_argument, NULL, OPT_FLAG },
	{ "list", no_argument, NULL, OPT_FLAG },
	{ "help", no_argument, NULL, OPT_FLAG },
	{ "ascii", no_argument, NULL, OPT_FLAG },
	{ "unicode", no_argument, NULL, OPT_FLAG },
	{ "no-chart", no_argument, NULL, OPT_FLAG },
	{ "swa-full", no_argument, NULL, OPT_FLAG },
	{ NULL, 0, NULL, 0 },
};

static bool *flag_for(MemArgs *a, const char *name)
{
	static const char *const names[] = {
		"csv", "list", "help", "ascii", "unicode", "no-chart", "swa-full",
	};
	bool *const flags[] = {
		&a->csv, &a->list, &a->help, &a->ascii, &a->unicode, &a->no_chart,
		&a->swa_full,
	};
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		if (strcmp(name, names[i]) == 0)
			return flags[i];
	return NULL;
}

/*
 * True when `raw` (an argv word) spells option `name` in full: "--name" or
 * "--name=value". getopt_long also takes "--cont" for --context; mem asks
 * for the whole name, so a typo never picks an option by chance.
 */
static bool spelled_out(const char *raw, const char *name)
{
	size_t n = strlen(name);
	return strncmp(raw, "--", 2) == 0 && strncmp(raw + 2, name, n) == 0 &&
	       (raw[2 + n] == '\0' || raw[2 + n] == '=');
}

/* Applies the option getopt_long returned (c, idx) for the argv word raw. */
static int apply_option(MemArgs *a, int c, int idx, const char *raw,
			KvError *e)
{
	if (c == 'h' && strcmp(raw, "-h") == 0)
		return a->help = true, 0;
	if ((c == OPT_VALUE || c == OPT_FLAG) && spelled_out(raw, long_opts[idx].name)) {
		bool *flag = flag_for(a, long_opts[idx].name);
		if (flag) {
			*flag = true;
			return 0;
		}
		char opt[32];
		snprintf(opt, sizeof opt, "--%s", long_opts[idx].name);
		return apply_value(a, opt, optarg, e);
	}
	if (c == ':' && strncmp(raw, "--", 2) == 0)
		for (int i = 0; long_opts[i].name; i++)
			if (strcmp(raw + 2, long_opts[i].name) == 0)
				return kv_error_set(e, EX_USAGE, "%s: expected a value after it", raw);
	return kv_error_set(e, EX_USAGE,
			    "mem: unknown option '%s' (kvstep mem --help lists them)", raw);
}

/*
 * Options and models in the order given (getopt_long in RETURN_IN_ORDER
 * mode, so argv is never permuted or written); "--" ends the options.
 */
static int args_parse(MemArgs *a, int argc, char **argv, KvError *e)
{
	optind = 0; /* a fresh scan, after any earlier getopt in this process */
	opterr = 0;
	for (;;) {
		int at = optind ? optind : 1, idx = -1;
		int c = getopt_long(argc, argv, "-:h", long_opts, &idx);
		if (c == -1)
			break;
		if (c == 1)
			a->models[a->n_models++] = optarg;
		else if (apply_option(a, c, idx, argv[at], e))
			return e->code;
	}
	for (int i = optind; i < argc; i++)
		a->models[a->n_models++] = argv[i];
	return 0;
}

/* True for an argument naming a file rather than a bundled id. */
static bool is_path(const char *s)
{
	size_t n = strlen(s);
	return strchr(s, '/') || (n > 4 && strcmp(s + n - 4, ".ini") == 0) ||
	       (n > 5 && strcmp(s + n - 5, ".json") == 0);
}

static int load_path(const char *path, MemConfig *c, KvError *e)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return kv_error_set(e, EX_NOINPUT, "%s: cannot open the model file: %s",
				    path, strerror(errno));
	char *text = malloc(FILE_MAX + 1);
	size_t len = text ? fread(text, 1, FILE_MAX + 1, f) : 0;
	int bad = !text || ferror(f);
	fclose(f);
	int rc;
	if (bad)
		rc = kv_error_set(e, EX_NOINPUT, "%s: cannot read the model file", path);
	else if (len > FILE_MAX)
		rc = kv_error_set(e, EX_DATAERR, "%s: expected at most %d bytes", path, FILE_MAX);
	else if (mem_json_sniff(text, len))
		rc = mem_json_load(path, text, len, c, e);
	else
		rc = mem_config_load(path, text, len, c, e);
	free(text);
	return rc;
}

static int load_models(const MemArgs *a, MemConfig *cfgs, KvError *e)
{
	for (size_t i = 0; i < a->n_models; i++) {
		const char *m = a->models[i];
		int rc = is_path(m) ? load_path(m, &cfgs[i], e)
				    : mem_models_load(m, &cfgs[i], e);
		if (rc)
			return rc;
	}
	return 0;
}

static unsigned log2_floor(uint64_t v)
{
	unsigned k = 0;
	while (v >>= 1)
		k++;
	return k;
}

/* Chart spans the powers of two around the contexts asked, at least 4. */
static void chart_range(const MemArgs *a, unsigned *lo, unsigned *hi)
{
	if (a->n_contexts == 0) {
		*lo = 10;
		*hi = 17;
		return;
	}
	uint64_t min = UINT64_MAX, max = 0;
	for (size_t i = 0; i < a->n_contexts; i++) {
		min = a->contexts[i] < min ? a->contexts[i] : min;
		max = a->contexts[i] > max ? a->contexts[i] : max;
	}
	*lo = log2_floor(min);
	*hi = log2_floor(max) + ((max & (max - 1)) != 0);
	if (*hi > 31)
		*hi = 31;
	if (*hi - *lo < 3)
		*lo = *hi >= 3 ? *hi - 3 : 0;
}

/*
 * Works out every total once before anything is written, so an overflow
 * fails cleanly instead of halfway through the output.
 */
static int check_totals(const MemConfig *cfgs, const MemArgs *a,
			const MemView *v, const uint64_t *ctx, size_t n, KvError *e)
{
	unsigned lo, hi;
	chart_range(a, &lo, &hi);
	for (size_t m = 0; m < a->n_models; m++) {
		MemTotals t;
		for (size_t i = 0; i < n; i++)
			if (mem_totals(&cfgs[m], ctx[i], a->batch, v->type, &v->policy, &t, e))
				return e->code;
		if (!a->csv && !a->no_chart &&
		    mem_totals(&cfgs[m], (uint64_t)1 << hi, a->batch, v->type, NULL, &t, e))
			return e->code;
	}
	return 0;
}

static int write_chart(FILE *out, const MemConfig *c, const MemArgs *a,
		       const MemView *v, int width, KvError *e)
{
	MemChart ch;
	unsigned lo, hi;
	chart_range(a, &lo, &hi);
	bool unicode = v->unicode;
	if (mem_chart_fill(&ch, c, v->type, a->batch, lo, hi, e))
		return e->code;
	int need = mem_chart_render(&ch, width, CHART_HEIGHT, unicode, NULL, 0);
	char *buf = need >= 0 ? malloc((size_t)need + 1) : NULL;
	if (!buf)
		return kv_error_set(e, EX_SOFTWARE, "cannot draw the chart");
	mem_chart_render(&ch, width, CHART_HEIGHT, unicode, buf, (size_t)need + 1);
	fprintf(out, "\n%s", buf);
	free(buf);
	return 0;
}

static int write_text(FILE *out, const MemConfig *cfgs, const MemArgs *a,
		      const MemView *v, int width, KvError *e)
{
	static const uint64_t defaults[] = { 8192, 32768, 131072 };
	const uint64_t *ctx = a->n_contexts ? a->contexts : defaults;
	size_t n = a->n_contexts ? a->n_contexts : 3;
	if (check_totals(cfgs, a, v, ctx, n, e))
		return e->code;
	for (size_t i = 0; i < a->n_models; i++) {
		if (i > 0)
			fprintf(out, "\n");
		if (mem_report_write(out, &cfgs[i], v, ctx, n, e))
			return e->code;
		if (!a->no_chart && write_chart(out, &cfgs[i], a, v, width, e))
			return e->code;
	}
	return 0;
}

/*
 * --kv-quant: one line per model and context with the bytes of a
 * KIVI-quantised cache (mem_kivi_bytes), the same rule as the teaching
 * engine's cache_bytes and its cache panel, next to the plain --dtype cache.
 */
static int write_kivi(FILE *out, const MemConfig *cfgs, const MemArgs *a,
		      const MemView *v, KvError *e)
{
	static const uint64_t defaults[] = { 8192, 32768, 131072 };
	const uint64_t *ctx = a->n_contexts ? a->contexts : defaults;
	size_t n = a->n_contexts ? a->n_contexts : 3;
	unsigned scalar = kv_dtype_bytes(v->type.k);
	if (scalar == 0 || v->type.k != v->type.v)
		return kv_error_set(e, EX_USAGE,
				    "--kv-quant: scales and mins take --dtype, which must be fp32, fp16, bf16 or fp8 for K and V alike");
	const KvQuant *q = &a->quant;
	uint64_t bytes;
	for (size_t i = 0; i < a->n_models; i++) /* errors before any output */
		for (size_t k = 0; k < n; k++)
			if (mem_kivi_bytes(&cfgs[i], ctx[k], a->batch, q, scalar,
					   &bytes, e))
				return e->code;
	fprintf(out, "KIVI int%d cache: K per channel over groups of %d tokens, V per token,\n"
		"the newest %d tokens exact until their group is due; scales and mins in %s\n",
		q->bits, q->group, q->residual, kv_dtype_name(v->type.k));
	for (size_t i = 0; i < a->n_models; i++)
		for (size_t k = 0; k < n; k++) {
			MemTotals t;
			if (mem_kivi_bytes(&cfgs[i], ctx[k], a->batch, q, scalar,
					   &bytes, e) ||
			    mem_totals(&cfgs[i], ctx[k], a->batch, v->type,
				       &v->policy, &t, e))
				return e->code;
			fprintf(out, "%s  context %" PRIu64 "  batch %" PRIu64
				"  %" PRIu64 " bytes  (%s cache %" PRIu64 " bytes)\n",
				cfgs[i].id, ctx[k], a->batch, bytes,
				kv_dtype_name(v->type.k), t.bytes);
		}
	return 0;
}

static int write_csv(FILE *out, const MemConfig *cfgs, const MemArgs *a,
		     const MemView *v, KvError *e)
{
	uint64_t pow2[8];
	for (size_t k = 0; k < 8; k++)
		pow2[k] = (uint64_t)1024 << k;
	const uint64_t *ctx = a->n_contexts ? a->contexts : pow2;
	size_t n = a->n_contexts ? a->n_contexts : 8;
	if (check_totals(cfgs, a, v, ctx, n, e))
		return e->code;
	fputs(MEM_CSV_HEADER, out);
	for (size_t i = 0; i < a->n_models; i++)
		if (mem_csv_write(out, &cfgs[i], v, ctx, n, e))
			return e->code;
	return 0;
}

/* Chart width: --width, else $COLUMNS on a terminal, else 80. */
static int pick_width(const MemArgs *a, bool tty)
{
	uint64_t v = 0;
	const char *cols = getenv("COLUMNS");
	if (a->width)
		return a->width;
	if (tty && cols && parse_count(cols, &v) && v >= MEM_CHART_WIDTH_MIN &&
	    v <= MEM_CHART_WIDTH_MAX)
		return (int)v;
	return 80;
}

static bool pick_unicode(const MemArgs *a, bool tty)
{
	const char *term = getenv("TERM");
	if (a->ascii)
		return false;
	if (a->unicode)
		return true;
	return tty && !(term && strcmp(term, "dumb") == 0);
}

/* Fills in the defaults of --kv-group and --kv-residual and checks them. */
static int kivi_check(MemArgs *a, KvError *e)
{
	a->quant.group = a->kv_group ? (int)a->kv_group : 2;
	a->quant.residual = a->kv_residual ? (int)a->kv_residual : a->quant.group;
	if (a->quant.residual < a->quant.group)
		return kv_error_set(e, EX_USAGE,
				    "--kv-residual %d is shorter than the group %d",
				    a->quant.residual, a->quant.group);
	if (a->csv)
		return kv_error_set(e, EX_USAGE, "--kv-quant writes text only, not --csv");
	return 0;
}

static int run(const MemArgs *a_in, FILE *out, KvError *e)
{
	MemArgs a = *a_in;
	char (*ids)[MEM_ID_MAX] = NULL;
	MemConfig *cfgs = NULL;
	int rc = 0;
	if (a.n_models == 0) {
		/* No model named: every bundled one. */
		size_t n = mem_models_count();
		ids = calloc(n ? n : 1, sizeof *ids);
		a.models = calloc(n ? n : 1, sizeof *a.models);
		if (!ids || !a.models) {
			rc = kv_error_set(e, EX_OSERR, "out of memory");
			goto done;
		}
		for (size_t i = 0; i < n; i++) {
			mem_models_id(i, ids[i], sizeof ids[i]);
			a.models[i] = ids[i];
		}
		a.n_models = n;
	}
	cfgs = calloc(a.n_models ? a.n_models : 1, sizeof *cfgs);
	if (!cfgs) {
		rc = kv_error_set(e, EX_OSERR, "out of memory");
		goto done;
	}
	if ((rc = load_models(&a, cfgs, e)))
		goto done;
	bool tty = isatty(fileno(out));
	MemView v = {
		.type = { a.k_set ? a.k_dtype : a.dtype, a.v_set ? a.v_dtype : a.dtype },
		.policy = a.policy,
		.batch = a.batch,
		.unicode = pick_unicode(&a, tty),
		.has_budget = a.has_budget,
		.budget = a.budget,
		.has_weights = a.has_weights,
		.weights = a.weights,
	};
	v.policy.swa_full = a.swa_full;
	if (a.has_weights && !a.has_budget)
		rc = kv_error_set(e, EX_USAGE, "--weights: expected --budget too (weights are subtracted from it)");
	else if (a.quant.bits)
		rc = kivi_check(&a, e) ? e->code : write_kivi(out, cfgs, &a, &v, e);
	else if (a.kv_group || a.kv_residual)
		rc = kv_error_set(e, EX_USAGE, "--kv-group and --kv-residual go with --kv-quant");
	else if (a.csv)
		rc = write_csv(out, cfgs, &a, &v, e);
	else
		rc = write_text(out, cfgs, &a, &v, pick_width(&a, tty), e);
done:
	if (ids)
		free(a.models);
	free(ids);
	free(cfgs);
	return rc;
}

static int dispatch(const MemArgs *a, FILE *out, KvError *e)
{
	if (a->help) {
		fputs(usage_text, out);
		return 0;
	}
	if (a->list)
		return mem_models_list(out, e);
	return run(a, out, e);
}

int mem_main(int argc, char **argv, FILE *out, FILE *err)
{
	KvError e;
	kv_error_clear(&e);
	MemArgs a = { .dtype = KV_DTYPE_FP16, .batch = 1,
		      .policy = mem_policy_default() };
	a.models = calloc(argc > 0 ? (size_t)argc : 1, sizeof *a.models);
	if (!a.models) {
		fprintf(err, "kvstep: out of memory\n");
		return EX_OSERR;
	}
	int rc = args_parse(&a, argc, argv, &e);
	if (rc == 0)
		rc = dispatch(&a, out, &e);
	free(a.models);
	if (rc == 0 && (fflush(out) != 0 || ferror(out)))
		rc = kv_error_set(&e, EX_IOERR, "cannot write the output");
	if (rc != 0)
		fprintf(err, "kvstep: %s\n", e.msg);
	return rc;
}
