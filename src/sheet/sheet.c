/*
 * `kvstep answers`: finds the worksheets (bundled or files), checks that
 * every one renders, and only then renders them again onto stdout line by
 * line: a bad template leaves stdout empty, and memory stays bounded by
 * one template line's output, however long the sheets.
 */
#include "sheet.h"

#include "input_file.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "csv_answer.h"
#include "csv_out.h"
#include "model.h"
#include "sheet_bundle.h"
#include "sheet_render.h"
#include "sheet_runs.h"
#include "sheet_tmpl.h"

enum { SHEET_MAX_FILE = 1 << 20 }; /* bytes in one template file */

/* A template's text: borrowed from a blob, or read from a file. */
typedef struct SheetSource {
	const char *name; /* for messages: blob name or the path given */
	const char *text;
	size_t len;
	char *owned;      /* file contents to free; NULL for a blob */
} SheetSource;

/* "1-no-cache", "1-no-cache.txt" or "1" names a bundled sheet. */
static const struct blob *bundled_find(const char *name)
{
	size_t n = strlen(name);
	for (size_t i = 0; i < kv_worksheets_count; i++) {
		const char *b = kv_worksheets[i].name;
		const char *dot = strrchr(b, '.');
		size_t stem = dot ? (size_t)(dot - b) : strlen(b);
		bool number = n == 1 && b[0] == name[0] && b[1] == '-';
		if (strcmp(b, name) == 0 || number ||
		    (n == stem && strncmp(b, name, stem) == 0))
			return &kv_worksheets[i];
	}
	return NULL;
}

/* Reads at most SHEET_MAX_FILE bytes of an open file into src. */
static int source_read(FILE *fp, const char *path, SheetSource *src,
		       KvError *err)
{
	char *buf = malloc(SHEET_MAX_FILE + 1);
	if (!buf)
		return kv_error_set(err, EX_OSERR, "out of memory");
	size_t n = fread(buf, 1, SHEET_MAX_FILE + 1, fp);
	if (ferror(fp)) {
		free(buf);
		return kv_error_set(err, EX_NOINPUT, "cannot read '%s'", path);
	}
	if (n > SHEET_MAX_FILE) {
		free(buf);
		return kv_error_set(err, EX_DATAERR, "%s: longer than %d bytes",
				    path, SHEET_MAX_FILE);
	}
	*src = (SheetSource){ .name = path, .text = buf, .len = n,
			      .owned = buf };
	return 0;
}

/* Resolves a name to a bundled sheet or a template file. */
static int source_open(const char *name, SheetSource *src, KvError *err)
{
	const struct blob *b = bundled_find(name);
	if (b) {
		*src = (SheetSource){ .name = b->name,
				      .text = (const char *)b->data,
				      .len = b->size };
		return 0;
	}
	/* the rule of -m too (input_file.h): a file needs a '/' or a '.';
	 * a name that is neither bundled nor a file is input not found */
	if (!input_is_path(name))
		return kv_error_set(err, EX_NOINPUT,
				    "%s: not a bundled worksheet (1-no-cache, "
				    "2-kv-cache, 3-prefill, 4-windows-gqa, "
				    "5-serving, 6-speculative, 7-online-softmax, 8-rope, "
				    "9-quantised); "
				    "to read a file, give a path such as ./%s",
				    name, name);
	FILE *fp = input_open(name, err);
	if (!fp)
		return err->code;
	int rc = source_read(fp, name, src, err);
	fclose(fp);
	return rc;
}

/* One worksheet to print: its text, the parsed template, its runs. */
typedef struct SheetJob {
	SheetSource src;
	Template tp;
	SheetRuns sr;
	bool parsed, loaded;
} SheetJob;

/*
 * {{needs single}}: the sheet's answers follow W_out·z of the one head
 * it shows; a stacked model adds W_O, other heads and layers, and a
 * residual, none of which the page prints.
 */
static int needs_check(const SheetJob *j, const Trace *t, KvError *err)
{
	const Model *m = trace_model(t);
	if (!j->tp.needs_single_line || !m->stacked)
		return 0;
	return kv_error_set(err, EX_USAGE,
			    "%s: this sheet works one layer of one head; "
			    "model '%s' has %d layer%s of %d head%s and W_O, "
			    "which the page does not show; for stacked models "
			    "use 'kvstep answers 4-windows-gqa'",
			    j->src.name, m->name, m->n_layers,
			    m->n_layers == 1 ? "" : "s", m->n_heads,
			    m->n_heads == 1 ? "" : "s");
}

