#ifndef KVSTEP_SERVE_H
#define KVSTEP_SERVE_H
/*
 * Serving: several requests through one paged KV cache, iteration by
 * iteration (docs/serving.md has the lesson; this is the simulation).
 *
 * A Scenario (an INI file, one of data/scenarios/) names a model, a block
 * pool and a list of requests, each with a prompt, a number of tokens to
 * generate and the iteration it arrives at. serve_run schedules them and
 * runs the real engine (engine.h) over a paged cache (kv_cache.h): one
 * engine pass per iteration over the ragged batch of every scheduled
 * request's chunk. It records everything a view or an export shows, so
 * that neither recomputes anything.
 *
 * Numbering: iterations, requests, positions, blocks, slots, layers and
 * heads are all 1-based. Request k is scenario->req[k−1]; in the engine
 * and the cache it is sequence k.
 *
 * Semantics (the contract the tests check):
 *
 *   Tokens. A request with P prompt tokens and N ≥ 1 to generate knows
 *   tokens 1..P at arrival. Processing positions lo..hi computes their
 *   K and V (written to the cache) and the logits at hi; when hi is the
 *   last known position, the argmax of those logits (lowest index on a
 *   tie) is the next token. The request finishes when it has produced N
 *   tokens, that is when it has processed position P+N−1: position P+N
 *   is never fed back. Its blocks are then freed at once.
 *
 *   Continuous batching. Each iteration, in order: arrivals join; every
 *   request in decode state (all known tokens but the last processed,
 *   and at least one generated) gets its one position, first come first
 *   served (by arrival, then by file order), while the budget lasts; the
 *   rest of max_tokens goes to prefill chunks (chunked prefill) of the
 *   other arrived, unfinished requests, first come first served, each
 *   chunk as long as the budget and its pending positions allow.
 *
 *   Static batching. When no batch is running, up to max_batch arrived
 *   requests form one (first come first served); the batch runs, with
 *   the same budget rules inside it, until its last member finishes, and
 *   nobody joins meanwhile. A member that is finished or gets no position
 *   in an iteration of its batch counts one padding slot-iteration.
 *
 *   Paged KV. Position p of a request lives in logical block
 *   ⌈p / block_size⌉ of its block table, slot (p−1) mod block_size + 1.
 *   A block is allocated when its first position is written: the lowest
 *   numbered free block, or, when none is free, the least recently used
 *   cached-free block (evicted from the prefix cache).
 *
 *   Preemption. Before an iteration runs, the scheduler counts the blocks
 *   its chunks need. While that exceeds the free and cached-free blocks:
 *   the latest-arrived planned request that holds no blocks yet is left
 *   waiting this iteration (that is not a preemption); when every
 *   planned request holds blocks, the latest-arrived request holding
 *   any is preempted: its blocks are freed, it forgets its progress (but
 *   keeps its generated tokens) and it is recomputed from position 1 as
 *   a prefill, at the earliest the next iteration. A scenario is refused
 *   when one request alone cannot fit the pool, so this always ends.
 *
 *   Prefix caching (prefix_caching = on). A block is full when all its
 *   block_size positions are written; it is then identified by
 *   hash(hash of the previous block of the same table, its tokens) (FNV-1a,
 *   64 bits; block 1 starts from a fixed seed) and entered in the prefix
 *   cache, unless a block with that identity is already there. When a
 *   request (re)starts its prefill, the longest run of its leading full
 *   blocks found in the cache is adopted: reference count + 1 (a
 *   cached-free block comes back into use), no budget, and its prefill
 *   starts after them. At most ⌊(P'−1)/block_size⌋ blocks are adopted,
 *   P' the known tokens, so its last known position is always computed
 *   (the logits come from it). Adopted cells have status `reused` and are
 *   never recomputed. A block whose count drops to 0 stays cached-free
 *   (its contents kept) until the pool needs it, least recently used
 *   first. With prefix_caching = off no block is ever cached.
 *
 *   Identity. Every value a request produces is bit-identical to that
 *   request run alone in the cache mode (run.h, the same prompt and
 *   generate); the tests compare with memcmp. Batching changes when a
 *   value is computed, never what it is.
 *
 * Nothing here prints or exits; errors come back as KvError (kv_error.h).
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "counters.h"
#include "kv_cache.h"
#include "kv_error.h"
#include "kv_types.h"
#include "model.h"

/* Documented limits of scenario files; the parser refuses anything larger. */
enum {
	SERVE_MAX_REQUESTS = 32,    /* requests in one scenario (owner bitmasks) */
	SERVE_MAX_NAME = 15,        /* bytes in a request's name */
	SERVE_MAX_BLOCK_SIZE = 64,  /* block_size */
	SERVE_MAX_BLOCKS = 256,     /* blocks in the pool */
	SERVE_MAX_BATCH = 32,       /* max_batch */
	SERVE_MAX_ARRIVE = 1000,    /* arrive */
	SERVE_MAX_CELLS = 2000000,  /* values one run records (cfg.cells) */
	SERVE_MAX_RECORDS = 4000000, /* iterations × (blocks + table entries)
					one run records */
	SERVE_MAX_LINE = 198,       /* bytes on one line (as model files) */
	SERVE_MAX_FILE = 1 << 16,   /* bytes in one scenario file */
};

