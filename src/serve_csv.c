/* `kvstep serve --export` and --summary (serve_csv.h). */
#include "serve_csv.h"

#include <errno.h>
#include <string.h>

#include "csv_out.h"

static void put_int(FILE *out, int v, bool last)
{
	char b[16];
	snprintf(b, sizeof b, "%d", v);
	csv_put_field(out, b, last);
}

static void put_head(FILE *out, const char *const *head, int n)
{
	for (int i = 0; i < n; i++)
		csv_put_field(out, head[i], i == n - 1);
}

static int finish(FILE *out, KvError *err)
{
	if (fflush(out) != 0 || ferror(out))
		return kv_error_set(err, EX_IOERR, "cannot write output: %s",
				    strerror(errno));
	return 0;
}

static bool in_schedule(const ServeEntry *en)
{
	return en->phase != SERVE_PENDING && en->phase != SERVE_FINISHED;
}

int serve_csv_schedule(FILE *out, const ServeRun *r, KvError *err)
{
	static const char *const head[] = { "iteration", "request", "phase",
		"lo", "hi", "token", "budget", "reused", "held" };
	put_head(out, head, (int)(sizeof head / sizeof *head));
	const Scenario *s = serve_scenario(r);
	for (int i = 1; i <= serve_iters(r) && !ferror(out); i++)
		for (int k = 1; k <= s->n_requests; k++) {
			const ServeEntry *en = serve_entry(r, i, k);
			if (!in_schedule(en))
				continue;
			put_int(out, i, false);
			csv_put_field(out, s->req[k - 1].name, false);
			csv_put_field(out, serve_phase_name(en->phase), false);
			if (en->budget) {
				put_int(out, en->lo, false);
				put_int(out, en->hi, false);
			} else {
				csv_put_field(out, "", false);
				csv_put_field(out, "", false);
			}
			csv_put_field(out, en->token >= 0 ? s->model->vocab[en->token]
							  : "", false);
			put_int(out, en->budget, false);
			put_int(out, en->reused, false);
			put_int(out, en->held, true);
		}
	return finish(out, err);
}

int serve_csv_blocks(FILE *out, const ServeRun *r, KvError *err)
{
	static const char *const head[] = { "iteration", "request", "logical",
		"physical", "refcount", "filled", "state", "shared" };
	put_head(out, head, (int)(sizeof head / sizeof *head));
	const Scenario *s = serve_scenario(r);
	for (int i = 1; i <= serve_iters(r) && !ferror(out); i++)
		for (int k = 1; k <= s->n_requests; k++) {
			const ServeEntry *en = serve_entry(r, i, k);
			for (int j = 1; j <= en->table_n; j++) {
				const ServeBlock *b = serve_block(r, i, en->table[j - 1]);
				put_int(out, i, false);
				csv_put_field(out, s->req[k - 1].name, false);
				put_int(out, j, false);
				put_int(out, en->table[j - 1], false);
				put_int(out, b->refcount, false);
				put_int(out, b->filled, false);
				csv_put_field(out, serve_block_state_name(b->state), false);
				csv_put_field(out, b->refcount > 1 ? "yes" : "no", true);
			}
		}
	return finish(out, err);
}

int serve_csv_cells(FILE *out, const ServeRun *r, KvError *err)
{
	if (!serve_has_cells(r))
		return kv_error_set(err, EX_SOFTWARE,
				    "serve: the run was made without cells");
	static const char *const head[] = { "iteration", "request", "layer",
		"head", "matrix", "row", "col", "value", "status", "block",
		"slot" };
	put_head(out, head, (int)(sizeof head / sizeof *head));
	const Scenario *s = serve_scenario(r);
	const ServeCell *c;
	size_t n = serve_cells(r, &c);
	char v[32];
	for (size_t i = 0; i < n && !ferror(out); i++) {
		put_int(out, c[i].iter, false);
		csv_put_field(out, s->req[c[i].req - 1].name, false);
		put_int(out, c[i].layer, false);
		put_int(out, c[i].head, false);
		csv_put_field(out, matrix_name(c[i].mat), false);
		put_int(out, c[i].row, false);
		put_int(out, c[i].col, false);
		csv_format_double(v, sizeof v, c[i].value);
		csv_put_field(out, v, false);
		csv_put_field(out, cell_status_name(c[i].status), false);
		if (c[i].block) {
			put_int(out, c[i].block, false);
			put_int(out, c[i].slot, true);
		} else {
			csv_put_field(out, "", false);
			csv_put_field(out, "", true);
		}
	}
	return finish(out, err);
}

/* ---- the text summary ---- */

/* "prefill 1-3 →on", "decode 4 →the", "waiting", "preempted", "": one
 * request's cell of the schedule table. */
