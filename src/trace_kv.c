#include "trace_kv.h"

#include <stdlib.h>

/* One event; a READ covers positions pos..pos_hi. */
typedef struct Ev {
	int pass;
	KvEventKind kind;
	int pos, pos_hi;
	KvPlace place;
	bool pinned;
} Ev;

typedef struct EvList {
	Ev *ev;
	size_t n, cap;
} EvList;

struct TraceKvLog {
	int layers;
	EvList *list; /* (MODE_COUNT, layers) */
};

TraceKvLog *trace_kv_new(int layers)
{
	TraceKvLog *log = calloc(1, sizeof *log);
	if (!log)
		return NULL;
	log->layers = layers;
	log->list = calloc((size_t)MODE_COUNT * (size_t)layers,
			   sizeof *log->list);
	if (!log->list) {
		free(log);
		return NULL;
	}
	return log;
}

void trace_kv_free(TraceKvLog *log)
{
	if (!log)
		return;
	for (int i = 0; i < MODE_COUNT * log->layers; i++)
		free(log->list[i].ev);
	free(log->list);
	free(log);
}

static EvList *list_of(const TraceKvLog *log, Mode mode, int layer)
{
	return &log->list[(size_t)mode * (size_t)log->layers +
			  (size_t)(layer - 1)];
}

int trace_kv_record(TraceKvLog *log, Mode mode, int pass, const KvEvent *ev)
{
	if (ev->seq != 1 || ev->layer < 1 || ev->layer > log->layers ||
	    (unsigned)mode >= MODE_COUNT)
		return 0; /* copies name no layer; the trace follows seq 1 */
	EvList *L = list_of(log, mode, ev->layer);
	Ev *last = L->n ? &L->ev[L->n - 1] : NULL;
	if (ev->kind == KV_EV_READ && last && last->kind == KV_EV_READ &&
	    last->pass == pass && last->pos_hi + 1 == ev->pos) {
		last->pos_hi = ev->pos; /* extend the range */
		return 0;
	}
	if (L->n == L->cap) {
		size_t cap = L->cap ? 2 * L->cap : 16;
		Ev *grown = realloc(L->ev, cap * sizeof *grown);
		if (!grown)
			return -1;
		L->ev = grown;
		L->cap = cap;
	}
	L->ev[L->n++] = (Ev){ .pass = pass, .kind = ev->kind, .pos = ev->pos,
			      .pos_hi = ev->pos, .place = ev->place,
			      .pinned = ev->pinned };
	return 0;
}

bool trace_kv_any(const TraceKvLog *log, Mode mode)
{
	for (int l = 1; l <= log->layers; l++)
		if (list_of(log, mode, l)->n)
			return true;
	return false;
}

TraceKv trace_kv_get(const TraceKvLog *log, Mode mode, int pass, int layer,
		     int pos)
{
	TraceKv kv = { .state = TRACE_KV_NONE };
	if ((unsigned)mode >= MODE_COUNT || layer < 1 || layer > log->layers)
		return kv;
	const EvList *L = list_of(log, mode, layer);
	bool read = false;
	for (size_t i = 0; i < L->n && L->ev[i].pass <= pass; i++) {
		const Ev *e = &L->ev[i];
		if (pos < e->pos || pos > e->pos_hi)
			continue;
		switch (e->kind) {
		case KV_EV_WRITE:
			kv = (TraceKv){ TRACE_KV_HELD, e->place, e->pass, 0,
					e->pinned };
			read = false;
			break;
		case KV_EV_READ:
			read = e->pass == pass;
			break;
		case KV_EV_EVICT:
			kv.state = TRACE_KV_EVICTED;
			kv.gone = e->pass;
			break;
		case KV_EV_ROLLBACK:
			kv = (TraceKv){ .state = TRACE_KV_NONE };
			break;
		case KV_EV_COPY:
			break;
		}
	}
	if (kv.state == TRACE_KV_HELD)
		kv.state = kv.written == pass ? TRACE_KV_COMPUTED
			   : read		 ? TRACE_KV_REUSED
						 : TRACE_KV_HELD;
	return kv;
}

size_t trace_kv_bound(int layers, int positions)
{
	size_t events = 4 * (size_t)positions, cap = 16;
	while (cap < events)
		cap *= 2;
	return sizeof(TraceKvLog) +
	       (size_t)MODE_COUNT * (size_t)layers * sizeof(EvList) +
	       2 * (size_t)layers * cap * sizeof(Ev);
}

size_t trace_kv_memory(const TraceKvLog *log)
{
	size_t n = sizeof *log;
	for (int i = 0; i < MODE_COUNT * log->layers; i++)
		n += sizeof log->list[i] + log->list[i].cap * sizeof(Ev);
	return n;
}
