#include "trace.h"

#include "trace_kv.h"
#include "trace_plane.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* What a producer's sink points at: the trace and who writes. */
typedef struct TraceSinkCtx {
	struct Trace *t;
	Producer producer;
} TraceSinkCtx;

struct Trace {
	const Model *m;
	int P, T;
	int *tokens;                   /* (T) token id at positions 1..T */
	int rows[MAT_COUNT];           /* rows per column of each matrix */
	int heads[MAT_COUNT];          /* heads per layer of each matrix */
	int layers[MAT_COUNT];         /* layers of each matrix (logits: 1) */
	TracePlane *plane[PRODUCER_COUNT]; /* values per producer; NULL until
					      it writes or is reserved */
	TraceSinkCtx sink[PRODUCER_COUNT]; /* the ctx of each producer's sink */
	TraceStep *steps;              /* (T, MODE_COUNT) */
	size_t bytes;                  /* memory held, for trace_memory */
	uint64_t mismatches;
	TraceOverflow overflow;        /* the first value that was not finite */
	TraceKvLog *kv;                /* cache events of every mode */
	int *first_key;                /* (n_layers, T) first key of each query */
	int elem_bytes;                /* bytes per cached cell */
	Mode cur_mode;                 /* the mode whose pass is in flight */
	bool cur_keeps;                /* it keeps a cache: record its events */
	int cur_pass[MODE_COUNT];      /* passes begun per mode */
	int kv_oom;                    /* an event could not be stored */
	TraceTiles *tiles;             /* the tiled kernel's states */
	int values_lost;               /* memory ran out for a plane */
	uint64_t misfits;              /* columns outside the shapes */
	TraceQuantLog *quant;          /* a quantised cache's codes, or NULL */
	RopeShift *shift;              /* --shift: the context shift, or NULL */
};

/* Shapes of the stored matrices; H exists only in stacked models. */
static void set_shapes(Trace *t)
{
	const Model *m = t->m;
	const int rows[MAT_COUNT] = {
		[MAT_X] = m->d_model, [MAT_Q] = m->d_k, [MAT_K] = m->d_k,
		[MAT_V] = m->d_v, [MAT_S] = t->T, [MAT_A] = t->T,
		[MAT_Z] = m->d_v, [MAT_LOGITS] = m->vocab_n,
		[MAT_H] = m->stacked ? m->d_model : 0,
		[MAT_KQ] = 0, [MAT_VQ] = 0, /* trace_set_quant */
		/* q and k before the rotation: RoPE models only (rope.h) */
		[MAT_QR] = m->rope > 0 ? m->d_k : 0,
		[MAT_KR] = m->rope > 0 ? m->d_k : 0,
	};
	memcpy(t->rows, rows, sizeof rows);
	for (int k = 0; k < MAT_COUNT; k++) {
		t->heads[k] = 1;
		t->layers[k] = k == MAT_LOGITS ? 1 : m->n_layers;
	}
	t->heads[MAT_Q] = t->heads[MAT_S] = t->heads[MAT_A] = t->heads[MAT_Z] =
		m->n_heads;
	t->heads[MAT_K] = t->heads[MAT_V] = m->n_kv_heads;
	t->heads[MAT_KQ] = t->heads[MAT_VQ] = m->n_kv_heads;
	t->heads[MAT_KR] = m->n_kv_heads;
	t->heads[MAT_QR] = m->n_heads;
}

Trace *trace_new(const Model *m, int prompt_n, int generate, KvError *err)
{
	Trace *t = calloc(1, sizeof *t);
	int T = prompt_n + generate;
	if (!t)
		goto oom;
	t->m = m;
	t->P = prompt_n;
	t->T = T;
	set_shapes(t);
	t->tokens = calloc((size_t)T, sizeof *t->tokens);
	t->steps = calloc((size_t)T * MODE_COUNT, sizeof *t->steps);
	t->kv = trace_kv_new(m->n_layers);
	t->first_key = calloc((size_t)m->n_layers * (size_t)T,
			      sizeof *t->first_key);
	t->elem_bytes = 4;
	t->tiles = trace_tiles_new(m->n_layers, m->n_heads, T, m->d_v);
	if (!t->tokens || !t->steps || !t->kv || !t->first_key || !t->tiles)
		goto oom;
	t->bytes = sizeof *t + (size_t)T * (sizeof *t->tokens +
					    MODE_COUNT * sizeof *t->steps);
	for (int p = 0; p < PRODUCER_COUNT; p++)
		t->sink[p] = (TraceSinkCtx){ .t = t, .producer = (Producer)p };
	return t;
oom:
	trace_free(t);
	kv_error_set(err, EX_OSERR, "out of memory for a %d-position trace", T);
	return NULL;
}