/* Finds, parses and checks one worksheet, and loads the runs it names. */
static int job_open(const char *name, const Trace *t, SheetJob *j,
		    KvError *err)
{
	if (source_open(name, &j->src, err))
		return err->code;
	if (sheet_tmpl_parse(j->src.name, j->src.text, j->src.len, &j->tp,
			     err))
		return err->code;
	j->parsed = true;
	if (needs_check(j, t, err))
		return err->code;
	int rc = sheet_runs_load(&j->tp, t, &j->sr, err);
	j->loaded = true;
	return rc;
}

static void job_free(SheetJob *j)
{
	if (j->loaded)
		sheet_runs_free(&j->sr);
	if (j->parsed)
		sheet_tmpl_free(&j->tp);
	free(j->src.owned);
}

/*
 * Renders one worksheet line by line, writing each line to `sink` and
 * dropping it; a NULL sink only checks that every line renders.
 */
static int job_render(const SheetJob *j, const SheetOptions *o, FILE *sink,
		      KvError *err)
{
	SheetStreamInfo info;
	if (sheet_render_stream(&j->tp, j->sr.runs, o, sink, &info, err))
		return err->code;
	if (j->tp.page_lines && info.lines > j->tp.page_lines)
		return kv_error_set(err, EX_USAGE,
				    "%s: this run makes the sheet %d lines, "
				    "more than its page of %d; use a shorter "
				    "prompt or fewer generated tokens (-p, -n)",
				    j->src.name, info.lines, j->tp.page_lines);
	return 0;
}

/*
 * Checks every sheet (parse, runs, a render that writes nothing), then
 * renders them again onto `out`, form feeds between: a bad sheet leaves
 * `out` untouched, and only one line of output is held at a time.
 */
static int sheet_jobs(FILE *out, const Trace *t, char **names, int count,
		      const SheetOptions *o, SheetJob *jobs, KvError *err)
{
	for (int i = 0; i < count; i++) {
		const char *name = names ? names[i] : kv_worksheets[i].name;
		if (job_open(name, t, &jobs[i], err))
			return err->code;
	}
	for (int i = 0; i < count; i++)
		if (job_render(&jobs[i], o, NULL, err))
			return err->code;
	for (int i = 0; i < count; i++) {
		if (i > 0 && fputc('\f', out) == EOF)
			break;
		if (job_render(&jobs[i], o, out, err))
			return err->code;
	}
	if (fflush(out) == EOF || ferror(out))
		return kv_error_set(err, EX_IOERR, "cannot write the "
				    "worksheets");
	return 0;
}

int sheet_print(FILE *out, const Trace *t, char **names, int n,
		const SheetOptions *o, KvError *err)
{
	int count = n > 0 ? n : (int)kv_worksheets_count;
	SheetJob *jobs = calloc((size_t)count, sizeof *jobs);
	if (!jobs)
		return kv_error_set(err, EX_OSERR, "out of memory");
	int rc = sheet_jobs(out, t, n > 0 ? names : NULL, count, o, jobs, err);
	for (int i = 0; i < count; i++)
		job_free(&jobs[i]);
	free(jobs);
	return rc;
}

/* ---- export --sheet ---- */

/* One trace cell a sheet prints. */
typedef struct PickCell {
	int step, mode, layer, head, mat, row, col;
	bool answer; /* asked (blank in the student copy), else given */
} PickCell;

struct SheetPick {
	PickCell *cells;
	int n;
	CsvAnswerRow *answers; /* counters and tokens, in template order */
	int n_answers;
	int cap_answers;
};

_Static_assert((int)CTR_COUNT == (int)CSV_CTR_COUNT,
	       "SheetCounter and CsvCounter list the same counters");

static bool pick_same(const PickCell *a, const PickCell *b)
{
	return a->step == b->step && a->mode == b->mode &&
	       a->layer == b->layer && a->head == b->head &&
	       a->mat == b->mat && a->row == b->row && a->col == b->col;
}

static int answer_add(SheetPick *p, const CsvAnswerRow *row, KvError *err);

/* A tile state the page prints (csv_answer.h tile kinds). */
static int pick_tile(const SheetRef *r, SheetPick *p, KvError *err)
{
	CsvAnswerRow a = { .step = r->step, .mode = (Mode)r->mode,
			   .kind = CSV_KIND_TILE + r->what, .given = !r->answer,
			   .layer = r->layer, .head = r->head, .row = r->row,
			   .col = r->col };
	return answer_add(p, &a, err);
}

/* A score s_i of the standard kernel a tiled sheet gives (tile_s): the
 * scores the online softmax starts from, which its run never holds. */
static int pick_score(const SheetRef *r, SheetPick *p, KvError *err)
{
	CsvAnswerRow a = { .step = r->step, .mode = (Mode)r->mode,
			   .kind = CSV_KIND_TILE + CSV_TILE_S,
			   .given = !r->answer, .layer = r->layer,
			   .head = r->head, .row = r->row, .col = r->col };
	return answer_add(p, &a, err);
}