/* ------------------------------------------------------------------ */
/* Scenario files                                                       */

typedef enum ServeBatching {
	SERVE_CONTINUOUS, /* iteration level: join and leave every iteration */
	SERVE_STATIC,     /* request level: a batch runs to its last member */
} ServeBatching;

/* One [request NAME] section. */
typedef struct ServeRequest {
	char name[SERVE_MAX_NAME + 1]; /* NAME, unique in the scenario */
	char *prompt_text;             /* `prompt` as written, owned */
	int *prompt;                   /* (prompt_n) token ids, owned */
	int prompt_n;                  /* P ≥ 1 */
	int generate;                  /* N ≥ 1 */
	int arrive;                    /* iteration it arrives at, ≥ 1 */
	int line;                      /* line of its section header */
} ServeRequest;

/*
 * A parsed scenario. Owns its model and requests; immutable once parsed.
 * Requests are in file order.
 */
typedef struct Scenario {
	char *source;           /* file name (or bundled name), for messages */
	char *name;             /* bundled name or the file's base name, no .ini */
	char *model_name;       /* `model` as written ("default", "gqa.ini", a path) */
	Model *model;           /* the loaded model, owned */
	int block_size;         /* positions per KV block, ≥ 1 */
	int blocks;             /* physical blocks in the pool, ≥ 1 */
	int max_tokens;         /* token budget of one iteration, ≥ 1 */
	ServeBatching batching; /* the file's batching */
	int max_batch;          /* static batching: requests per batch, ≥ 1 */
	bool prefix_caching;
	int n_requests;         /* 1..SERVE_MAX_REQUESTS */
	ServeRequest *req;      /* (n_requests) */
} Scenario;

/*
 * Parses scenario text. `source` names the file in messages
 * ("tight.ini:7: ..."); a relative `model` path is read relative to the
 * directory of `source`; a bundled model name ("default", "gqa.ini") is
 * always the bundled model. `text` need not be NUL-terminated.
 *
 * Keys of [serve]: model (default "default"), block_size, blocks,
 * max_tokens, batching (continuous | static, default continuous),
 * max_batch (default 4), prefix_caching (on | off, default on);
 * block_size, blocks and max_tokens are required. Keys of
 * [request NAME]: prompt (words of the model's vocabulary), generate,
 * arrive (default 1); prompt and generate are required.
 *
 * Returns the scenario, or NULL with `err` set, the message starting
 * with "source:line: ": EX_DATAERR for an unknown section or key, a value
 * that is not a whole number in range (zero sizes included), an unknown
 * word for batching or prefix_caching or in a prompt, a duplicate key,
 * section or request name, a missing required key, a line longer than
 * SERVE_MAX_LINE, no request at all, a request that can never fit the
 * pool (⌈(P+N−1)/block_size⌉ > blocks) or is longer than the model
 * allows, a model with sliding-window layers (serving pages global
 * layers only); the model's own errors as model_load reports them
 * (EX_NOINPUT when the model file is missing, prefixed with the
 * scenario's file:line of `model`); EX_OSERR when memory runs out.
 */
Scenario *scenario_parse(const char *source, const char *text, size_t len,
			 KvError *err);

/* Reads and parses the file at `path`: EX_NOINPUT when it cannot be
 * opened or read or is not a regular file, else as scenario_parse. */
Scenario *scenario_load_file(const char *path, KvError *err);

/* A scenario compiled into the binary from data/scenarios/: "default" or
 * "tight" (".ini" optional). EX_NOINPUT naming the bundled ones otherwise. */
Scenario *scenario_load_named(const char *name, KvError *err);

/* The bundled names, for messages and help: "default, tight". */
const char *scenario_bundled_names(void);

/* What `kvstep serve [SCENARIO]` means: NULL is the bundled default; a
 * bundled name is bundled; anything else is a file (as model_load). */
Scenario *scenario_load(const char *name_or_path, KvError *err);

/* Frees a scenario; NULL is allowed. */
void scenario_free(Scenario *s);

/* "continuous" or "static"; serve_batching_parse returns -1 for others. */
const char *serve_batching_name(ServeBatching b);
int serve_batching_parse(const char *s);

/* ------------------------------------------------------------------ */
/* A run                                                                */

typedef struct ServeRun ServeRun;