void trace_free(Trace *t)
{
	if (!t)
		return;
	for (int p = 0; p < PRODUCER_COUNT; p++)
		trace_plane_free(t->plane[p]);
	free(t->tokens);
	free(t->steps);
	free(t->first_key);
	trace_kv_free(t->kv);
	trace_tiles_free(t->tiles);
	trace_quant_free(t->quant);
	rope_shift_free(t->shift);
	free(t);
}

/* Offset of cell (row, col) of `mat` in layer, head (all 1-based). */
static size_t cell_at(const Trace *t, Matrix mat, int layer, int head,
		      int row, int col)
{
	size_t lh = (size_t)(layer - 1) * (size_t)t->heads[mat] +
		    (size_t)(head - 1);
	return (lh * (size_t)t->T + (size_t)(col - 1)) * (size_t)t->rows[mat] +
	       (size_t)(row - 1);
}

/* The plane of `producer`, allocated on first use; NULL when memory runs
 * out. Its cells are laid out as cell_at says. */
static TracePlane *plane_get(Trace *t, Producer producer)
{
	if (t->plane[producer])
		return t->plane[producer];
	size_t cells[MAT_COUNT], bytes = 0;
	for (int k = 0; k < MAT_COUNT; k++)
		cells[k] = (size_t)t->layers[k] * (size_t)t->heads[k] *
			   (size_t)t->T * (size_t)t->rows[k];
	t->plane[producer] = trace_plane_new(cells, &bytes);
	if (t->plane[producer])
		t->bytes += bytes;
	return t->plane[producer];
}

int trace_reserve(Trace *t, Producer producer, KvError *err)
{
	if ((unsigned)producer >= PRODUCER_COUNT)
		return kv_error_set(err, EX_USAGE, "no producer %d",
				    (int)producer);
	if (!plane_get(t, producer))
		return kv_error_set(err, EX_OSERR,
				    "out of memory for the values of %s",
				    producer_name(producer));
	return 0;
}

bool trace_has_producer(const Trace *t, Producer producer)
{
	return (unsigned)producer < PRODUCER_COUNT && t->plane[producer];
}

bool trace_values_lost(const Trace *t)
{
	return t->values_lost != 0;
}

uint64_t trace_misfits(const Trace *t)
{
	return t->misfits;
}

/* True when rows first_row..first_row+n-1 of column `col` fit the shape. */
static bool column_fits(const Trace *t, Matrix mat, int layer, int head,
			int col, int first_row, int n)
{
	return (unsigned)mat < MAT_COUNT && layer >= 1 &&
	       layer <= t->layers[mat] && head >= 1 &&
	       head <= t->heads[mat] && col >= 1 && col <= t->T &&
	       first_row >= 1 && n >= 0 && n <= t->rows[mat] - first_row + 1;
}

/* Notes the first value that is not finite. */
static void check_finite(Trace *t, Matrix mat, int layer, int head, int col,
			 int first_row, const double *v, int n)
{
	for (int r = 0; r < n && !t->overflow.found; r++)
		if (!isfinite(v[r]))
			t->overflow = (TraceOverflow){ .found = true,
						       .layer = layer,
						       .head = head, .mat = mat,
						       .row = first_row + r,
						       .col = col };
}

/*
 * Notes that query col of layer saw keys lo..hi (one run of them). The
 * first key is where the window run starts: the lowest lo of a run
 * reaching above the pinned positions 1..N (N + 1 when the runs meet).
 */
static void note_first_key(Trace *t, int layer, int col, int lo, int hi)
{
	int n = model_sink_tokens(t->m, layer - 1);
	if (hi <= n)
		return; /* the pinned run */
	int k = lo > n + 1 ? lo : n + 1; /* n = 0: lo */
	int *at = &t->first_key[(size_t)(layer - 1) * (size_t)t->T +
				(size_t)(col - 1)];
	if (*at == 0 || k < *at || n == 0)
		*at = k;
}

/* Stores a column in its producer's plane, or checks it bit for bit
 * against what the same producer stored before. */