/*
 * Collects the trace cells of the command line's run among the refs, and
 * the tile states it prints. A value of the standard kernel that a tiled
 * sheet prints for comparison (kernel=standard) is no cell of the run.
 */
static int pick_collect(const SheetPage *page, SheetPick *p, KvError *err)
{
	p->cells = calloc((size_t)(page->n_refs > 0 ? page->n_refs : 1),
			  sizeof *p->cells);
	if (!p->cells)
		return kv_error_set(err, EX_OSERR, "out of memory");
	for (int i = 0; i < page->n_refs; i++) {
		const SheetRef *r = &page->refs[i];
		if (r->kind == REF_TILE && r->run == -1) {
			if (pick_tile(r, p, err))
				return err->code;
			continue;
		}
		if (r->kind == REF_CELL && r->what == MAT_S && r->standard &&
		    r->run == -1) {
			if (pick_score(r, p, err))
				return err->code;
			continue;
		}
		if (r->kind != REF_CELL || r->what >= MAT_COUNT ||
		    r->run != -1 || r->standard)
			continue;
		PickCell c = { r->step, r->mode, r->layer, r->head, r->what,
			       r->row, r->col, r->answer };
		int j = 0;
		while (j < p->n && !pick_same(&p->cells[j], &c))
			j++;
		if (j == p->n)
			p->cells[p->n++] = c;
		else
			p->cells[j].answer |= c.answer; /* asked anywhere: asked */
	}
	return 0;
}

static bool answer_same(const CsvAnswerRow *a, const CsvAnswerRow *b)
{
	return a->step == b->step && a->mode == b->mode &&
	       a->kind == b->kind && a->layer == b->layer &&
	       a->head == b->head && a->row == b->row && a->col == b->col;
}

/* Adds one counter, token or tile row, once; asked anywhere means asked. */
static int answer_add(SheetPick *p, const CsvAnswerRow *row, KvError *err)
{
	for (int i = 0; i < p->n_answers; i++) {
		CsvAnswerRow *a = &p->answers[i];
		if (answer_same(a, row)) {
			a->given &= row->given;
			return 0;
		}
	}
	if (p->n_answers == p->cap_answers) {
		int cap = p->cap_answers ? 2 * p->cap_answers : 16;
		CsvAnswerRow *n = realloc(p->answers, (size_t)cap * sizeof *n);
		if (!n)
			return kv_error_set(err, EX_OSERR, "out of memory");
		p->answers = n;
		p->cap_answers = cap;
	}
	p->answers[p->n_answers++] = *row;
	return 0;
}

/* A counter or token row of (step, mode). */
static int answer_add_at(SheetPick *p, int step, int mode, int kind,
			 bool answer, KvError *err)
{
	CsvAnswerRow a = { .step = step, .mode = (Mode)mode, .kind = kind,
			   .given = !answer };
	return answer_add(p, &a, err);
}

/* A step as the template wrote it: a number, or P / T plus an offset. */
static int pick_index(const Trace *t, const SheetIndex *ix)
{
	int base = ix->base == 'P'   ? trace_prompt_len(t)
		   : ix->base == 'T' ? trace_steps(t)
				     : 0;
	return base + ix->off;
}

/*
 * The counters and chosen tokens of the command line's run that the
 * template prints, in template order: {{? macs}}, {{chosen}}, and every
 * (mode, step) of a {{choices}} grid. A counter of one layer
 * ({{cache_cells layer=2}}) is left out: it is no counter of the trace.
 * Runs after a render that succeeded, so every step lies in 1..T.
 */
static int pick_answers(const Template *tp, const Trace *t, SheetPick *p,
			KvError *err)
{
	for (int i = 0; i < tp->n_items; i++) {
		const Placeholder *ph = &tp->items[i].ph;
		int rc = 0;
		if (!tp->items[i].is_ph || ph->model != -1)
			continue;
		if (ph->kind == PH_COUNTER && !ph->layer_given)
			rc = answer_add_at(p, pick_index(t, &ph->step), ph->mode,
					csv_kind_of_counter((CsvCounter)ph->what,
							    ph->total),
					ph->answer, err);
		else if (ph->kind == PH_FACT && ph->what == FACT_CHOSEN)
			rc = answer_add_at(p, pick_index(t, &ph->step), ph->mode,
					   CSV_KIND_TOKEN, ph->answer, err);
		else if (ph->kind == PH_CHOICES) {
			int n = ph->step.set ? pick_index(t, &ph->step)
					     : trace_steps(t);
			for (int s = 1; s <= n && !rc; s++)
				for (int m = 0; m < MODE_COUNT && !rc; m++)
					rc = answer_add_at(p, s, m,
							   CSV_KIND_TOKEN,
							   ph->answer, err);
		}
		if (rc)
			return rc;
	}
	return 0;
}

