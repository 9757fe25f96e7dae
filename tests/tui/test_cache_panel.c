/*
 * The cache panel draws the slots `kvstep export --cache` writes: for every
 * bundled stacked model, step and caching mode, the column the panel shows
 * in each slot of a layer is the column the export puts in that slot, and
 * the panel holds exactly the columns the export calls computed or reused.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "csv_out.h"
#include "run.h"
#include "tui_buf.h"
#include "tui_render.h"
#include "tui_state.h"

enum { MAXPOS = 64, MAXL = 16 };

/* slot_of[layer][pos]: the export's slot of kv head 1, 0 when not held. */
typedef struct Export {
	int slot_of[MAXL + 1][MAXPOS + 1];
} Export;

/* Reads the export's rows of (step, mode) for kv head 1. */
static void read_export(const Trace *t, int step, Mode mode, Export *ex)
{
	char *text = NULL;
	size_t len = 0;
	FILE *fp = open_memstream(&text, &len);
	assert_non_null(fp);
	ExportFilter f = { .modes = 1u << mode, .step_lo = step, .step_hi = step };
	assert_int_equal(csv_write_cache(fp, t, &f, NULL), 0);
	fclose(fp);
	memset(ex, 0, sizeof *ex);
	char *line = strstr(text, "\r\n") + 2; /* after the header */
	for (; *line; line = strstr(line, "\r\n") + 2) {
		int s, l, g, pos, block, slot;
		char m[16], status[16];
		if (sscanf(line, "%d,%15[^,],%d,%d,%d,%d,%d,%15[^,]", &s, m, &l,
			   &g, &pos, &block, &slot, status) == 8 && g == 1) {
			assert_int_equal(s, step);
			assert_string_equal(m, mode_name(mode));
			assert_int_equal(block, 1);
			assert_true(strcmp(status, "computed") == 0 ||
				    strcmp(status, "reused") == 0);
			ex->slot_of[l][pos] = slot;
		}
	}
	free(text);
}

/* Checks one layer row of the panel: "L1 local W=2 │ 3= 4*│ ...". */
static void check_row(const char *row, const Trace *t, int layer,
		      const Export *ex)
{
	const char *bar = strstr(row, "│");
	assert_non_null(bar);
	bar += strlen("│");
	/* the slots end at the row's last bar */
	const char *end = NULL;
	for (const char *q = strstr(bar, "│"); q; q = strstr(q + 1, "│"))
		end = q;
	assert_non_null(end);
	int k = 0, shown = 0, w = trace_window(t, layer);
	int first = 0;
	for (const char *p = bar; p < end;) {
		while (p < end && (*p == ' ' || strncmp(p, "│", 3) == 0))
			p += *p == ' ' ? 1 : 3;
		if (p >= end)
			break;
		k++;
		int col = atoi(p);
		if (col > 0) {
			if (!first)
				first = col;
			shown++;
			/* a ring's k-th slot, or a global layer's column */
			int want = w > 0 ? k : col;
			assert_int_equal(ex->slot_of[layer][col], want);
			if (w == 0)
				assert_int_equal(col, first + k - 1);
		}
		while (p < end && *p != ' ' && strncmp(p, "│", 3) != 0)
			p++;
	}
	int held = 0;
	for (int pos = 1; pos <= MAXPOS; pos++)
		held += ex->slot_of[layer][pos] > 0;
	assert_int_equal(shown, held);
	assert_true(held > 0);
}

static void check_model(const char *name)
{
	KvError err;
	kv_error_clear(&err);
	Model *m = model_load_named(name, &err);
	assert_non_null(m);
	RunConfig cfg = run_config_default(m);
	Trace *t = run_trace(m, &cfg, &err);
	assert_non_null(t);
	assert_true(trace_steps(t) <= MAXPOS && trace_layers(t) <= MAXL);
	TuiView v;
	TuiState s;
	tui_state_init(&s, t, -1);
	tui_view_init(&v, t, false, s.digits);
	TuiBuf b = { 0 };
	int rows = 1 + trace_layers(t);
	assert_int_equal(tui_buf_resize(&b, 200, rows), 0);
	static const Mode modes[] = { MODE_CACHE, MODE_PREFILL };
	for (int step = 1; step <= trace_steps(t); step++)
		for (size_t i = 0; i < 2; i++) {
			Export ex;
			read_export(t, step, modes[i], &ex);
			s.step = step;
			tui_buf_clear(&b);
			tui_render_cache(&b, &v, &s, modes[i],
					 (TuiRect){ 0, 0, 200, rows });
			char *txt = tui_buf_text(&b);
			char *row = strchr(txt, '\n') + 1;
			for (int l = 1; l <= trace_layers(t); l++) {
				char *nl = strchr(row, '\n');
				*nl = '\0';
				check_row(row, t, l, &ex);
				row = nl + 1;
			}
			free(txt);
		}
	tui_buf_free(&b);
	trace_free(t);
	model_free(m);
}

static void test_panel_matches_export(void **state)
{
	(void)state;
	check_model("local-global");
	check_model("gqa");
	check_model("mqa");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_panel_matches_export),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
