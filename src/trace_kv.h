#ifndef KVSTEP_TRACE_KV_H
#define KVSTEP_TRACE_KV_H
/*
 * The cache events of a run, per mode and layer: what each pass wrote and
 * where (block, slot), what it read, what it evicted or gave back. The
 * trace owns one TraceKvLog; views ask the trace (trace.h), which asks the
 * log. Reads arrive as one event per column and pass and are kept as
 * ranges, so a run of T steps keeps O(T·layers) events per mode.
 */
#include <stdbool.h>
#include <stddef.h>

#include "kv_cache.h"
#include "kv_types.h"

typedef struct TraceKvLog TraceKvLog;

/* What a mode's cache did with one column by the end of a pass. */
typedef enum TraceKvState {
	TRACE_KV_NONE,     /* never written, or given back (rollback) */
	TRACE_KV_COMPUTED, /* written by this pass */
	TRACE_KV_REUSED,   /* written by an earlier pass, read by this one */
	TRACE_KV_HELD,     /* written earlier, held, not read by this pass */
	TRACE_KV_EVICTED,  /* was held, evicted by this pass or before */
} TraceKvState;

typedef struct TraceKv {
	TraceKvState state;
	KvPlace place;   /* where it is (held) or was (evicted); 0 if none */
	int written;     /* the pass that last wrote it, 0 if none */
	int gone;        /* the pass that evicted it, 0 if held or none */
	bool pinned;     /* a pinned position (sink_tokens): never evicted */
} TraceKv;

/* An empty log for `layers` layers; NULL when memory runs out. */
TraceKvLog *trace_kv_new(int layers);
void trace_kv_free(TraceKvLog *log);

/* Records `ev` (sequence 1 only) as done by `mode`'s pass `pass`.
 * Returns -1 when memory runs out. */
int trace_kv_record(TraceKvLog *log, Mode mode, int pass, const KvEvent *ev);

/* True once `mode` recorded any event. */
bool trace_kv_any(const TraceKvLog *log, Mode mode);

/* Column `pos` of `layer` in `mode` as of the end of pass `pass`. */
TraceKv trace_kv_get(const TraceKvLog *log, Mode mode, int pass, int layer,
		     int pos);

/* Bytes the log holds. */
size_t trace_kv_memory(const TraceKvLog *log);

/*
 * At most the bytes the log of a teaching run holds: `layers` layers over
 * `positions` positions. Only the two caching modes log events; each pass
 * writes one column per layer, reads one range (two when a ring wraps) and
 * evicts at most one, so a list never passes 4·positions events, and
 * doubling keeps its capacity under twice that (at least 16).
 */
size_t trace_kv_bound(int layers, int positions);

#endif