/* Where the cells of a bundled sheet with models of its own are exported
 * from (docs/worksheets.md); "" for any other sheet. */
static const char *own_models_hint(const SheetSource *src)
{
	static const struct { const char *name, *hint; } hints[] = {
		{ "5-serving.txt", "; its answers are in kvstep serve "
				   "--export schedule|blocks" },
		{ "6-speculative.txt", "; its answers are in kvstep spec "
				       "--export schedule" },
		{ "8-rope.txt", "; its cells are in kvstep -m rope export "
				"--matrix Qr,Kr,Q,K,S" },
		{ "9-quantised.txt", "; its cells are in kvstep export "
				     "--kv-quant int4 --kv-group 4 "
				     "--matrix K,Kq,S" },
	};
	for (size_t i = 0; !src->owned && i < sizeof hints / sizeof *hints;
	     i++)
		if (strcmp(src->name, hints[i].name) == 0)
			return hints[i].hint;
	return "";
}

int sheet_pick_load(const Trace *t, const char *name, SheetPick **out,
		    KvError *err)
{
	*out = NULL;
	SheetJob job = { 0 };
	SheetPage page = { 0 };
	SheetPick *p = calloc(1, sizeof *p);
	int rc = p ? job_open(name, t, &job, err)
		   : kv_error_set(err, EX_OSERR, "out of memory");
	if (!rc && job.tp.n_models > 0)
		rc = kv_error_set(err, EX_USAGE, "%s: this sheet runs models "
				  "of its own, so its cells are not cells of "
				  "this run; export --sheet takes sheets 1 to 3 "
				  "and 7%s",
				  job.src.name, own_models_hint(&job.src));
	/* a tiled sheet's cells are those of the tiled run (main.c makes
	 * the export's run so, sheet_attention) */
	if (!rc && job.tp.attention_tile > 0 &&
	    !sheet_runs_tiled_as(t, job.tp.attention_tile))
		rc = kv_error_set(err, EX_USAGE, "%s: this sheet reads the "
				  "tiled kernel with tiles of %d; export it "
				  "from such a run", job.src.name,
				  job.tp.attention_tile);
	/* and a standard sheet a standard run, as `answers` does */
	if (!rc && !job.tp.attention_tile &&
	    trace_tiles_kernel(trace_tiles(t))->tiled)
		rc = kv_error_set(err, EX_USAGE, "%s: this sheet reads the "
				  "standard kernel (S and A, which --attention "
				  "flash never holds); export it without "
				  "--attention flash", job.src.name);
	SheetOptions o = { .digits = -1 };
	/* what `answers` refuses, refused alike: a sheet past its page */
	if (!rc)
		rc = job_render(&job, &o, NULL, err);
	if (!rc)
		rc = sheet_render_runs(&job.tp, job.sr.runs, &o, &page, err);
	if (!rc)
		rc = pick_collect(&page, p, err);
	if (!rc)
		rc = pick_answers(&job.tp, t, p, err);
	sheet_page_free(&page);
	job_free(&job);
	if (rc) {
		sheet_pick_free(p);
		return rc;
	}
	*out = p;
	return 0;
}

const CsvAnswerRow *sheet_pick_answers(const SheetPick *p, int *n)
{
	*n = p->n_answers;
	return p->answers;
}

int sheet_pick_cell(const void *ctx, int step, Mode mode, int layer,
		    int head, Matrix mat, int row, int col)
{
	const SheetPick *p = ctx;
	PickCell c = { step, (int)mode, layer, head, (int)mat, row, col, false };
	for (int i = 0; i < p->n; i++)
		if (pick_same(&p->cells[i], &c))
			return p->cells[i].answer ? CSV_PICK_ANSWER
						  : CSV_PICK_GIVEN;
	return CSV_PICK_SKIP;
}

void sheet_pick_free(SheetPick *p)
{
	if (!p)
		return;
	free(p->cells);
	free(p->answers);
	free(p);
}

int sheet_attention(const char *name, int *tile, KvError *err)
{
	SheetSource src;
	Template tp;
	*tile = 0;
	if (source_open(name, &src, err))
		return err->code;
	int rc = sheet_tmpl_parse(src.name, src.text, src.len, &tp, err);
	if (!rc) {
		*tile = tp.attention_tile;
		sheet_tmpl_free(&tp);
	}
	free(src.owned);
	return rc;
}
