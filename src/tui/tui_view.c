/*
 * The view of a run: the width of every matrix's values over all layers
 * and heads, so blocks keep their size while the teacher steps around.
 */
#include "tui_render.h"

/* w, or the width of x formatted plus `extra` when that is wider. */
static int widest(int w, double x, int digits, int extra)
{
	char buf[64];
	int len = tui_format_value(x, digits, buf, sizeof buf) + extra;
	return len > w ? len : w;
}

/* Widest formatted value of one layer and head of `mat`, over both
 * kernels of a tiled run (the t key shows either). */
static int widest_in(const Trace *t, int layer, int head, Matrix mat,
		     int digits)
{
	int w = 1, T = trace_steps(t), rows = trace_matrix_rows(t, mat);
	/* a quantised run shows the cache modes' own values too, and marks
	 * the quantised Kq and Vq cells with one more character */
	bool quant = trace_quant(t) != NULL;
	int mark = mat == MAT_KQ || mat == MAT_VQ ? 1 : 0;
	Matrix ex = mat == MAT_KQ ? MAT_K : MAT_V; /* Kq's residual */
	for (int c = 1; c <= T; c++) {
		for (int r = 1; r <= rows; r++) {
			double x;
			for (int k = 0; k < PRODUCER_KERNEL_COUNT; k++)
				if (trace_value_kernel(t, (ProducerKernel)k,
						       layer, head, mat, r, c,
						       &x))
					w = widest(w, x, digits, 0);
			if (quant && trace_value_of(t, PRODUCER_TARGET_QUANT,
						    layer, head, mat, r, c, &x))
				w = widest(w, x, digits, mark);
			if (mark && trace_value_of(t, PRODUCER_TARGET_QUANT,
						   layer, head, ex, r, c, &x))
				w = widest(w, x, digits, 0);
		}
	}
	return w;
}

/*
 * Widest formatted value of `mat` in every layer and head, so a block
 * keeps its width when the teacher picks another layer or head.
 */
static int widest_value(const Trace *t, Matrix mat, int digits)
{
	int w = 1;
	int layers = mat == MAT_LOGITS ? 1 : trace_layers(t);
	for (int l = 1; l <= layers; l++) {
		for (int h = 1; h <= trace_heads(t, mat); h++) {
			int x = widest_in(t, l, h, mat, digits);
			if (x > w)
				w = x;
		}
	}
	return w;
}

static int decimal_width(int n)
{
	int w = 1;
	while (n >= 10) {
		n /= 10;
		w++;
	}
	return w;
}

void tui_view_init(TuiView *v, const Trace *t, bool ascii, int digits)
{
	*v = (TuiView){ .t = t, .ascii = ascii, .digits = digits };
	int T = trace_steps(t);
	const Matrix *list;
	/* every matrix a view may show: a tiled run's standard view has S
	 * and A, so both views get the same layout */
	TuiState std = { .standard = true };
	int n = tui_state_matrices(&std, t, &list);
	for (int i = 0; i < n; i++) {
		Matrix m = list[i];
		int w = widest_value(t, m, digits);
		/* column labels are "q12": a letter and the position */
		int lab = m == MAT_LOGITS ? 1 : 1 + decimal_width(T);
		v->valw[m] = w > lab ? w : lab;
	}
	v->pane_need = 0;
	for (int i = 0; i < n; i++) {
		Matrix m = list[i];
		int bw = tui_block_width(v, m, m == MAT_LOGITS ? 1 : T);
		if (bw > v->pane_need)
			v->pane_need = bw;
	}
	v->pane_text = tui_pane_text_width(v);
	if (trace_model(t)->rope > 0)
		tui_rope_pair(t, &v->rope_pair);
}
