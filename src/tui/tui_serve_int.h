#ifndef KVSTEP_TUI_SERVE_INT_H
#define KVSTEP_TUI_SERVE_INT_H
/*
 * Internal to the serving screen: tui_serve_state.c (keys), _frame.c
 * (layout, header, requests, counters, comparison, help), _pool.c (the
 * block pool) and _attn.c (the attention panes and the inspector).
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tui_serve.h"

/* What the panes draw of one matrix of the selected request. */
typedef struct TuiServeExtent {
	int rows;   /* 0: the matrix is not drawn this iteration */
	int lo, hi; /* columns, the request's own positions */
} TuiServeExtent;

/*
 * Matrix `mat` (K V S A Z) of request s->req at iteration s->iter: in
 * the batch (prefill or decode, positions lo..hi), K and V show keys
 * 1..hi and S, A, Z the queries lo..hi (S and A rows: keys 1..hi); not
 * in the batch, K and V show the 1..held positions it keeps, the rest
 * nothing.
 */
void tui_serve_extent(const TuiServeState *s, Matrix mat, TuiServeExtent *e);

/* The head serve_cell files `mat` under for the selection: the query
 * head for Q, S, A, Z; the K/V head it reads for K and V; 1 for X, H and
 * the logits. */
int tui_serve_head_of(const TuiServeState *s, Matrix mat);

/* Keeps the cursor inside its matrix's extent. */
void tui_serve_cursor_clamp(TuiServeState *s);

/* A click target: a request row (mat −1) or a value of a pane. */
typedef struct TuiServeHit {
	int req;
	int mat;      /* Matrix, or −1 for the request's row */
	int row, col;
} TuiServeHit;

enum { TUI_SERVE_HIT_MAX = 511 }; /* rows and columns tagged */

/* Packs a target into a nonzero tag (bit 29 set, unlike tui_mouse.h's
 * bit 30); 0 when a number is out of range. */
uint32_t tui_serve_hit_pack(int req, int mat, int row, int col);
bool tui_serve_hit_unpack(uint32_t tag, TuiServeHit *out);

/* printf into row y from x, clipped at x_end; returns the next column. */
int tui_serve_putf(TuiBuf *b, int x, int y, int x_end, Role role,
		   const char *fmt, ...) __attribute__((format(printf, 6, 7)));

/*
 * Writes `s` into at most `w` columns: whole, or cut with a trailing "…"
 * ("..." with ascii) so a cut never passes for the whole text. Returns
 * the next column.
 */
int tui_serve_put_elided(TuiBuf *b, int x, int y, int w, Role role,
			 const char *s, bool ascii);

/*
 * A request name in at most w columns that stays told apart from the
 * others: whole when it fits, else its head, "…" and its last two
 * characters ("reque…07"). Names that are not plain ASCII are left to
 * tui_serve_put_elided.
 */
void tui_serve_short_name(const char *name, int w, bool ascii, char *out,
			  size_t n);

/*
 * A request's label for the pool's owner row: its name when every name
 * in the scenario is one character ("A"), else its number ("2").
 */
void tui_serve_owner_label(const Scenario *sc, int k, char *out, size_t n);

/* Rows the pool takes at width w (title, bands of 4 rows, legend). */
int tui_serve_pool_height(const TuiServeState *s, int w);
void tui_serve_draw_pool(TuiBuf *b, const TuiServeState *s, int x, int y,
			 int w, int h, bool ascii);

/* The attention panes in the rectangle; the inspector's line. */
void tui_serve_draw_attn(TuiBuf *b, const TuiServeState *s, int x, int y,
			 int w, int h, bool ascii);
void tui_serve_inspect_text(const TuiServeState *s, bool ascii, char *out,
			    size_t n);

/* The comparison of continuous and static batching: its rows. */
int tui_serve_compare_height(const TuiServeState *s);
void tui_serve_draw_compare(TuiBuf *b, const TuiServeState *s, int x, int y,
			    int w, int h, bool ascii);

#endif
