/*
 * Closed forms for the cost of a run and the size of its export. They
 * mirror the engine's counting rules (engine.c count_column, counters.h)
 * and the trace's layout (trace.c trace_new); tests compare them with a
 * real run's counters and a real export.
 */
#include "estimate.h"

#include "trace_plane.h"

#include "trace_tiles.h"

#include <stdio.h>

#include "trace_kv.h"

/* Σ_{j=1..n} keys visible to query j under window w (0 = global). */
static uint64_t keys_upto(uint64_t n, uint64_t w)
{
	if (w == 0 || n <= w)
		return n * (n + 1) / 2;
	return w * (w + 1) / 2 + (n - w) * w;
}

/* Σ over layers of the visible keys of queries lo..hi. */
static uint64_t keys_between(const Model *m, int lo, int hi)
{
	uint64_t sum = 0;
	for (int l = 0; l < m->n_layers; l++) {
		uint64_t w = (uint64_t)m->window[l];
		if (model_sink_tokens(m, l) == 0) {
			sum += keys_upto((uint64_t)hi, w) -
			       keys_upto((uint64_t)lo - 1, w);
			continue;
		}
		for (int j = lo; j <= hi; j++) /* pinned keys too */
			sum += (uint64_t)model_visible_upto(m, l, j, j);
	}
	return sum;
}

/* MACs and scores of one pass over columns lo..hi. */
static void pass_cost(const Model *m, int lo, int hi, uint64_t *macs,
		      uint64_t *scores)
{
	uint64_t H = (uint64_t)m->n_heads, G = (uint64_t)m->n_kv_heads;
	uint64_t dm = (uint64_t)m->d_model, dk = (uint64_t)m->d_k;
	uint64_t dv = (uint64_t)m->d_v;
	uint64_t proj = dm * (H * dk + G * (dk + dv));
	if (m->stacked)
		proj += dm * H * dv; /* W_O */
	uint64_t cols = (uint64_t)(hi - lo + 1);
	uint64_t keys = keys_between(m, lo, hi);
	*macs += cols * (uint64_t)m->n_layers * proj + H * (dk + dv) * keys +
		 (uint64_t)m->vocab_n * (uint64_t)model_out_dim(m);
	*scores += H * keys;
}

/* One producer's value plane: every cell of every matrix, a double and a
 * flag each (trace_plane.h). */
static uint64_t plane_bytes(const Model *m, uint64_t T)
{
	uint64_t L = (uint64_t)m->n_layers, H = (uint64_t)m->n_heads;
	uint64_t G = (uint64_t)m->n_kv_heads;
	uint64_t cells = L * T * (uint64_t)m->d_model +          /* X */
			 L * H * T * (uint64_t)m->d_k +           /* Q */
			 L * G * T * (uint64_t)(m->d_k + m->d_v) + /* K, V */
			 2 * L * H * T * T +                      /* S, A */
			 L * H * T * (uint64_t)m->d_v +           /* Z */
			 T * (uint64_t)m->vocab_n +               /* logits */
			 (m->stacked ? L * T * (uint64_t)m->d_model : 0) + /* H */
			 (m->rope > 0 ? L * (H + G) * T * (uint64_t)m->d_k
				      : 0); /* Qr, Kr */
	return cells * (sizeof(double) + 1) + sizeof(TracePlane);
}

/* The trace's arrays: trace.c keeps `planes` value planes. */
static uint64_t trace_bytes(const Model *m, uint64_t T, int planes)
{
	return (uint64_t)planes * plane_bytes(m, T) +
	       T * (sizeof(int) + MODE_COUNT * sizeof(TraceStep)) +
	       trace_tiles_base_bytes(); /* the tile store's header */
}

/*
 * Keys query j (1-based) of layer l (0-based) attends (model_visible):
 * *pinned positions 1..pinned (sink_tokens), a run of keys apart from the
 * window's, where the kernel's tiles stop.
 */
static int visible_keys(const Model *m, int l, int j, int *pinned)
{
	int lo;
	model_visible(m, l, j, pinned, &lo);
	return *pinned + j - lo + 1;
}

/*
 * The tile store of a tiled run: every query column of every layer and
 * head is attended by some pass (the no-cache mode's last covers them
 * all) and keeps its states once.
 */
static void tile_store(const Model *m, int T, const TileKernel *k,
		       RunEstimate *e)
{
	uint64_t H = (uint64_t)m->n_heads;
	e->tile_bytes = trace_tiles_index_bytes((size_t)m->n_layers *
						(size_t)H * (size_t)T);
	for (int l = 0; l < m->n_layers; l++)
		for (int j = 1; j <= T; j++) {
			int pinned = 0, n = visible_keys(m, l, j, &pinned);
			int split = k->split > 1 && k->split_from > 0 &&
						    j >= k->split_from
					    ? k->split
					    : 1;
			int st = trace_tiles_states_for(n, pinned, k->tile,
							split);
			e->tile_states += H * (uint64_t)st;
			e->tile_bytes += H * trace_tiles_column_bytes(st,
								     m->d_v);
		}
}

RunEstimate estimate_run(const Model *m, int prompt_n, int positions)
{
	return estimate_run_kernel(m, prompt_n, positions, NULL);
}

