/*
 * A serving run (serve.h): sets up the engine over a paged cache and the
 * per-request state, runs the scheduler (serve_sched.c), optionally the
 * other batching policy for the comparison, and answers the views.
 */
#include "serve_int.h"

#include <stdlib.h>
#include <string.h>

static const char *const phase_names[SERVE_PHASE_COUNT] = {
	"pending", "waiting", "prefill", "decode", "preempted", "finished",
};

const char *serve_phase_name(ServePhase p)
{
	return p >= 0 && p < SERVE_PHASE_COUNT ? phase_names[p] : "?";
}

const char *serve_block_state_name(ServeBlockState s)
{
	switch (s) {
	case SERVE_BLOCK_FREE: return "free";
	case SERVE_BLOCK_USED: return "used";
	case SERVE_BLOCK_CACHED: return "cached";
	}
	return "?";
}

static void sim_free(ServeSim *m)
{
	if (m->rq)
		for (int k = 0; k < m->r->n_req; k++) {
			free(m->rq[k].tokens);
			free(m->rq[k].ever);
			free(m->rq[k].adopt);
		}
	free(m->rq);
	free(m->meta);
	free(m->fcfs);
	free(m->plan);
	free(m->mark);
	engine_free(m->e);
}

/* Requests by arrival, then file order (a stable insertion sort). */
static void order_fcfs(const Scenario *s, int *fcfs)
{
	for (int k = 1; k <= s->n_requests; k++) {
		int j = k - 1;
		while (j > 0 && s->req[fcfs[j - 1] - 1].arrive > s->req[k - 1].arrive) {
			fcfs[j] = fcfs[j - 1];
			j--;
		}
		fcfs[j] = k;
	}
}

static int sim_init(ServeSim *m, ServeRun *r, KvError *err)
{
	const Scenario *s = r->s;
	*m = (ServeSim){ .r = r, .s = s, .err = err };
	int cap = 1;
	for (int k = 0; k < s->n_requests; k++) {
		int n = s->req[k].prompt_n + s->req[k].generate;
		if (n > cap)
			cap = n;
	}
	EngineSpec sp = { .capacity = cap, .max_seqs = s->n_requests,
			  .keeps_cache = true, .elem_bytes = 4,
			  .block_size = s->block_size, .n_blocks = s->blocks };
	if (!(m->e = engine_new_spec(s->model, &sp, err)))
		return err->code;
	m->rq = calloc((size_t)r->n_req, sizeof *m->rq);
	m->meta = calloc((size_t)r->n_blocks, sizeof *m->meta);
	m->fcfs = calloc((size_t)r->n_req, sizeof *m->fcfs);
	m->plan = calloc((size_t)r->n_req, sizeof *m->plan);
	m->mark = calloc((size_t)r->n_blocks, 1);
	if (!m->rq || !m->meta || !m->fcfs || !m->plan || !m->mark)
		return kv_error_set(err, EX_OSERR, "out of memory");
	for (int k = 0; k < r->n_req; k++) {
		const ServeRequest *q = &s->req[k];
		ServeReqState *st = &m->rq[k];
		int n = q->prompt_n + q->generate;
		st->tokens = calloc((size_t)n, sizeof *st->tokens);
		st->ever = calloc((size_t)n, 1);
		st->adopt = calloc((size_t)r->max_table, sizeof *st->adopt);
		if (!st->tokens || !st->ever || !st->adopt)
			return kv_error_set(err, EX_OSERR, "out of memory");
		memcpy(st->tokens, q->prompt, (size_t)q->prompt_n * sizeof *st->tokens);
		st->known = q->prompt_n;
	}
	order_fcfs(s, m->fcfs);
	return 0;
}

/* Hands the tokens over to the outcomes and points entries at tables. */
static void sim_finish(ServeSim *m)
{
	ServeRun *r = m->r;
	for (int k = 0; k < r->n_req; k++) {
		const ServeRequest *q = &r->s->req[k];
		ServeOutcome *o = &r->out[k];
		o->arrive = q->arrive;
		o->first_token = r->first[k];
		o->finish = r->finish[k];
		o->n_tokens = q->prompt_n + q->generate;
		o->tokens = r->tok[k] = m->rq[k].tokens;
		m->rq[k].tokens = NULL;
	}
	for (int i = 1; i <= r->n_iters; i++)
		for (int k = 1; k <= r->n_req; k++) {
			ServeEntry *en = serve_entry_mut(r, i, k);
			en->table = en->table_n
				? r->tables + ((size_t)(i - 1) * (size_t)r->n_req +
					       (size_t)(k - 1)) * (size_t)r->max_table
				: NULL;
		}
}

