/*
 * The serving scheduler (serve.h has the rules): one iteration at a time,
 * plan the chunks within the budget, preempt until the pool can hold
 * them, adopt prefix blocks, run one engine pass over the ragged batch,
 * take the new tokens, offer full blocks to the prefix cache, snapshot.
 */
#include "serve_int.h"

#include <stdlib.h>
#include <string.h>

#include "dot.h"

/* ---- the prefix cache ---- */

/* FNV-1a over the previous block's hash and this block's token ids. */
static uint64_t block_hash(uint64_t prev, const int *tokens, int n)
{
	uint64_t h = 14695981039346656037ULL;
	for (int i = 0; i < 8; i++) {
		h ^= (prev >> (8 * i)) & 0xff;
		h *= 1099511628211ULL;
	}
	for (int t = 0; t < n; t++)
		for (int i = 0; i < 4; i++) {
			h ^= ((uint32_t)tokens[t] >> (8 * i)) & 0xff;
			h *= 1099511628211ULL;
		}
	return h ? h : 1;
}

/* Hash of logical block j (1-based) of a request's tokens. */
static uint64_t chain_hash(const ServeSim *m, int k, int j)
{
	const int *tok = m->rq[k - 1].tokens;
	uint64_t h = 0;
	int B = m->r->B;
	for (int b = 1; b <= j; b++)
		h = block_hash(h, tok + (size_t)(b - 1) * (size_t)B, B);
	return h;
}

/* The hashed block with hash h, or 0. */
static int cache_find(const ServeSim *m, uint64_t h)
{
	for (int b = 1; b <= m->r->n_blocks; b++)
		if (m->meta[b - 1].hashed && m->meta[b - 1].hash == h)
			return b;
	return 0;
}

/* Leading full blocks of request k found in the prefix cache, at most
 * ⌊(known−1)/B⌋; fills adopt[]. */
static int prefix_match(const ServeSim *m, int k, int *adopt)
{
	const ServeReqState *q = &m->rq[k - 1];
	int B = m->r->B, most = (q->known - 1) / B, n = 0;
	uint64_t h = 0;
	while (n < most) {
		h = block_hash(h, q->tokens + (size_t)n * (size_t)B, B);
		int b = cache_find(m, h);
		if (!b)
			break;
		adopt[n++] = b;
	}
	return n;
}

/* Offers the newly full blocks of request k to the prefix cache. */
static void prefix_register(ServeSim *m, int k)
{
	ServeReqState *q = &m->rq[k - 1];
	KvCache *c = engine_cache_mut(m->e);
	const int *table;
	int n = kv_cache_block_table(c, k, &table), full = q->done / m->r->B;
	if (full > n)
		full = n;
	for (int j = q->registered + 1; j <= full; j++) {
		int b = table[j - 1];
		if (m->meta[b - 1].hashed)
			continue; /* adopted, or registered before */
		uint64_t h = chain_hash(m, k, j);
		if (cache_find(m, h))
			continue; /* another block holds the same prefix */
		m->meta[b - 1].hashed = true;
		m->meta[b - 1].hash = h;
		kv_cache_keep(c, b, true, NULL);
	}
	if (full > q->registered)
		q->registered = full;
}

/* ---- planning ---- */

static bool is_decode(const ServeSim *m, int k)
{
	const ServeReqState *q = &m->rq[k - 1];
	return q->known > m->s->req[k - 1].prompt_n && q->done == q->known - 1;
}

static bool eligible(const ServeSim *m, int k)
{
	const ServeReqState *q = &m->rq[k - 1];
	if (m->s->req[k - 1].arrive > m->iter || q->finished ||
	    q->deferred_at == m->iter ||
	    (q->preempted && q->preempted_at == m->iter))
		return false;
	return m->r->batching == SERVE_CONTINUOUS || q->in_batch;
}

static void plan_add(ServeSim *m, int k, int lo, int hi, bool decode,
		     int adopt_n)
{
	m->plan[m->n_plan++] = (ServeChunk){ .k = k, .lo = lo, .hi = hi,
					     .decode = decode,
					     .adopt_n = adopt_n,
					     .adopt = m->rq[k - 1].adopt };
}

/* Decodes first, then prefill chunks, first come first served, within
 * the budget. Changes nothing but the plan. */
static void plan_build(ServeSim *m)
{
	int budget = m->s->max_tokens, B = m->r->B;
	m->n_plan = 0;
	for (int o = 0; o < m->r->n_req && budget > 0; o++) {
		int k = m->fcfs[o];
		if (eligible(m, k) && is_decode(m, k)) {
			int p = m->rq[k - 1].done + 1;
			plan_add(m, k, p, p, true, 0);
			budget--;
		}
	}
	for (int o = 0; o < m->r->n_req && budget > 0; o++) {
		int k = m->fcfs[o];
		if (!eligible(m, k) || is_decode(m, k))
			continue;
		ServeReqState *q = &m->rq[k - 1];
		int adopt_n = 0;
		if (q->done == 0 && m->s->prefix_caching)
			adopt_n = prefix_match(m, k, q->adopt);
		int lo = (q->done ? q->done : adopt_n * B) + 1;
		int n = q->known - lo + 1;
		if (n > budget)
			n = budget;
		plan_add(m, k, lo, lo + n - 1, false, adopt_n);
		budget -= n;
	}
}

