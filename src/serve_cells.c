/*
 * The values of a serving run (serve.h, "Cells"): every column the engine
 * produces for a request, and the K and V a request adopts from a shared
 * prefix block, kept in production order with an index sorted by cell
 * for serve_cell.
 */
#include "serve_int.h"

#include <stdlib.h>
#include <string.h>

static ServeCell *cell_new(ServeSim *m)
{
	ServeRun *r = m->r;
	if (r->n_cells == r->cap_cells) {
		size_t cap = r->cap_cells ? r->cap_cells * 2 : 1024;
		if (cap > SERVE_MAX_CELLS)
			cap = SERVE_MAX_CELLS;
		if (r->n_cells >= cap) {
			m->cells_full = true;
			return NULL;
		}
		ServeCell *c = realloc(r->cells, cap * sizeof *c);
		if (!c) {
			kv_error_set(m->err, EX_OSERR, "out of memory");
			m->cells_full = true;
			return NULL;
		}
		r->cells = c;
		r->cap_cells = cap;
	}
	return &r->cells[r->n_cells++];
}

static void on_column(void *ctx, int seq, Matrix mat, int layer, int head,
		      int col, int first_row, const double *v, int n)
{
	ServeSim *m = ctx;
	CellStatus st = m->rq[seq - 1].ever[col - 1] ? CELL_RECOMPUTED
						     : CELL_COMPUTED;
	KvPlace pl = { 0, 0 };
	if (mat == MAT_K || mat == MAT_V)
		kv_cache_where(engine_cache(m->e), seq, layer, col, &pl);
	for (int i = 0; i < n; i++) {
		ServeCell *c = cell_new(m);
		if (!c)
			return;
		*c = (ServeCell){ .iter = m->iter, .req = seq, .layer = layer,
				  .head = head, .mat = mat,
				  .row = first_row + i, .col = col,
				  .value = v[i], .status = st,
				  .block = pl.block, .slot = pl.slot };
	}
}

EngineSink serve_cells_sink(ServeSim *sim)
{
	return (EngineSink){ .column = on_column, .ctx = sim };
}

void serve_cells_adopted(ServeSim *m, int k, int pos)
{
	if (!m->r->cells_on)
		return;
	const KvCache *c = engine_cache(m->e);
	const Model *md = m->s->model;
	for (int l = 1; l <= md->n_layers; l++) {
		KvPlace pl = { 0, 0 };
		kv_cache_where(c, k, l, pos, &pl);
		for (int g = 1; g <= md->n_kv_heads; g++) {
			const double *kv[2] = { kv_cache_k(c, k, l, g, pos),
						kv_cache_v(c, k, l, g, pos) };
			int rows[2] = { md->d_k, md->d_v };
			Matrix mats[2] = { MAT_K, MAT_V };
			for (int w = 0; w < 2; w++)
				for (int i = 0; kv[w] && i < rows[w]; i++) {
					ServeCell *cell = cell_new(m);
					if (!cell)
						return;
					*cell = (ServeCell){
						.iter = m->iter, .req = k,
						.layer = l, .head = g,
						.mat = mats[w], .row = i + 1,
						.col = pos, .value = kv[w][i],
						.status = CELL_REUSED,
						.block = pl.block,
						.slot = pl.slot };
				}
		}
	}
}

/* (req, layer, head, mat, col, row) in 6+5+5+4+11+11 bits: every field
 * is within the limits of model and scenario files. */
static uint64_t pack(int req, int layer, int head, Matrix mat, int row,
		     int col)
{
	return (uint64_t)req << 36 | (uint64_t)layer << 31 |
	       (uint64_t)head << 26 | (uint64_t)mat << 22 |
	       (uint64_t)col << 11 | (uint64_t)row;
}

static bool packable(int req, int layer, int head, Matrix mat, int row,
		     int col)
{
	return req >= 1 && req < 64 && layer >= 1 && layer < 32 && head >= 1 &&
	       head < 32 && mat >= 0 && mat < MAT_COUNT && row >= 1 &&
	       row < 2048 && col >= 1 && col < 2048;
}

static int key_cmp(const void *a, const void *b)
{
	const ServeCellKey *x = a, *y = b;
	if (x->key != y->key)
		return x->key < y->key ? -1 : 1;
	if (x->iter != y->iter)
		return x->iter < y->iter ? -1 : 1;
	return x->idx < y->idx ? -1 : x->idx > y->idx;
}

int serve_cells_index(ServeRun *r, KvError *err)
{
	if (!r->n_cells)
		return 0;
	r->index = malloc(r->n_cells * sizeof *r->index);
	if (!r->index)
		return kv_error_set(err, EX_OSERR, "out of memory");
	for (size_t i = 0; i < r->n_cells; i++) {
		const ServeCell *c = &r->cells[i];
		r->index[i] = (ServeCellKey){
			.key = pack(c->req, c->layer, c->head, c->mat, c->row,
				    c->col),
			.iter = c->iter, .idx = (uint32_t)i };
	}
	qsort(r->index, r->n_cells, sizeof *r->index, key_cmp);
	return 0;
}

size_t serve_cells(const ServeRun *r, const ServeCell **cells)
{
	*cells = r->cells;
	return r->n_cells;
}

bool serve_cell(const ServeRun *r, int k, int i, int layer, int head,
		Matrix mat, int row, int col, ServeCell *out)
{
	if (!r->index || !packable(k, layer, head, mat, row, col))
		return false;
	uint64_t key = pack(k, layer, head, mat, row, col);
	size_t lo = 0, hi = r->n_cells; /* first entry with key ≥ key */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (r->index[mid].key < key)
			lo = mid + 1;
		else
			hi = mid;
	}
	const ServeCellKey *best = NULL;
	for (size_t j = lo; j < r->n_cells && r->index[j].key == key &&
			    r->index[j].iter <= i; j++)
		best = &r->index[j];
	if (!best)
		return false;
	*out = r->cells[best->idx];
	return true;
}
