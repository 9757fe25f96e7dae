#include "spec_csv.h"

#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include "csv_out.h"
#include "run_fingerprint.h"

/* Space-separated spellings of ids[0..n) into buf. */
static void words(const Model *m, const int *ids, int n, char *buf,
		  size_t size)
{
	size_t at = 0;
	buf[0] = '\0';
	for (int i = 0; i < n && at < size; i++) {
		int w = snprintf(buf + at, size - at, "%s%s", i ? " " : "",
				 m->vocab[ids[i]]);
		if (w < 0)
			break;
		at += (size_t)w;
	}
}

static void put_u64(FILE *out, uint64_t v, bool last)
{
	char b[24];
	snprintf(b, sizeof b, "%" PRIu64, v);
	csv_put_field(out, b, last);
}

static void put_int(FILE *out, int v, bool last)
{
	char b[16];
	snprintf(b, sizeof b, "%d", v);
	csv_put_field(out, b, last);
}

static int finish(FILE *out, KvError *err)
{
	if (fflush(out) != 0 || ferror(out))
		return kv_error_set(err, EX_IOERR, "cannot write output: %s",
				    strerror(errno));
	return 0;
}

static void fingerprint(const SpecRun *r, char buf[SPEC_FINGERPRINT_SIZE])
{
	run_fingerprint_spec(spec_model(r, SPEC_TARGET),
			     spec_model(r, SPEC_DRAFT), spec_tokens(r),
			     spec_prompt_len(r), spec_generate(r), spec_k(r),
			     buf);
}

int spec_csv_schedule(FILE *out, const SpecRun *r, KvError *err)
{
	static const char *head[] = { "iteration", "pos", "proposed",
		"accepted", "emitted", "verified", "target_keep", "draft_keep",
		"draft_macs", "target_macs", "wasted_macs", "run" };
	const int n_head = (int)(sizeof head / sizeof *head);
	for (int i = 0; i < n_head; i++)
		csv_put_field(out, head[i], i == n_head - 1);
	const Model *m = spec_model(r, SPEC_TARGET);
	char run[SPEC_FINGERPRINT_SIZE], buf[(KV_MAX_TOKEN_LEN + 1) *
					     (SPEC_MAX_K + 1) + 1];
	fingerprint(r, run);
	for (int i = 1; i < spec_iters(r); i++) {
		const SpecIter *it = spec_iter(r, i);
		put_int(out, i, false);
		put_int(out, it->t, false);
		words(m, it->draft, it->k, buf, sizeof buf);
		csv_put_field(out, buf, false);
		put_int(out, it->accepted, false);
		words(m, it->emitted, it->emitted_n, buf, sizeof buf);
		csv_put_field(out, buf, false);
		words(m, it->target, it->k + 1, buf, sizeof buf);
		csv_put_field(out, buf, false);
		put_int(out, it->target_keep, false);
		put_int(out, it->draft_keep, false);
		put_u64(out, counters_macs(&it->draft_c), false);
		put_u64(out, counters_macs(&it->target_c), false);
		put_u64(out, it->wasted_macs, false);
		csv_put_field(out, run, true);
	}
	return finish(out, err);
}

int spec_csv_cells(FILE *out, const SpecRun *r, KvError *err)
{
	static const char *head[] = { "iteration", "model", "layer", "head",
		"matrix", "row", "col", "value", "status", "run" };
	const int n_head = (int)(sizeof head / sizeof *head);
	for (int i = 0; i < n_head; i++)
		csv_put_field(out, head[i], i == n_head - 1);
	char run[SPEC_FINGERPRINT_SIZE], v[32];
	fingerprint(r, run);
	const SpecCell *c;
	size_t n = spec_cells(r, &c);
	for (size_t i = 0; i < n && !ferror(out); i++) {
		put_int(out, c[i].iter, false);
		csv_put_field(out, spec_model_name(c[i].model), false);
		put_int(out, c[i].layer, false);
		put_int(out, c[i].head, false);
		csv_put_field(out, matrix_name(c[i].mat), false);
		put_int(out, c[i].row, false);
		put_int(out, c[i].col, false);
		csv_format_double(v, sizeof v, c[i].value);
		csv_put_field(out, v, false);
		csv_put_field(out, spec_status_name(c[i].status), false);
		csv_put_field(out, run, true);
	}
	return finish(out, err);
}