static void entry_text(const ServeRun *r, const ServeEntry *en, char *buf,
		       size_t size)
{
	const Model *m = serve_scenario(r)->model;
	if (en->phase == SERVE_PENDING || en->phase == SERVE_FINISHED) {
		snprintf(buf, size, "%s", en->phase == SERVE_FINISHED ? "done" : "");
		return;
	}
	if (!en->budget) {
		snprintf(buf, size, "%s", serve_phase_name(en->phase));
		return;
	}
	char pos[24];
	if (en->lo == en->hi)
		snprintf(pos, sizeof pos, "%d", en->lo);
	else
		snprintf(pos, sizeof pos, "%d-%d", en->lo, en->hi);
	snprintf(buf, size, "%s %s%s%s%s", serve_phase_name(en->phase), pos,
		 en->token >= 0 ? " >" : "", en->token >= 0 ? m->vocab[en->token] : "",
		 en->reused ? " +hit" : "");
}

static void print_settings(FILE *out, const Scenario *s, const ServeRun *r)
{
	fprintf(out, "scenario %s: model %s, %d request%s, %d blocks of %d positions, "
		     "max_tokens %d, %s batching",
		s->name, s->model->name, s->n_requests, s->n_requests == 1 ? "" : "s",
		s->blocks, s->block_size, s->max_tokens,
		serve_batching_name(serve_batching(r)));
	if (serve_batching(r) == SERVE_STATIC)
		fprintf(out, " (max_batch %d)", s->max_batch);
	fprintf(out, ", prefix caching %s\n\n", s->prefix_caching ? "on" : "off");
}

static void print_iterations(FILE *out, const ServeRun *r)
{
	const Scenario *s = serve_scenario(r);
	char buf[96];
	fprintf(out, "iter tokens");
	for (int k = 1; k <= s->n_requests; k++)
		fprintf(out, "  %-22s", s->req[k - 1].name);
	fprintf(out, " used cached empty hits preempt%s\n",
		serve_batching(r) == SERVE_STATIC ? " batch pad" : "");
	for (int i = 1; i <= serve_iters(r); i++) {
		const ServeIter *it = serve_iter(r, i);
		fprintf(out, "%4d %6d", i, it->tokens);
		for (int k = 1; k <= s->n_requests; k++) {
			entry_text(r, serve_entry(r, i, k), buf, sizeof buf);
			fprintf(out, "  %-22s", buf);
		}
		fprintf(out, " %4d %6d %5d %4d %7d", it->blocks_used,
			it->blocks_cached, it->empty_slots, it->prefix_hits,
			it->preemptions);
		if (serve_batching(r) == SERVE_STATIC)
			fprintf(out, " %5d %3d", it->batch, it->padding);
		fputc('\n', out);
	}
}

static void print_requests(FILE *out, const ServeRun *r)
{
	const Scenario *s = serve_scenario(r);
	fprintf(out, "\nrequest arrive first_token ttft finish preempted reused  generated\n");
	for (int k = 1; k <= s->n_requests; k++) {
		const ServeOutcome *o = serve_outcome(r, k);
		const ServeRequest *q = &s->req[k - 1];
		fprintf(out, "%-7s %6d %11d %4d %6d %9d %6d ", q->name, o->arrive,
			o->first_token, o->first_token - o->arrive + 1, o->finish,
			o->preemptions, o->reused);
		for (int p = q->prompt_n; p < o->n_tokens; p++)
			fprintf(out, " %s", s->model->vocab[o->tokens[p]]);
		fputc('\n', out);
	}
}

static void print_compare(FILE *out, const ServeRun *r)
{
	const Scenario *s = serve_scenario(r);
	ServeSummary a = serve_summary(r), b;
	if (!serve_compare(r, &b))
		return;
	const ServeSummary *col[2] = { &a, &b };
	if (a.batching == SERVE_STATIC) {
		col[0] = &b;
		col[1] = &a;
	}
	fprintf(out, "\n%-12s %10s %10s\n", "", "continuous", "static");
	fprintf(out, "%-12s %10d %10d\n", "iterations", col[0]->iterations,
		col[1]->iterations);
	fprintf(out, "%-12s %10d %10d\n", "padding", col[0]->padding,
		col[1]->padding);
	fprintf(out, "%-12s %10d %10d\n", "preemptions", col[0]->preemptions,
		col[1]->preemptions);
	fprintf(out, "%-12s %10d %10d\n", "prefix hits", col[0]->prefix_hits,
		col[1]->prefix_hits);
	for (int k = 1; k <= s->n_requests; k++) {
		char name[32];
		snprintf(name, sizeof name, "finish %s", s->req[k - 1].name);
		fprintf(out, "%-12s %10d %10d\n", name, col[0]->finish[k - 1],
			col[1]->finish[k - 1]);
	}
}

int serve_print_summary(FILE *out, const ServeRun *r, KvError *err)
{
	print_settings(out, serve_scenario(r), r);
	print_iterations(out, r);
	print_requests(out, r);
	print_compare(out, r);
	return finish(out, err);
}