static void record_column(void *ctx, int seq, Matrix mat, int layer, int head,
			  int col, int first_row, const double *v, int n)
{
	const TraceSinkCtx *sc = ctx;
	Trace *t = sc->t;
	if (seq != 1)
		return; /* the trace follows one sequence */
	if (!column_fits(t, mat, layer, head, col, first_row, n)) {
		t->misfits++;
		return;
	}
	check_finite(t, mat, layer, head, col, first_row, v, n);
	/* the window is the trace model's rule: its producers report it */
	if (mat == MAT_S && head == 1 && n > 0 &&
	    producer_model(sc->producer) == PRODUCER_MODEL_TARGET)
		note_first_key(t, layer, col, first_row, first_row + n - 1);
	TracePlane *pl = plane_get(t, sc->producer);
	if (!pl) {
		t->values_lost = 1;
		return;
	}
	size_t at = cell_at(t, mat, layer, head, first_row, col);
	double *dst = pl->val[mat] + at;
	unsigned char *set = pl->set[mat] + at;
	for (int r = 0; r < n; r++) {
		if (!set[r]) {
			dst[r] = v[r];
			set[r] = 1;
		} else if (memcmp(&dst[r], &v[r], sizeof v[r]) != 0) {
			t->mismatches++;
		}
	}
}

/* Stores the min, scale and code of a column a quantised cache replaced. */
static void record_quant(void *ctx, int seq, Matrix mat, int layer, int head,
			 int col, const KvQuantCell *cells, int n)
{
	const TraceSinkCtx *sc = ctx;
	if (seq == 1 && sc->t->quant &&
	    producer_model(sc->producer) == PRODUCER_MODEL_TARGET)
		trace_quant_record(sc->t->quant, mat, layer, head, col, cells,
				   n);
}

/* Stores a cache event of the pass in flight, when its mode keeps a cache. */
static void record_event(void *ctx, const KvEvent *ev)
{
	Trace *t = ((const TraceSinkCtx *)ctx)->t;
	if (t->cur_keeps &&
	    trace_kv_record(t->kv, t->cur_mode, t->cur_pass[t->cur_mode], ev))
		t->kv_oom = 1;
}

/* Stores a tile state (trace_tiles.h); its first tile gives the first key. */
static void record_tile(void *ctx, int seq, int layer, int head, int query,
			const TileState *ts, int d_v)
{
	Trace *t = ctx;
	(void)d_v;
	if (seq != 1)
		return;
	if (head == 1 && ts->kind == TILE_STEP &&
	    (ts->seqno == 1 || model_sink_tokens(t->m, layer - 1) > 0))
		note_first_key(t, layer, query, ts->key_lo, ts->key_hi);
	if (trace_tiles_record(t->tiles, layer, head, query, ts))
		t->kv_oom = 1;
}

EngineSink trace_sink_for(Trace *t, Producer producer)
{
	if ((unsigned)producer >= PRODUCER_COUNT)
		return (EngineSink){ 0 }; /* records nothing */
	return (EngineSink){ .column = record_column, .cache = record_event,
			     .ctx = &t->sink[producer], .tile = record_tile,
			     .tile_ctx = t, .quant = record_quant };
}

EngineSink trace_sink(Trace *t)
{
	return trace_sink_for(t, PRODUCER_TARGET_STANDARD);
}

const TraceTiles *trace_tiles(const Trace *t)
{
	return t->tiles;
}

TraceTiles *trace_tiles_mut(Trace *t)
{
	return t->tiles;
}

void trace_set_shift(Trace *t, RopeShift *rs)
{
	rope_shift_free(t->shift);
	t->shift = rs;
}

const RopeShift *trace_shift(const Trace *t)
{
	return t->shift;
}

void trace_begin_pass(Trace *t, Mode mode, bool keeps_cache)
{
	t->cur_mode = mode;
	t->cur_keeps = keeps_cache;
	t->cur_pass[mode]++;
}

bool trace_events_lost(const Trace *t)
{
	return t->kv_oom != 0;
}

void trace_set_elem_bytes(Trace *t, int bytes)
{
	t->elem_bytes = bytes;
}

int trace_elem_bytes(const Trace *t)
{
	return t->elem_bytes;
}

bool trace_kv_at(const Trace *t, int step, Mode mode, int layer, int pos,
		 TraceKv *out)
{
	if (step < 1 || step > t->T || (unsigned)mode >= MODE_COUNT ||
	    layer < 1 || layer > t->m->n_layers)
		return false;
	const TraceStep *s = trace_step(t, step, mode);
	if (!s->keeps_cache)
		return false;
	*out = trace_kv_get(t->kv, mode, s->pass, layer, pos);
	return true;
}

