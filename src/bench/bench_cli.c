/* `kvstep bench`: arguments, the per-T lines and the summary a person reads. */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "arg_num.h"
#include "bench.h"

static const char usage[] =
	"usage: kvstep bench [--d-model D] [--d-head H] [--heads N] [--kv-heads G]\n"
	"                    [--layers L] [--tokens T[,T...]] [--quick]\n"
	"Times one decode step at each position T in each mode, trace off, on a\n"
	"random model, in CPU time of the thread, as medians of rounds that\n"
	"interleave the modes (so another busy process skews no mode alone)\n"
	"(default d_model 512, d_head 64, 8 heads, 1 layer,\n"
	"T = 128,256,512,1024,2048; --quick: T = 64,128,256).\n";

static int tokens_arg(const char *s, BenchConfig *c, KvError *err)
{
	char buf[256];
	snprintf(buf, sizeof buf, "%s", s);
	c->n_tokens = 0;
	for (char *save, *w = strtok_r(buf, ",", &save); w;
	     w = strtok_r(NULL, ",", &save)) {
		if (c->n_tokens == BENCH_MAX_TOKENS)
			return kv_error_set(err, EX_USAGE,
					    "bench: at most %d positions in --tokens",
					    BENCH_MAX_TOKENS);
		int t;
		if (arg_int("bench: ", "--tokens", w, 2, 65536, &t, err))
			return err->code;
		if (c->n_tokens && t <= c->tokens[c->n_tokens - 1])
			return kv_error_set(err, EX_USAGE,
					    "bench: --tokens must rise, got %d after %d",
					    t, c->tokens[c->n_tokens - 1]);
		c->tokens[c->n_tokens++] = t;
	}
	return c->n_tokens ? 0 : kv_error_set(err, EX_USAGE,
					      "bench: --tokens is empty");
}

static void set_defaults(BenchConfig *c)
{
	*c = (BenchConfig){ .d_model = 512, .d_head = 64, .heads = 8,
			    .kv_heads = 0, .layers = 1, .vocab = 256,
			    .repeats = 41, .n_tokens = 5,
			    .tokens = { 128, 256, 512, 1024, 2048 } };
}

static int apply(int opt, const char *arg, BenchConfig *c, bool *tokens_given,
		 KvError *err)
{
	switch (opt) {
	case 'd': return arg_int("bench: ", "--d-model", arg, 1, 8192, &c->d_model, err);
	case 'k': return arg_int("bench: ", "--d-head", arg, 1, 1024, &c->d_head, err);
	case 'H': return arg_int("bench: ", "--heads", arg, 1, 128, &c->heads, err);
	case 'G': return arg_int("bench: ", "--kv-heads", arg, 1, 128, &c->kv_heads, err);
	case 'L': return arg_int("bench: ", "--layers", arg, 1, 64, &c->layers, err);
	case 't': *tokens_given = true; return tokens_arg(arg, c, err);
	case 'q': c->quick = true; return 0;
	default:
		return kv_error_set(err, EX_USAGE,
				    "bench: unknown option; try 'kvstep bench --help'");
	}
}