/* New blocks the plan needs, and whether the pool can give them (free
 * blocks plus cached-free ones nobody adopts). */
static bool plan_fits(ServeSim *m, int *need_out)
{
	const KvCache *c = engine_cache(m->e);
	int B = m->r->B, need = 0, avail = 0;
	memset(m->mark, 0, (size_t)m->r->n_blocks);
	for (int i = 0; i < m->n_plan; i++) {
		const ServeChunk *ch = &m->plan[i];
		int have = (ch->lo - 1 + B - 1) / B;
		need += (ch->hi + B - 1) / B - have;
		for (int j = 0; j < ch->adopt_n; j++)
			m->mark[ch->adopt[j] - 1] = 1;
	}
	for (int b = 1; b <= m->r->n_blocks; b++)
		if (kv_cache_block_refs(c, b) == 0 && !m->mark[b - 1])
			avail++;
	*need_out = need;
	return need <= avail;
}

/* Frees request k's blocks; it keeps its tokens and starts over. */
static void preempt(ServeSim *m, int k)
{
	ServeReqState *q = &m->rq[k - 1];
	kv_cache_free_seq(engine_cache_mut(m->e), k);
	q->done = 0;
	q->registered = 0;
	q->preempted = true;
	q->preempted_at = m->iter;
	m->r->preemptions++;
	m->r->out[k - 1].preemptions++;
	serve_entry_mut(m->r, m->iter, k)->preempted = true;
}

/* Whether request k has a chunk in the plan. */
static bool planned(const ServeSim *m, int k)
{
	for (int i = 0; i < m->n_plan; i++)
		if (m->plan[i].k == k)
			return true;
	return false;
}

/*
 * Makes room when the plan does not fit: the latest-arrived planned
 * request that holds no blocks yet just waits (no preemption); when
 * every planned request holds blocks, the latest-arrived request that
 * holds any is preempted. False when neither is possible.
 */
static bool make_room(ServeSim *m)
{
	for (int o = m->r->n_req - 1; o >= 0; o--) {
		int k = m->fcfs[o];
		if (planned(m, k) && m->rq[k - 1].done == 0) {
			m->rq[k - 1].deferred_at = m->iter;
			return true;
		}
	}
	for (int o = m->r->n_req - 1; o >= 0; o--) {
		int k = m->fcfs[o];
		if (m->rq[k - 1].done > 0 && !m->rq[k - 1].finished) {
			preempt(m, k);
			return true;
		}
	}
	return false;
}

/* Plans, making room until the plan fits; *need is its new blocks. */
static int plan_iteration(ServeSim *m, int *need)
{
	for (;;) {
		plan_build(m);
		if (plan_fits(m, need))
			return 0;
		if (!make_room(m))
			return kv_error_set(m->err, EX_SOFTWARE,
					    "serve: iteration %d needs %d blocks and no request can give any back",
					    m->iter, *need);
	}
}

/* ---- running one iteration ---- */

/* Makes `need` blocks free, evicting least recently used cached ones. */
static void evict_for(ServeSim *m, int need)
{
	KvCache *c = engine_cache_mut(m->e);
	int free_n = 0;
	for (int b = 1; b <= m->r->n_blocks; b++)
		if (kv_cache_block_refs(c, b) == 0 && !kv_cache_kept(c, b))
			free_n++;
	while (free_n < need) {
		int best = 0;
		for (int b = 1; b <= m->r->n_blocks; b++)
			if (kv_cache_block_refs(c, b) == 0 && kv_cache_kept(c, b) &&
			    (!best || m->meta[b - 1].last_used <
					      m->meta[best - 1].last_used))
				best = b;
		if (!best)
			return; /* plan_fits said there are enough */
		kv_cache_keep(c, best, false, NULL);
		m->meta[best - 1].hashed = false;
		m->meta[best - 1].hash = 0;
		m->evictions++;
		free_n++;
	}
}

