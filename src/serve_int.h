#ifndef KVSTEP_SERVE_INT_H
#define KVSTEP_SERVE_INT_H
/* The inside of a ServeRun, shared by serve.c, serve_sched.c and
 * serve_cells.c only. */
#include "serve.h"

#include "engine.h"

/* Where a cell's records are found: packed (req, layer, head, mat, col,
 * row), then the iteration, sorted, for serve_cell. */
typedef struct ServeCellKey {
	uint64_t key;
	int iter;
	uint32_t idx; /* into cells */
} ServeCellKey;

struct ServeRun {
	const Scenario *s;
	ServeBatching batching;
	bool cells_on;
	int n_req, n_blocks, B;
	int max_table;        /* table entries a request can need */
	int n_iters, cap_iters;
	ServeIter *iters;     /* (cap_iters) */
	ServeEntry *entries;  /* (cap_iters, n_req) */
	ServeBlock *blocks;   /* (cap_iters, n_blocks) */
	int *tables;          /* (cap_iters, n_req, max_table) */
	ServeOutcome *out;    /* (n_req) */
	int **tok;            /* (n_req) owned token arrays of the outcomes */
	int *finish, *first;  /* (n_req) for the summary */
	int padding, preemptions, prefix_hits, tokens;
	bool has_other;
	ServeSummary other;
	int *other_finish, *other_first;
	ServeCell *cells;
	size_t n_cells, cap_cells;
	ServeCellKey *index;  /* (n_cells) sorted */
};

/* One planned chunk of an iteration. */
typedef struct ServeChunk {
	int k;          /* request, 1-based */
	int lo, hi;
	bool decode;
	int adopt_n;    /* prefix blocks adopted before it */
	int *adopt;     /* (max_table) their physical blocks (the request's
			   own array) */
} ServeChunk;

/* A physical block as the prefix cache sees it. */
typedef struct ServeMeta {
	bool hashed;
	uint64_t hash;
	int last_used;
	int logical;    /* its logical number when last held */
} ServeMeta;

/* A request during the run. */
typedef struct ServeReqState {
	int known;        /* tokens known: P + generated */
	int done;         /* positions held in the cache */
	int generated;
	int *tokens;      /* (P + N) */
	unsigned char *ever; /* (P + N) computed by this request before */
	bool finished;
	bool preempted;   /* waiting to be recomputed */
	int preempted_at; /* iteration of its latest preemption */
	int deferred_at;  /* iteration it was left waiting for want of blocks */
	int registered;   /* leading full blocks offered to the prefix cache */
	bool in_batch;    /* static: a member of the running batch */
	int *adopt;       /* (max_table) planning scratch */
} ServeReqState;

/* The simulation while it runs. */
typedef struct ServeSim {
	ServeRun *r;
	const Scenario *s;
	Engine *e;
	ServeReqState *rq;  /* (n_req) */
	ServeMeta *meta;    /* (n_blocks) */
	int *fcfs;          /* (n_req) requests by arrival, then file order */
	ServeChunk *plan;   /* (n_req) */
	int n_plan;
	unsigned char *mark; /* (n_blocks) planning scratch */
	int iter;
	int batch_no;
	int evictions;
	bool cells_full;    /* SERVE_MAX_CELLS reached */
	KvError *err;
} ServeSim;

/* Runs the schedule to its end into sim->r (serve_sched.c). */
int serve_sim_run(ServeSim *sim);

/* The sink that records cells into sim->r (serve_cells.c). */
EngineSink serve_cells_sink(ServeSim *sim);
/* Records the K and V of position pos of request k, adopted from a
 * prefix block, as reused. */
void serve_cells_adopted(ServeSim *sim, int k, int pos);
/* Sorts the index for serve_cell; EX_OSERR when memory runs out. */
int serve_cells_index(ServeRun *r, KvError *err);

/* Records every request's entry and table, and the pool with its
 * counters, for iteration sim->iter (serve_snapshot.c). */
void serve_snapshot_entries(ServeSim *sim);
void serve_snapshot_blocks(ServeSim *sim);

/* Request k's state in iteration i (no range check). */
static inline ServeEntry *serve_entry_mut(ServeRun *r, int i, int k)
{
	return &r->entries[(size_t)(i - 1) * (size_t)r->n_req + (size_t)(k - 1)];
}

#endif
