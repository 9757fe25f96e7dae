#ifndef KVSTEP_TRACE_PLANE_H
#define KVSTEP_TRACE_PLANE_H
/*
 * One producer's values in the trace (internal to trace.c): for every
 * matrix, `cells[mat]` doubles laid out (layers, heads, T, rows) and a flag
 * per cell that says it has a value. The trace allocates a plane the first
 * time a producer writes (or is reserved), so a teaching run holds one.
 */
#include <stddef.h>

#include "kv_types.h"

typedef struct TracePlane {
	double *val[MAT_COUNT];        /* (layers, heads, T, rows) */
	unsigned char *set[MAT_COUNT]; /* same shape: 1 once the cell is set */
} TracePlane;

/* A plane of cells[mat] cells per matrix, all unset; NULL when memory runs
 * out. `*bytes` receives what it holds. */
TracePlane *trace_plane_new(const size_t cells[MAT_COUNT], size_t *bytes);
void trace_plane_free(TracePlane *p);

#endif
