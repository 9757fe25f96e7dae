#include "trace_tiles.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* One stored state without its o, which lives in Column.o. */
typedef struct Rec {
	TileKind kind;
	int part, tile, key_lo, key_hi;
	double m, l, alpha, beta;
} Rec;

typedef struct Column {
	Rec *rec;   /* (cap) */
	double *o;  /* (cap, d_v) */
	int n, cap;
	int cursor; /* states the pass in flight has reported so far */
} Column;

struct TraceTiles {
	int layers, heads, T, d_v;
	Column *col; /* (layers, heads, T) */
	TileKernel kernel;
	TileCompare cmp;
	uint64_t mismatches;
	size_t bytes;
};

TraceTiles *trace_tiles_new(int n_layers, int n_heads, int T, int d_v)
{
	TraceTiles *tt = calloc(1, sizeof *tt);
	if (!tt)
		return NULL;
	*tt = (TraceTiles){ .layers = n_layers, .heads = n_heads, .T = T,
			    .d_v = d_v, .kernel = { .tile = 2, .split = 1 } };
	tt->bytes = sizeof *tt;
	return tt;
}

void trace_tiles_free(TraceTiles *tt)
{
	if (!tt)
		return;
	size_t n = (size_t)tt->layers * (size_t)tt->heads * (size_t)tt->T;
	for (size_t i = 0; tt->col && i < n; i++) {
		free(tt->col[i].rec);
		free(tt->col[i].o);
	}
	free(tt->col);
	free(tt);
}

int trace_tiles_set_kernel(TraceTiles *tt, const TileKernel *k)
{
	tt->kernel = *k;
	if (!k->tiled || tt->col)
		return 0;
	size_t n = (size_t)tt->layers * (size_t)tt->heads * (size_t)tt->T;
	tt->col = calloc(n ? n : 1, sizeof *tt->col);
	if (!tt->col)
		return -1;
	tt->bytes += n * sizeof *tt->col;
	return 0;
}

const TileKernel *trace_tiles_kernel(const TraceTiles *tt)
{
	return &tt->kernel;
}

void trace_tiles_set_compare(TraceTiles *tt, const TileCompare *c)
{
	tt->cmp = *c;
}

const TileCompare *trace_tiles_compare(const TraceTiles *tt)
{
	return &tt->cmp;
}

static Column *column_at(const TraceTiles *tt, int layer, int head, int query)
{
	if (!tt->col || layer < 1 || layer > tt->layers || head < 1 || head > tt->heads ||
	    query < 1 || query > tt->T)
		return NULL;
	return &tt->col[((size_t)(layer - 1) * (size_t)tt->heads +
			 (size_t)(head - 1)) * (size_t)tt->T +
			(size_t)(query - 1)];
}

static int column_grow(TraceTiles *tt, Column *c)
{
	int cap = c->cap ? 2 * c->cap : 4;
	Rec *r = realloc(c->rec, (size_t)cap * sizeof *r);
	if (!r)
		return -1;
	c->rec = r;
	double *o = realloc(c->o, (size_t)cap * (size_t)tt->d_v * sizeof *o);
	if (!o)
		return -1;
	c->o = o;
	tt->bytes += (size_t)(cap - c->cap) *
		     (sizeof *r + (size_t)tt->d_v * sizeof *o);
	c->cap = cap;
	return 0;
}

/* Same fields, doubles bit for bit. */
static bool rec_equal(const Rec *a, const Rec *b)
{
	return a->kind == b->kind && a->part == b->part &&
	       a->tile == b->tile && a->key_lo == b->key_lo &&
	       a->key_hi == b->key_hi && !memcmp(&a->m, &b->m, sizeof a->m) &&
	       !memcmp(&a->l, &b->l, sizeof a->l) &&
	       !memcmp(&a->alpha, &b->alpha, sizeof a->alpha) &&
	       !memcmp(&a->beta, &b->beta, sizeof a->beta);
}