typedef struct ServeConfig {
	bool override_batching; /* use `batching` instead of the file's */
	ServeBatching batching;
	bool cells;             /* record every value (views, --export cells) */
	bool compare;           /* also run the other batching policy for
				   serve_compare (schedule only, no cells) */
} ServeConfig;

/*
 * Runs `s` (borrowed; it must outlive the run). Returns NULL with `err`
 * set: EX_OSERR when memory runs out; EX_DATAERR when a value overflows
 * to infinity or NaN, or the recorded cells would pass the documented
 * limit (the message gives the count); EX_SOFTWARE for a bug (the engine
 * refusing a chunk the scheduler planned, a recomputed token that
 * differs, a schedule that does not end).
 */
ServeRun *serve_run(const Scenario *s, const ServeConfig *cfg, KvError *err);
void serve_free(ServeRun *r);

const Scenario *serve_scenario(const ServeRun *r);
ServeBatching serve_batching(const ServeRun *r);
/* Whether cells were recorded (cfg.cells). */
bool serve_has_cells(const ServeRun *r);

/* Iterations 1..serve_iters(r); the last is the one the last request
 * finished in. Iterations before the first arrival are idle. */
int serve_iters(const ServeRun *r);

/* What a request does in one iteration. */
typedef enum ServePhase {
	SERVE_PENDING,   /* not arrived yet */
	SERVE_WAITING,   /* arrived, not finished, given no position */
	SERVE_PREFILL,   /* processed a chunk of known tokens (the prompt,
			    or recomputation after a preemption) */
	SERVE_DECODE,    /* processed its one newest position */
	SERVE_PREEMPTED, /* preempted this iteration or earlier and not yet
			    given a position again */
	SERVE_FINISHED,  /* produced its last token in an earlier iteration */
	SERVE_PHASE_COUNT
} ServePhase;

/* "pending", "waiting", "prefill", "decode", "preempted", "finished". */
const char *serve_phase_name(ServePhase p);

/*
 * Request k in iteration i, as it stands at the end of the iteration's
 * pass. A request that finished in iteration i still holds its blocks
 * there (table, held, and the pool of serve_block); they go back to the
 * pool (cached-free when in the prefix cache) before iteration i+1 is
 * planned. A request preempted in iteration i holds nothing in it.
 */
typedef struct ServeEntry {
	ServePhase phase;
	int lo, hi;         /* positions processed; 0, 0 when none */
	int budget;         /* budget used: hi−lo+1, or 0 */
	int token;          /* the new token id chosen at hi, or −1 when this
			       iteration produced none (a recomputation chunk
			       that ends before the last known token) */
	int reused;         /* positions adopted from the prefix cache this
			       iteration (hit blocks × block_size) */
	bool preempted;     /* preempted in this iteration */
	bool finished;      /* produced its last token in this iteration */
	bool no_block;      /* waiting: it was planned a chunk but left
			       waiting because the pool had too few free
			       blocks (else a waiting request found the
			       budget used) */
	bool in_batch;      /* static: a member of the batch running in
			       this iteration (finished members included);
			       continuous: false */
	int held;           /* positions whose K and V it holds after the
			       iteration (its cache length) */
	int known;          /* tokens known after it: P + generated */
	int table_n;        /* entries of its block table */
	const int *table;   /* (table_n) physical block of logical block
			       1..table_n (table[0] is logical 1); owned by
			       the run; NULL when table_n is 0 */
} ServeEntry;

/* State of a physical block after an iteration. */
typedef enum ServeBlockState {
	SERVE_BLOCK_FREE,   /* no holder, nothing cached */
	SERVE_BLOCK_USED,   /* held by refcount ≥ 1 requests */
	SERVE_BLOCK_CACHED, /* no holder, kept for the prefix cache */
} ServeBlockState;

/* "free", "used", "cached". */
const char *serve_block_state_name(ServeBlockState s);

typedef struct ServeBlock {
	ServeBlockState state;
	int refcount;     /* holders (0 unless used) */
	uint32_t owners;  /* bit k−1 set: request k holds it in its table */
	int logical;      /* its logical block number in its holders' tables
			     (the same for all), or its last one when cached;
			     0 when free */
	int filled;       /* slots written, 0..block_size (cached: full) */
	bool hashed;      /* in the prefix cache (full and registered) */
	uint64_t hash;    /* its prefix hash when hashed, else 0 */
	int last_used;    /* last iteration it was held (LRU order of cached
			     blocks); 0 never */
} ServeBlock;

