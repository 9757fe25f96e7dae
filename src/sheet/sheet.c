/*
 * `kvstep answers`: finds the worksheets (bundled or files), checks that
 * every one renders, and only then renders them again onto stdout line by
 * line: a bad template leaves stdout empty, and memory stays bounded by
 * one template line's output, however long the sheets.
 */
#include "sheet.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

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

/* "1-no-cache" or "1-no-cache.txt" names a bundled sheet. */
static const struct blob *bundled_find(const char *name)
{
	size_t n = strlen(name);
	for (size_t i = 0; i < kv_worksheets_count; i++) {
		const char *b = kv_worksheets[i].name;
		const char *dot = strrchr(b, '.');
		size_t stem = dot ? (size_t)(dot - b) : strlen(b);
		if (strcmp(b, name) == 0 ||
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
	FILE *fp = fopen(name, "rb");
	if (!fp && !strchr(name, '/') && !strchr(name, '.') && errno == ENOENT)
		return kv_error_set(err, EX_USAGE,
				    "unknown worksheet '%s'; bundled: "
				    "1-no-cache, 2-kv-cache, 3-prefill, "
				    "4-windows-gqa, or give "
				    "a template file", name);
	if (!fp)
		return kv_error_set(err, EX_NOINPUT, "cannot open '%s': %s",
				    name, strerror(errno));
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
