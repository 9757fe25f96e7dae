/*
 * What a serving run keeps of each iteration (serve.h): every request's
 * entry and block table, and the state of every pool block, taken at the
 * end of the iteration's pass.
 */
#include "serve_int.h"

#include <string.h>

void serve_snapshot_entries(ServeSim *m)
{
	ServeRun *r = m->r;
	const KvCache *c = engine_cache(m->e);
	for (int k = 1; k <= r->n_req; k++) {
		ServeEntry *en = serve_entry_mut(r, m->iter, k);
		const ServeReqState *q = &m->rq[k - 1];
		int fin = r->finish[k - 1];
		if (m->s->req[k - 1].arrive > m->iter)
			en->phase = SERVE_PENDING;
		else if (fin && fin < m->iter)
			en->phase = SERVE_FINISHED;
		else if (en->budget == 0)
			en->phase = q->preempted ? SERVE_PREEMPTED : SERVE_WAITING;
		if (!en->budget)
			en->token = -1;
		en->held = q->done;
		en->known = q->known;
		const int *table;
		int n = kv_cache_block_table(c, k, &table);
		if (!kv_cache_len(c, k))
			n = 0;
		int *dst = r->tables + ((size_t)(m->iter - 1) * (size_t)r->n_req +
					(size_t)(k - 1)) * (size_t)r->max_table;
		if (n > r->max_table)
			n = r->max_table;
		memcpy(dst, table, (size_t)n * sizeof *dst);
		en->table_n = n;
	}
}

void serve_snapshot_blocks(ServeSim *m)
{
	ServeRun *r = m->r;
	const KvCache *c = engine_cache(m->e);
	ServeBlock *row = r->blocks + (size_t)(m->iter - 1) * (size_t)r->n_blocks;
	ServeIter *it = &r->iters[m->iter - 1];
	for (int b = 1; b <= r->n_blocks; b++)
		row[b - 1] = (ServeBlock){ .refcount = kv_cache_block_refs(c, b) };
	for (int k = 1; k <= r->n_req; k++) {
		const int *table;
		int n = kv_cache_block_table(c, k, &table);
		int held = kv_cache_len(c, k);
		for (int j = 1; j <= n && held > 0; j++) {
			ServeBlock *bl = &row[table[j - 1] - 1];
			int f = held - (j - 1) * r->B;
			f = f > r->B ? r->B : f;
			bl->owners |= 1u << (k - 1);
			bl->logical = j;
			if (f > bl->filled)
				bl->filled = f;
			m->meta[table[j - 1] - 1].logical = j;
			m->meta[table[j - 1] - 1].last_used = m->iter;
		}
	}
	for (int b = 1; b <= r->n_blocks; b++) {
		ServeBlock *bl = &row[b - 1];
		const ServeMeta *mt = &m->meta[b - 1];
		bl->hashed = mt->hashed;
		bl->hash = mt->hashed ? mt->hash : 0;
		bl->last_used = mt->last_used;
		if (bl->refcount > 0) {
			bl->state = SERVE_BLOCK_USED;
			it->blocks_used++;
			it->empty_slots += r->B - bl->filled;
		} else if (kv_cache_kept(c, b)) {
			bl->state = SERVE_BLOCK_CACHED;
			bl->logical = mt->logical;
			bl->filled = r->B;
			it->blocks_cached++;
		} else {
			bl->state = SERVE_BLOCK_FREE;
			it->blocks_free++;
		}
	}
}