int bench_parse(int argc, char **argv, BenchConfig *c, FILE *out,
		KvError *err)
{
	static const struct option opts[] = {
		{ "d-model", required_argument, NULL, 'd' },
		{ "d-head", required_argument, NULL, 'k' },
		{ "heads", required_argument, NULL, 'H' },
		{ "kv-heads", required_argument, NULL, 'G' },
		{ "layers", required_argument, NULL, 'L' },
		{ "tokens", required_argument, NULL, 't' },
		{ "quick", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	set_defaults(c);
	bool tokens_given = false;
	optind = 1;
	opterr = 0;
	int opt;
	while ((opt = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		if (opt == 'h') {
			fputs(usage, out);
			return -1;
		}
		if (opt == '?' || opt == ':')
			return kv_error_set(err, EX_USAGE,
					    "bench: bad option '%s'; try 'kvstep bench --help'",
					    argv[optind - 1]);
		if (apply(opt, optarg, c, &tokens_given, err))
			return err->code;
	}
	if (optind < argc)
		return kv_error_set(err, EX_USAGE, "bench: unexpected '%s'",
				    argv[optind]);
	if (!c->kv_heads)
		c->kv_heads = c->heads;
	if (bench_bytes(c) > (uint64_t)8 << 30)
		return kv_error_set(err, EX_USAGE,
				    "bench: that size needs %.1f GiB of memory; the limit is 8 GiB",
				    (double)bench_bytes(c) / (1u << 30));
	if (c->heads % c->kv_heads)
		return kv_error_set(err, EX_USAGE,
				    "bench: --heads %d is not a multiple of --kv-heads %d",
				    c->heads, c->kv_heads);
	if (c->quick) {
		c->repeats = 15;
		if (!tokens_given) {
			int q[] = { 64, 128, 256 };
			memcpy(c->tokens, q, sizeof q);
			c->n_tokens = 3;
		}
	}
	return 0;
}

void bench_format_line(char *buf, size_t size, const BenchRow *r)
{
	snprintf(buf, size,
		 "T=%d nocache_ms=%.3f cache_ms=%.4f prefill_ms=%.3f mac_ratio=%.2f time_ratio=%.2f gflops=%.2f",
		 r->T, r->nocache_ms, r->cache_ms, r->prefill_ms, r->mac_ratio,
		 r->time_ratio, r->gflops);
}

/* A bar of `v` out of `max` in `width` cells. */
static void bar(FILE *out, double v, double max, int width)
{
	int n = max > 0 ? (int)(v / max * width + 0.5) : 0;
	for (int i = 0; i < width; i++)
		fputc(i < n ? '#' : ' ', out);
}

static void print_summary(FILE *out, const BenchConfig *c, const BenchRow *r,
			  int n)
{
	fprintf(out, "\n%6s %11s %10s %11s %8s %9s %10s %10s %6s\n", "T",
		"no cache ms", "cached ms", "prefill ms", "speed-up",
		"MAC ratio", "step reads", "stream ms", "bound");
	for (int i = 0; i < n; i++)
		fprintf(out, "%6d %11.3f %10.4f %11.3f %7.1fx %8.1fx %7.2f MB %10.4f %5.0f%%\n",
			r[i].T, r[i].nocache_ms, r[i].cache_ms, r[i].prefill_ms,
			r[i].time_ratio, r[i].mac_ratio,
			(double)r[i].cache_step_bytes / 1e6, r[i].stream_ms,
			100.0 * r[i].stream_ms / r[i].cache_ms);
	fputs("(bound: the fastest streaming read of as many bytes as the cached step reads,\n"
	      " as a share of the step's time; over 100% means the data sat in the CPU's caches)\n",
	      out);
	double longest = 0;
	for (int i = 0; i < n; i++)
		longest = r[i].cache_ms > longest ? r[i].cache_ms : longest;
	fputs("\ncached step time against T (each # is the same ms):\n", out);
	for (int i = 0; i < n; i++) {
		fprintf(out, "%6d ", r[i].T);
		bar(out, r[i].cache_ms, longest, 50);
		fprintf(out, " %.4f ms\n", r[i].cache_ms);
	}
	const BenchRow *last = &r[n - 1];
	fprintf(out, "\nAt T=%d the no-cache step does %.1fx the work of the cached one and takes %.1fx the time",
		last->T, last->mac_ratio, last->time_ratio);
	fprintf(out, " (time/MAC ratio %.2f).\n", last->time_ratio / last->mac_ratio);
	if (n >= 3) {
		/* least squares through every T but the last, extrapolated */
		double sx = 0, sy = 0, sxx = 0, sxy = 0, k = n - 1;
		for (int i = 0; i < n - 1; i++) {
			sx += r[i].T, sy += r[i].cache_ms;
			sxx += (double)r[i].T * r[i].T;
			sxy += r[i].T * r[i].cache_ms;
		}
		double slope = (k * sxy - sx * sy) / (k * sxx - sx * sx);
		double pred = (sy - slope * sx) / k + slope * last->T;
		fprintf(out, "Cached step at T=%d: %.4f ms; a straight line fitted to T=%d..%d predicts %.4f ms (measured/predicted %.2f).\n",
			last->T, last->cache_ms, r[0].T, r[n - 2].T, pred,
			pred > 0 ? last->cache_ms / pred : 0.0);
	}
	fprintf(out, "Bandwidth bound: streaming the %.2f MB the cached step reads takes %.4f ms (%.1f GB/s);\n"
		"the cached step reaches %.0f%% of that bound.\n",
		(double)last->cache_step_bytes / 1e6, last->stream_ms,
		(double)last->cache_step_bytes / last->stream_ms / 1e6,
		100.0 * last->stream_ms / last->cache_ms);
	fprintf(out, "Prompt of %d tokens: prefill takes 1 pass (%.3f ms, the same work as one no-cache pass);\n"
		"token by token it takes %d sequential passes, each at least one cached step.\n",
		last->T, last->prefill_ms, last->T);
	(void)c;
}

int bench_main(int argc, char **argv, FILE *out, FILE *errf)
{
	BenchConfig c;
	KvError err;
	kv_error_clear(&err);
	int rc = bench_parse(argc, argv, &c, out, &err);
	if (rc < 0)
		return 0;
	BenchRow rows[BENCH_MAX_TOKENS];
	if (!rc) {
		fprintf(out, "kvstep bench: random model d_model=%d d_head=%d heads=%d kv_heads=%d layers=%d vocab=%d; float64, trace off\n",
			c.d_model, c.d_head, c.heads, c.kv_heads, c.layers, c.vocab);
		fflush(out);
		rc = bench_measure(&c, rows, &err);
	}
	for (int i = 0; !rc && i < c.n_tokens; i++) {
		char line[256];
		bench_format_line(line, sizeof line, &rows[i]);
		fprintf(out, "%s\n", line);
	}
	if (!rc)
		print_summary(out, &c, rows, c.n_tokens);
	if (!rc && (fflush(out) != 0 || ferror(out)))
		rc = kv_error_set(&err, EX_IOERR, "cannot write output");
	if (rc)
		fprintf(errf, "kvstep: %s\n", err.msg);
	return rc;
}