/* One iteration's totals. Counters named "so far" are cumulative. */
typedef struct ServeIter {
	int iteration;     /* i */
	int tokens;        /* positions processed in this iteration
			      (≤ max_tokens) */
	int chunks;        /* requests given positions */
	int blocks_used;   /* blocks with refcount ≥ 1 after the iteration */
	int blocks_cached; /* cached-free blocks after it */
	int blocks_free;   /* free blocks after it */
	int empty_slots;   /* slots of used blocks not written: internal
			      fragmentation */
	int prefix_hits;   /* blocks adopted from the prefix cache so far */
	int preemptions;   /* preemptions so far */
	int evictions;     /* cached-free blocks given to a new use so far */
	int batch;         /* static: the running batch's number (1, 2, ...),
			      0 when none; continuous: 0 */
	int padding;       /* static: padding slot-iterations in this
			      iteration; continuous: 0 */
	Counters pass;     /* the engine pass's counters (counters.h) */
} ServeIter;

/* Iteration i (1..serve_iters); NULL out of range. */
const ServeIter *serve_iter(const ServeRun *r, int i);

/* Request k (1..n_requests) in iteration i; NULL out of range. */
const ServeEntry *serve_entry(const ServeRun *r, int i, int k);

/* Physical block b (1..blocks) at the end of iteration i (as the
 * entries: a request that finished in i still holds its blocks); NULL out
 * of range. */
const ServeBlock *serve_block(const ServeRun *r, int i, int b);

/*
 * Where position `pos` of request k is held after iteration i: block
 * table[(pos−1)/B] and slot (pos−1) mod B + 1. False when the request
 * does not hold pos then (not yet processed, preempted, finished).
 */
bool serve_kv_place(const ServeRun *r, int i, int k, int pos, KvPlace *out);

/* What happened to request k over the whole run. */
typedef struct ServeOutcome {
	int arrive;       /* its arrival iteration */
	int first_token;  /* iteration of its first generated token (time to
			     first token: first_token − arrive + 1) */
	int finish;       /* iteration it produced its last token */
	int preemptions;  /* times it was preempted */
	int reused;       /* positions adopted from the prefix cache, in all */
	int computed;     /* positions processed, recomputation included */
	int n_tokens;     /* P + N */
	const int *tokens; /* (n_tokens) its token ids: prompt, then generated;
			      owned by the run */
} ServeOutcome;

/* Request k's outcome; NULL out of range. */
const ServeOutcome *serve_outcome(const ServeRun *r, int k);

/* A whole run under one batching policy, for the comparison. */
typedef struct ServeSummary {
	ServeBatching batching;
	int iterations;     /* serve_iters */
	int padding;        /* static: padding slot-iterations in all; 0 */
	int preemptions;
	int prefix_hits;    /* blocks */
	int tokens;         /* positions processed in all */
	int n_requests;
	const int *finish;      /* (n_requests) finish iteration of each */
	const int *first_token; /* (n_requests) first-token iteration */
} ServeSummary;

/* This run's summary. Pointers are owned by the run. */
ServeSummary serve_summary(const ServeRun *r);

/*
 * The same scenario under the other batching policy (cfg.compare);
 * returns false, `out` untouched, when the run was made without it.
 */
bool serve_compare(const ServeRun *r, ServeSummary *out);

/* ------------------------------------------------------------------ */
/* Cells (cfg.cells)                                                    */

/*
 * One recorded value of request `req`, in worksheet orientation (as the
 * cell trace, trace.h): `col` is the request's own position (for S and
 * A the query; `row` the key), logits have layer = head = 1 and col = the
 * position they were computed at. Q, S, A, Z have n_heads heads; K and V
 * n_kv_heads; X, H and logits one.
 *
 * status: CELL_COMPUTED the first time the request computed the cell,
 * CELL_RECOMPUTED when it computed it again after a preemption (the
 * same bits), CELL_REUSED for the K and V of positions adopted from a
 * shared prefix block (recorded in the iteration they were adopted, with
 * the value the block holds, which another request computed).
 * For K and V, block and slot give the place written or adopted;
 * 0 for the other matrices.
 */
typedef struct ServeCell {
	int iter;
	int req;
	int layer, head;
	Matrix mat;
	int row, col;
	double value;
	CellStatus status;
	int block, slot;
} ServeCell;

/*
 * Every recorded value in production order: by iteration, then in the
 * order of the iteration's chunks, then as the engine emits them (for
 * each position, layer by layer), adopted K/V first. 0 without cells.
 */
size_t serve_cells(const ServeRun *r, const ServeCell **cells);

/*
 * The latest record of one cell of request k made in iteration ≤ i
 * (the value a view shows at iteration i). Returns false, `out`
 * untouched, when there is none (not yet produced, masked, out of range,
 * or no cells recorded). After a preemption a K/V cell's record remains
 * although the cache no longer holds it: check serve_kv_place.
 */
bool serve_cell(const ServeRun *r, int k, int i, int layer, int head,
		Matrix mat, int row, int col, ServeCell *out);

#endif