static ServeRun *run_new(const Scenario *s, ServeBatching b, bool cells)
{
	ServeRun *r = calloc(1, sizeof *r);
	if (!r)
		return NULL;
	r->s = s;
	r->batching = b;
	r->cells_on = cells;
	r->n_req = s->n_requests;
	r->n_blocks = s->blocks;
	r->B = s->block_size;
	int most = 1;
	for (int k = 0; k < s->n_requests; k++) {
		int n = s->req[k].prompt_n + s->req[k].generate;
		if (n > most)
			most = n;
	}
	r->max_table = (most + r->B - 1) / r->B;
	r->out = calloc((size_t)r->n_req, sizeof *r->out);
	r->finish = calloc((size_t)r->n_req, sizeof *r->finish);
	r->first = calloc((size_t)r->n_req, sizeof *r->first);
	r->tok = calloc((size_t)r->n_req, sizeof *r->tok);
	if (!r->out || !r->finish || !r->first || !r->tok) {
		serve_free(r);
		return NULL;
	}
	return r;
}

/* One policy, start to end. */
static ServeRun *run_policy(const Scenario *s, ServeBatching b, bool cells,
			    KvError *err)
{
	ServeRun *r = run_new(s, b, cells);
	if (!r) {
		kv_error_set(err, EX_OSERR, "out of memory");
		return NULL;
	}
	ServeSim m;
	int rc = sim_init(&m, r, err);
	if (!rc)
		rc = serve_sim_run(&m);
	if (!rc)
		sim_finish(&m);
	sim_free(&m);
	if (!rc && cells)
		rc = serve_cells_index(r, err);
	if (rc) {
		serve_free(r);
		return NULL;
	}
	return r;
}

ServeRun *serve_run(const Scenario *s, const ServeConfig *cfg, KvError *err)
{
	ServeBatching b = cfg->override_batching ? cfg->batching : s->batching;
	ServeRun *r = run_policy(s, b, cfg->cells, err);
	if (!r || !cfg->compare)
		return r;
	ServeBatching ob = b == SERVE_STATIC ? SERVE_CONTINUOUS : SERVE_STATIC;
	ServeRun *o = run_policy(s, ob, false, err);
	if (!o) {
		serve_free(r);
		return NULL;
	}
	r->other = serve_summary(o);
	r->other_finish = o->finish;
	r->other_first = o->first;
	o->finish = o->first = NULL;
	r->other.finish = r->other_finish;
	r->other.first_token = r->other_first;
	r->has_other = true;
	serve_free(o);
	return r;
}

void serve_free(ServeRun *r)
{
	if (!r)
		return;
	if (r->tok)
		for (int k = 0; k < r->n_req; k++)
			free(r->tok[k]);
	free(r->tok);
	free(r->out);
	free(r->finish);
	free(r->first);
	free(r->other_finish);
	free(r->other_first);
	free(r->iters);
	free(r->entries);
	free(r->blocks);
	free(r->tables);
	free(r->cells);
	free(r->index);
	free(r);
}

const Scenario *serve_scenario(const ServeRun *r)
{
	return r->s;
}

ServeBatching serve_batching(const ServeRun *r)
{
	return r->batching;
}

bool serve_has_cells(const ServeRun *r)
{
	return r->cells_on;
}

int serve_iters(const ServeRun *r)
{
	return r->n_iters;
}

const ServeIter *serve_iter(const ServeRun *r, int i)
{
	return i >= 1 && i <= r->n_iters ? &r->iters[i - 1] : NULL;
}

const ServeEntry *serve_entry(const ServeRun *r, int i, int k)
{
	if (i < 1 || i > r->n_iters || k < 1 || k > r->n_req)
		return NULL;
	return &r->entries[(size_t)(i - 1) * (size_t)r->n_req + (size_t)(k - 1)];
}

const ServeBlock *serve_block(const ServeRun *r, int i, int b)
{
	if (i < 1 || i > r->n_iters || b < 1 || b > r->n_blocks)
		return NULL;
	return &r->blocks[(size_t)(i - 1) * (size_t)r->n_blocks + (size_t)(b - 1)];
}

bool serve_kv_place(const ServeRun *r, int i, int k, int pos, KvPlace *out)
{
	const ServeEntry *en = serve_entry(r, i, k);
	if (!en || pos < 1 || pos > en->held || (pos - 1) / r->B >= en->table_n)
		return false;
	out->block = en->table[(pos - 1) / r->B];
	out->slot = (pos - 1) % r->B + 1;
	return true;
}

const ServeOutcome *serve_outcome(const ServeRun *r, int k)
{
	return k >= 1 && k <= r->n_req ? &r->out[k - 1] : NULL;
}

ServeSummary serve_summary(const ServeRun *r)
{
	return (ServeSummary){ .batching = r->batching,
			       .iterations = r->n_iters,
			       .padding = r->padding,
			       .preemptions = r->preemptions,
			       .prefix_hits = r->prefix_hits,
			       .tokens = r->tokens,
			       .n_requests = r->n_req,
			       .finish = r->finish,
			       .first_token = r->first };
}

bool serve_compare(const ServeRun *r, ServeSummary *out)
{
	if (!r->has_other)
		return false;
	*out = r->other;
	return true;
}