int trace_kv_holder(const Trace *t, int step, Mode mode, int layer,
		    KvPlace place)
{
	TraceKv kv;
	for (int pos = 1; pos <= t->T; pos++)
		if (trace_kv_at(t, step, mode, layer, pos, &kv) &&
		    kv.state != TRACE_KV_EVICTED && kv.state != TRACE_KV_NONE &&
		    kv.place.block == place.block && kv.place.slot == place.slot)
			return pos;
	return 0;
}

int trace_first_key(const Trace *t, int layer, int col)
{
	if (layer < 1 || layer > t->m->n_layers || col < 1 || col > t->T)
		return 1;
	int k = t->first_key[(size_t)(layer - 1) * (size_t)t->T +
			     (size_t)(col - 1)];
	return k > 0 ? k : 1;
}

int trace_pinned(const Trace *t, int layer)
{
	if (layer < 1 || layer > t->m->n_layers)
		return 0;
	return model_sink_tokens(t->m, layer - 1);
}

bool trace_key_visible(const Trace *t, int layer, int row, int col)
{
	return row >= 1 && row <= col &&
	       (row >= trace_first_key(t, layer, col) ||
		row <= trace_pinned(t, layer));
}

void trace_set_token(Trace *t, int pos, int id)
{
	t->tokens[pos - 1] = id;
}

void trace_set_step(Trace *t, int step, Mode mode, const TraceStep *s)
{
	t->steps[(size_t)(step - 1) * MODE_COUNT + mode] = *s;
}

const TraceOverflow *trace_overflow(const Trace *t)
{
	return &t->overflow;
}

uint64_t trace_mismatches(const Trace *t)
{
	return t->mismatches;
}

const Model *trace_model(const Trace *t)
{
	return t->m;
}

int trace_steps(const Trace *t)
{
	return t->T;
}

int trace_prompt_len(const Trace *t)
{
	return t->P;
}

int trace_token(const Trace *t, int pos)
{
	return t->tokens[pos - 1];
}

const TraceStep *trace_step(const Trace *t, int step, Mode mode)
{
	return &t->steps[(size_t)(step - 1) * MODE_COUNT + mode];
}

int trace_layers(const Trace *t)
{
	return t->m->n_layers;
}

int trace_heads(const Trace *t, Matrix mat)
{
	return (unsigned)mat < MAT_COUNT ? t->heads[mat] : 0;
}

int trace_window(const Trace *t, int layer)
{
	return t->m->window[layer - 1];
}

int trace_matrix_rows(const Trace *t, Matrix mat)
{
	return t->rows[mat];
}

size_t trace_memory(const Trace *t)
{
	return t->bytes + trace_kv_memory(t->kv) +
	       trace_tiles_memory(t->tiles) + trace_quant_memory(t->quant);
}

/* The kernel the teaching modes ran. */
static ProducerKernel run_kernel(const Trace *t)
{
	return trace_tiles_kernel(t->tiles)->tiled ? PRODUCER_KERNEL_TILED
						   : PRODUCER_KERNEL_STANDARD;
}

bool trace_span_at(const Trace *t, int step, Mode mode, int layer, Matrix mat,
		   TraceSpan *span)
{
	return trace_span_kernel(t, run_kernel(t), step, mode, layer, mat, span);
}

bool trace_span_kernel(const Trace *t, ProducerKernel kernel, int step,
		       Mode mode, int layer, Matrix mat, TraceSpan *span)
{
	if ((unsigned)mat >= MAT_COUNT || layer < 1 || layer > t->layers[mat])
		return false;
	if ((mat == MAT_S || mat == MAT_A) && kernel == PRODUCER_KERNEL_TILED)
		return false; /* the tiled kernel never holds them */
	const TraceStep *s = trace_step(t, step, mode);
	const PassInfo *p = &s->info;
	*span = (TraceSpan){ .rows = t->rows[mat], .col_lo = p->proj_lo,
			     .col_hi = p->hi };
	switch (mat) {
	case MAT_X:
	case MAT_Q:
	case MAT_Z:
	case MAT_H:
	case MAT_QR:
	case MAT_KR: /* the cache holds K turned: raw k is never reused */
		break;
	case MAT_K:
	case MAT_V:
		/* the cache: every column so far, reused or evicted */
		if (s->keeps_cache)
			span->col_lo = 1;
		break;
	case MAT_KQ:
	case MAT_VQ:
		/* what a quantised cache returns: only a cache holds it */
		if (!s->keeps_cache)
			return false;
		span->col_lo = 1;
		break;
	case MAT_S:
	case MAT_A:
		span->rows = p->hi;
		break;
	case MAT_LOGITS:
		span->col_lo = p->hi;
		break;
	case MAT_COUNT:
		return false;
	}
	return span->col_lo <= span->col_hi && span->rows > 0;
}