RunEstimate estimate_run_kernel(const Model *m, int prompt_n, int positions,
				const TileKernel *kernel)
{
	RunEstimate e = { 0 };
	int T = positions, P = prompt_n;
	/* no cache: one pass over 1..t for every t */
	for (int t = 1; t <= T; t++)
		pass_cost(m, 1, t, &e.macs[MODE_NOCACHE], &e.scores[MODE_NOCACHE]);
	/* cache: one pass per position */
	for (int t = 1; t <= T; t++)
		pass_cost(m, t, t, &e.macs[MODE_CACHE], &e.scores[MODE_CACHE]);
	/* prefill: 1..P in one pass, then one per position */
	pass_cost(m, 1, P, &e.macs[MODE_PREFILL], &e.scores[MODE_PREFILL]);
	for (int t = P + 1; t <= T; t++)
		pass_cost(m, t, t, &e.macs[MODE_PREFILL],
			  &e.scores[MODE_PREFILL]);
	for (int k = 0; k < MODE_COUNT; k++) {
		e.macs_total += e.macs[k];
		e.scores_total += e.scores[k];
	}
	e.events_bytes = trace_kv_bound(m->n_layers, T);
	e.plane_bytes = plane_bytes(m, (uint64_t)T);
	bool tiled = kernel && kernel->tiled;
	if (tiled) {
		pass_cost(m, 1, T, &e.macs_compare, &e.scores_compare);
		tile_store(m, T, kernel, &e);
	}
	e.trace_bytes = trace_bytes(m, (uint64_t)T, tiled ? 2 : 1) +
			e.tile_bytes + e.events_bytes;
	return e;
}

/* "2.1 GiB", "512.0 MiB": memory in binary units, one decimal. */
static void format_bytes(char *buf, size_t size, double b)
{
	const char *unit[] = { "B", "KiB", "MiB", "GiB", "TiB" };
	int u = 0;
	while (b >= 1024 && u < 4) {
		b /= 1024;
		u++;
	}
	snprintf(buf, size, "%.1f %s", b, unit[u]);
}

int estimate_check(const RunEstimate *e, const char *source, KvError *err)
{
	double macs = (double)e->macs_total + (double)e->macs_compare;
	double scores = (double)e->scores_total + (double)e->scores_compare;
	if (macs <= KV_MAX_RUN_MACS && scores <= KV_MAX_RUN_SCORES &&
	    (double)e->trace_bytes <= KV_MAX_RUN_TRACE_BYTES)
		return 0;
	char need[32], limit[32];
	format_bytes(need, sizeof need, (double)e->trace_bytes);
	format_bytes(limit, sizeof limit, KV_MAX_RUN_TRACE_BYTES);
	return kv_error_set(err, EX_DATAERR,
			    "%s: this run needs about %.1e multiply-adds, %.1e attention scores and %s of trace; the limits are %.1e, %.1e and %s (use fewer positions: -n, a shorter prompt, or fewer layers and heads)",
			    source, macs, scores, need, KV_MAX_RUN_MACS,
			    KV_MAX_RUN_SCORES, limit);
}

bool estimate_is_long(const RunEstimate *e)
{
	return (double)e->macs_total >= KV_PROGRESS_MACS ||
	       (double)e->scores_total >= KV_PROGRESS_SCORES;
}

static bool keep_step(const ExportFilter *f, const Trace *t, int step)
{
	int lo = f->step_lo ? f->step_lo : 1;
	int hi = f->step_hi ? f->step_hi : trace_steps(t);
	return step >= lo && step <= hi;
}

static bool keep_mode(const ExportFilter *f, int mode)
{
	return !f->modes || (f->modes & (1u << mode));
}

/* Cells of a span that a blank copy without --masked keeps: held ones. */
static uint64_t held_cells(const Trace *t, int step, Mode mode, int layer,
			   Matrix mat, const TraceSpan *sp)
{
	uint64_t n = 0;
	for (int col = sp->col_lo; col <= sp->col_hi; col++) {
		if (mat == MAT_S || mat == MAT_A) {
			/* the keys the column saw are held (pinned ones too) */
			int last = col < sp->rows ? col : sp->rows;
			for (int r = 1; r <= last; r++)
				n += trace_key_visible(t, layer, r, col);
			continue;
		}
		CellStatus st = trace_status_at(t, step, mode, layer, mat, 1, col);
		if (st != CELL_MASKED && st != CELL_EVICTED)
			n += (uint64_t)sp->rows;
	}
	return n;
}

/* Rows one (step, mode) contributes; mirrors csv_out.c write_step_cells. */
static uint64_t step_rows(const Trace *t, const ExportFilter *f, int step,
			  Mode mode)
{
	uint64_t n = 0;
	for (int layer = 1; layer <= trace_layers(t); layer++)
		for (int mat = 0; mat < MAT_COUNT; mat++) {
			if (f->matrices && !(f->matrices & (1u << mat)))
				continue;
			if (mat == MAT_LOGITS && layer != trace_layers(t))
				continue;
			int l = mat == MAT_LOGITS ? 1 : layer;
			TraceSpan sp;
			if (!trace_span_at(t, step, mode, l, (Matrix)mat, &sp))
				continue;
			uint64_t cells =
				f->blank && !f->masked
					? held_cells(t, step, mode, l,
						     (Matrix)mat, &sp)
					: (uint64_t)sp.rows *
						  (uint64_t)(sp.col_hi -
							     sp.col_lo + 1);
			n += cells * (uint64_t)trace_heads(t, (Matrix)mat);
		}
	return n;
}

uint64_t estimate_export_rows(const Trace *t, const ExportFilter *f)
{
	uint64_t n = 0;
	for (int step = 1; step <= trace_steps(t); step++)
		for (int mode = 0; mode < MODE_COUNT; mode++)
			if (keep_step(f, t, step) && keep_mode(f, mode))
				n += step_rows(t, f, step, (Mode)mode);
	return n;
}

uint64_t estimate_counter_rows(const Trace *t, const ExportFilter *f)
{
	uint64_t n = 0;
	for (int step = 1; step <= trace_steps(t); step++)
		for (int mode = 0; mode < MODE_COUNT; mode++)
			n += keep_step(f, t, step) && keep_mode(f, mode);
	return n;
}