static Rec rec_of(const TileState *ts)
{
	Rec r;
	r.kind = ts->kind;
	r.part = ts->part;
	r.tile = ts->tile;
	r.key_lo = ts->key_lo;
	r.key_hi = ts->key_hi;
	r.m = ts->m;
	r.l = ts->l;
	r.alpha = ts->alpha;
	r.beta = ts->beta;
	return r;
}

int trace_tiles_record(TraceTiles *tt, int layer, int head, int query,
		       const TileState *ts)
{
	Column *c = column_at(tt, layer, head, query);
	if (!c)
		return 0;
	if (ts->seqno == 1)
		c->cursor = 0;
	int i = c->cursor++;
	Rec r = rec_of(ts);
	size_t ob = (size_t)tt->d_v * sizeof *c->o;
	if (i < c->n) {
		if (!rec_equal(&c->rec[i], &r) ||
		    memcmp(c->o + (size_t)i * (size_t)tt->d_v, ts->o, ob) != 0)
			tt->mismatches++;
		return 0;
	}
	if (c->n == c->cap && column_grow(tt, c))
		return -1;
	c->rec[c->n] = r;
	memcpy(c->o + (size_t)c->n * (size_t)tt->d_v, ts->o, ob);
	c->n++;
	return 0;
}

int trace_tiles_count(const TraceTiles *tt, int layer, int head, int query)
{
	const Column *c = column_at(tt, layer, head, query);
	return c ? c->n : 0;
}

bool trace_tiles_get(const TraceTiles *tt, int layer, int head, int query,
		     int index, TileState *out)
{
	const Column *c = column_at(tt, layer, head, query);
	if (!c || index < 1 || index > c->n)
		return false;
	const Rec *r = &c->rec[index - 1];
	*out = (TileState){ .kind = r->kind, .seqno = index, .part = r->part,
			    .tile = r->tile, .key_lo = r->key_lo,
			    .key_hi = r->key_hi, .m = r->m, .l = r->l,
			    .alpha = r->alpha, .beta = r->beta,
			    .o = c->o + (size_t)(index - 1) * (size_t)tt->d_v };
	return true;
}

uint64_t trace_tiles_mismatches(const TraceTiles *tt)
{
	return tt->mismatches;
}

size_t trace_tiles_base_bytes(void)
{
	return sizeof(struct TraceTiles);
}

size_t trace_tiles_index_bytes(size_t columns)
{
	return columns * sizeof(Column);
}

size_t trace_tiles_column_bytes(int states, int d_v)
{
	size_t cap = 0;
	while ((int)cap < states)
		cap = cap ? 2 * cap : 4; /* column_grow */
	return cap * (sizeof(Rec) + (size_t)d_v * sizeof(double));
}

int trace_tiles_states_for(int n, int pinned, int tile, int split)
{
	if (n <= 0 || tile <= 0)
		return 0;
	int len = split > 1 ? (n + split - 1) / split : n;
	int states = 0;
	for (int lo = 0; lo < n; lo += len) {
		int hi = lo + len - 1 < n - 1 ? lo + len - 1 : n - 1;
		for (int a = lo, b; a <= hi; a = b + 1, states++) {
			b = a + tile - 1 < hi ? a + tile - 1 : hi;
			if (a < pinned && b >= pinned)
				b = pinned - 1; /* a tile stops at the gap */
		}
		states += len < n; /* the part's merge */
	}
	return states;
}

size_t trace_tiles_memory(const TraceTiles *tt)
{
	return tt->bytes;
}

/* Maps a double onto a line where neighbours differ by 1. */
static int64_t ordered(double x)
{
	int64_t i;
	memcpy(&i, &x, sizeof i);
	return i < 0 ? INT64_MIN - i : i;
}

uint64_t trace_tiles_ulps(double a, double b)
{
	if (isnan(a) || isnan(b))
		return UINT64_MAX;
	int64_t x = ordered(a), y = ordered(b);
	return x > y ? (uint64_t)x - (uint64_t)y : (uint64_t)y - (uint64_t)x;
}