CellStatus trace_status_at(const Trace *t, int step, Mode mode, int layer,
			   Matrix mat, int row, int col)
{
	return trace_status_kernel(t, run_kernel(t), step, mode, layer, mat,
				   row, col);
}

CellStatus trace_status_kernel(const Trace *t, ProducerKernel kernel,
			       int step, Mode mode, int layer, Matrix mat,
			       int row, int col)
{
	TraceSpan sp;
	if (!trace_span_kernel(t, kernel, step, mode, layer, mat, &sp) ||
	    row < 1 ||
	    row > sp.rows || col < sp.col_lo || col > sp.col_hi)
		return CELL_ABSENT;
	const TraceStep *s = trace_step(t, step, mode);
	const PassInfo *p = &s->info;
	if ((mat == MAT_S || mat == MAT_A) &&
	    !trace_key_visible(t, layer, row, col))
		return CELL_MASKED;
	TraceKv kv;
	if ((mat == MAT_K || mat == MAT_V || mat == MAT_KQ || mat == MAT_VQ) &&
	    trace_kv_at(t, step, mode, layer, col, &kv)) {
		if (kv.state == TRACE_KV_EVICTED)
			return CELL_EVICTED;
		if (kv.state == TRACE_KV_REUSED || kv.state == TRACE_KV_HELD)
			return CELL_REUSED;
	}
	return col >= p->first_new ? CELL_COMPUTED : CELL_RECOMPUTED;
}

bool trace_value_of(const Trace *t, Producer producer, int layer, int head,
		    Matrix mat, int row, int col, double *out)
{
	if ((unsigned)producer >= PRODUCER_COUNT || !t->plane[producer] ||
	    !column_fits(t, mat, layer, head, col, row, 1))
		return false;
	const TracePlane *pl = t->plane[producer];
	size_t at = cell_at(t, mat, layer, head, row, col);
	if (!pl->set[mat][at])
		return false;
	*out = pl->val[mat][at];
	return true;
}

bool trace_value_at(const Trace *t, int layer, int head, Matrix mat, int row,
		    int col, double *out)
{
	/* the teaching modes' producer: the run's kernel */
	return trace_value_kernel(t, run_kernel(t), layer, head, mat, row, col,
				  out);
}

bool trace_value_kernel(const Trace *t, ProducerKernel kernel, int layer,
			int head, Matrix mat, int row, int col, double *out)
{
	return trace_value_of(t, producer_make(PRODUCER_MODEL_TARGET, kernel),
			      layer, head, mat, row, col, out);
}

bool trace_span(const Trace *t, int step, Mode mode, Matrix mat,
		TraceSpan *span)
{
	return trace_span_at(t, step, mode, 1, mat, span);
}

CellStatus trace_status(const Trace *t, int step, Mode mode, Matrix mat,
			int row, int col)
{
	return trace_status_at(t, step, mode, 1, mat, row, col);
}

bool trace_value(const Trace *t, Matrix mat, int row, int col, double *out)
{
	return trace_value_at(t, 1, 1, mat, row, col, out);
}

int trace_set_quant(Trace *t, const KvQuant *q, KvError *err)
{
	if (!kv_quant_on(q))
		return 0;
	const Model *m = t->m;
	t->quant = trace_quant_new(q, m->n_layers, m->n_kv_heads, t->T,
				   m->d_k, m->d_v);
	if (!t->quant)
		return kv_error_set(err, EX_OSERR,
				    "out of memory for a quantised cache's codes");
	t->rows[MAT_KQ] = m->d_k;
	t->rows[MAT_VQ] = m->d_v;
	return 0;
}

const KvQuant *trace_quant(const Trace *t)
{
	return t->quant ? trace_quant_settings(t->quant) : NULL;
}

bool trace_quant_cell(const Trace *t, Matrix mat, int layer, int head,
		      int row, int col, KvQuantCell *out)
{
	return t->quant &&
	       trace_quant_get(t->quant, mat, layer, head, row, col, out);
}

const TraceQuantErr *trace_quant_err(const Trace *t, int step)
{
	return t->quant ? trace_quant_err_get(t->quant, step) : NULL;
}

TraceQuantLog *trace_quant_log(Trace *t)
{
	return t->quant;
}