static int adopt_prefixes(ServeSim *m)
{
	KvCache *c = engine_cache_mut(m->e);
	int B = m->r->B;
	for (int i = 0; i < m->n_plan; i++) {
		const ServeChunk *ch = &m->plan[i];
		ServeReqState *q = &m->rq[ch->k - 1];
		for (int j = 0; j < ch->adopt_n; j++) {
			KvError e2;
			kv_error_clear(&e2);
			if (kv_cache_adopt(c, ch->k, ch->adopt[j], &e2))
				return kv_error_set(m->err, EX_SOFTWARE, "serve: %s",
						    e2.msg);
			for (int p = j * B + 1; p <= (j + 1) * B; p++)
				serve_cells_adopted(m, ch->k, p);
		}
		if (ch->adopt_n) {
			q->done = ch->adopt_n * B;
			q->registered = ch->adopt_n;
			m->r->prefix_hits += ch->adopt_n;
			m->r->out[ch->k - 1].reused += ch->adopt_n * B;
			serve_entry_mut(m->r, m->iter, ch->k)->reused = ch->adopt_n * B;
		}
	}
	return 0;
}

/* The token of chunk ch: a new one when hi is the last known position. */
static int take_token(ServeSim *m, const ServeChunk *ch)
{
	ServeReqState *q = &m->rq[ch->k - 1];
	const ServeRequest *rq = &m->s->req[ch->k - 1];
	ServeEntry *en = serve_entry_mut(m->r, m->iter, ch->k);
	int t = argmax(engine_logits_of(m->e, ch->k), m->s->model->vocab_n);
	for (int p = ch->lo; p <= ch->hi; p++)
		q->ever[p - 1] = 1;
	q->done = ch->hi;
	m->r->out[ch->k - 1].computed += ch->hi - ch->lo + 1;
	if (ch->hi < q->known) { /* a generated token must come out again */
		if (ch->hi >= rq->prompt_n && q->tokens[ch->hi] != t)
			return kv_error_set(m->err, EX_SOFTWARE,
					    "serve: request %s recomputed position %d and chose another token",
					    rq->name, ch->hi);
		return 0;
	}
	q->tokens[q->known++] = t;
	q->generated++;
	en->token = t;
	if (!m->r->first[ch->k - 1])
		m->r->first[ch->k - 1] = m->iter;
	if (q->generated == rq->generate) {
		q->finished = true;
		en->finished = true;
		m->r->finish[ch->k - 1] = m->iter;
	}
	return 0;
}

static int run_pass(ServeSim *m)
{
	PassChunk pc[SERVE_MAX_REQUESTS];
	PassInfo info[SERVE_MAX_REQUESTS];
	for (int i = 0; i < m->n_plan; i++) {
		const ServeChunk *ch = &m->plan[i];
		pc[i] = (PassChunk){ .seq = ch->k, .lo = ch->lo, .hi = ch->hi,
				     .tokens = m->rq[ch->k - 1].tokens };
		ServeEntry *en = serve_entry_mut(m->r, m->iter, ch->k);
		en->lo = ch->lo;
		en->hi = ch->hi;
		en->budget = ch->hi - ch->lo + 1;
		en->phase = ch->decode ? SERVE_DECODE : SERVE_PREFILL;
		m->rq[ch->k - 1].preempted = false;
	}
	ServeIter *it = &m->r->iters[m->iter - 1];
	if (m->n_plan == 0)
		return 0;
	EngineSink sink = serve_cells_sink(m);
	KvError e2;
	kv_error_clear(&e2);
	if (engine_run(m->e, pc, m->n_plan, m->r->cells_on ? &sink : NULL,
		       &it->pass, info, &e2))
		return kv_error_set(m->err, e2.code == EX_OSERR ? EX_OSERR : EX_SOFTWARE,
				    "serve: iteration %d: %s", m->iter, e2.msg);
	for (int i = 0; i < m->n_plan; i++)
		if (take_token(m, &m->plan[i]))
			return m->err->code;
	return 0;
}

/* ---- static batches ---- */

static void batch_form(ServeSim *m)
{
	for (int k = 1; k <= m->r->n_req; k++)
		if (m->rq[k - 1].in_batch && !m->rq[k - 1].finished)
			return; /* the batch runs on */
	int n = 0;
	for (int k = 1; k <= m->r->n_req; k++)
		m->rq[k - 1].in_batch = false;
	for (int o = 0; o < m->r->n_req && n < m->s->max_batch; o++) {
		int k = m->fcfs[o];
		if (m->s->req[k - 1].arrive <= m->iter && !m->rq[k - 1].finished) {
			m->rq[k - 1].in_batch = true;
			n++;
		}
	}
	if (n)
		m->batch_no++;
}

/* Members of the batch that are finished or idle this iteration. */
static int batch_padding(const ServeSim *m)
{
	int pad = 0;
	for (int k = 1; k <= m->r->n_req; k++) {
		if (!m->rq[k - 1].in_batch)
			continue;
		const ServeEntry *en = &m->r->entries[(size_t)(m->iter - 1) *
						      (size_t)m->r->n_req +
						      (size_t)(k - 1)];
		if (en->budget == 0)
			pad++;
	}
	return pad;
}

static bool batch_running(const ServeSim *m)
{
	for (int k = 1; k <= m->r->n_req; k++)
		if (m->rq[k - 1].in_batch)
			return true;
	return false;
}

/* ---- the loop ---- */

static int grow_iters(ServeSim *m)
{
	ServeRun *r = m->r;
	if (m->iter <= r->cap_iters)
		return 0;
	size_t per = (size_t)r->n_blocks + (size_t)r->n_req * (size_t)r->max_table;
	if ((size_t)m->iter * per > SERVE_MAX_RECORDS)
		return kv_error_set(m->err, EX_DATAERR,
				    "%s: the run passes %d iterations, more than kvstep records for a pool of %d blocks; use fewer blocks, requests or positions",
				    m->s->source, m->iter - 1, r->n_blocks);
	int cap = r->cap_iters ? r->cap_iters * 2 : 16;
	void *a = realloc(r->iters, (size_t)cap * sizeof *r->iters);
	if (a)
		r->iters = a;
	void *b = a ? realloc(r->entries, (size_t)cap * (size_t)r->n_req *
						   sizeof *r->entries) : NULL;
	if (b)
		r->entries = b;
	void *c = b ? realloc(r->blocks, (size_t)cap * (size_t)r->n_blocks *
						 sizeof *r->blocks) : NULL;
	if (c)
		r->blocks = c;
	void *d = c ? realloc(r->tables, (size_t)cap * (size_t)r->n_req *
						 (size_t)r->max_table * sizeof *r->tables)
		    : NULL;
	if (!d)
		return kv_error_set(m->err, EX_OSERR, "out of memory");
	r->tables = d;
	r->cap_iters = cap;
	return 0;
}

static bool all_finished(const ServeSim *m)
{
	for (int k = 1; k <= m->r->n_req; k++)
		if (!m->rq[k - 1].finished)
			return false;
	return true;
}

static int iteration(ServeSim *m)
{
	ServeRun *r = m->r;
	if (grow_iters(m))
		return m->err->code;
	ServeIter *it = &r->iters[m->iter - 1];
	*it = (ServeIter){ .iteration = m->iter };
	for (int k = 1; k <= r->n_req; k++)
		*serve_entry_mut(r, m->iter, k) = (ServeEntry){ .token = -1 };
	if (r->batching == SERVE_STATIC)
		batch_form(m);
	int need = 0;
	if (plan_iteration(m, &need) || adopt_prefixes(m))
		return m->err->code;
	evict_for(m, need);
	if (run_pass(m))
		return m->err->code;
	for (int i = 0; i < m->n_plan; i++) {
		it->tokens += m->plan[i].hi - m->plan[i].lo + 1;
		if (m->s->prefix_caching)
			prefix_register(m, m->plan[i].k);
	}
	it->chunks = m->n_plan;
	r->tokens += it->tokens;
	serve_snapshot_entries(m);
	serve_snapshot_blocks(m);
	for (int k = 1; k <= r->n_req; k++) { /* why a request waits */
		ServeEntry *en = serve_entry_mut(r, m->iter, k);
		en->no_block = en->phase == SERVE_WAITING &&
			       m->rq[k - 1].deferred_at == m->iter;
		en->in_batch = m->rq[k - 1].in_batch;
	}
	if (r->batching == SERVE_STATIC && batch_running(m)) {
		it->batch = m->batch_no;
		it->padding = batch_padding(m);
		r->padding += it->padding;
	}
	it->prefix_hits = r->prefix_hits;
	it->preemptions = r->preemptions;
	it->evictions = m->evictions;
	/* finished requests leave: their blocks go back (cached when hashed) */
	for (int i = 0; i < m->n_plan; i++)
		if (m->rq[m->plan[i].k - 1].finished) {
			kv_cache_free_seq(engine_cache_mut(m->e), m->plan[i].k);
			m->rq[m->plan[i].k - 1].done = 0;
		}
	return 0;
}

int serve_sim_run(ServeSim *m)
{
	int limit = SERVE_MAX_ARRIVE + 1;
	for (int k = 1; k <= m->r->n_req; k++)
		limit += (m->s->req[k - 1].prompt_n + m->s->req[k - 1].generate) *
			 (m->r->n_req + 1);
	for (m->iter = 1; !all_finished(m); m->iter++) {
		if (m->iter > limit)
			return kv_error_set(m->err, EX_SOFTWARE,
					    "serve: the schedule did not end within %d iterations",
					    limit);
		if (iteration(m))
			return m->err->code;
		if (m->cells_full)
			return kv_error_set(m->err, EX_DATAERR,
					    "%s: the run records more than %d values; export the schedule or blocks instead, or shorten the requests",
					    m->s->source, SERVE_MAX_CELLS);
	}
	m->r->n_iters = m->iter - 1;
	return 0;
}
