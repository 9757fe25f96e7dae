/*
 * `kvstep answers`: finds the worksheets (bundled or files), renders each
 * into memory, and writes them only when all of them rendered, so a bad
 * template leaves stdout empty.
 */
#include "sheet.h"

#include "input_file.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

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
	/* the rule of -m too (input_file.h): a file needs a '/' or a '.' */
	if (!input_is_path(name))
		return kv_error_set(err, EX_USAGE,
				    "unknown worksheet '%s'; bundled: "
				    "1-no-cache, 2-kv-cache, 3-prefill, "
				    "4-windows-gqa, or give "
				    "a template file such as ./%s", name, name);
	FILE *fp = input_open(name, err);
	if (!fp)
		return err->code;
	int rc = source_read(fp, name, src, err);
	fclose(fp);
	return rc;
}

/* Parses and renders one worksheet onto the end of `out`. */
static int sheet_one(const SheetSource *src, const Trace *t,
		     const SheetOptions *o, SheetBuf *out, KvError *err)
{
	Template tp;
	if (sheet_tmpl_parse(src->name, src->text, src->len, &tp, err))
		return err->code;
	SheetRuns sr;
	SheetPage page = { 0 };
	int rc = sheet_runs_load(&tp, t, &sr, err);
	if (!rc)
		rc = sheet_render_runs(&tp, sr.runs, o, &page, err);
	if (!rc)
		sheet_buf_add(out, sheet_buf_str(&page.text), page.text.len);
	sheet_page_free(&page);
	sheet_runs_free(&sr);
	sheet_tmpl_free(&tp);
	return rc;
}

/* Renders the named (or all bundled) sheets, form feeds between them. */
static int sheet_all(const Trace *t, char **names, int n,
		     const SheetOptions *o, SheetBuf *out, KvError *err)
{
	int count = n > 0 ? n : (int)kv_worksheets_count;
	for (int i = 0; i < count; i++) {
		SheetSource src = { 0 };
		const char *name = n > 0 ? names[i] : kv_worksheets[i].name;
		if (source_open(name, &src, err))
			return err->code;
		if (i > 0)
			sheet_buf_add(out, "\f", 1);
		int rc = sheet_one(&src, t, o, out, err);
		free(src.owned);
		if (rc)
			return rc;
	}
	return out->oom ? kv_error_set(err, EX_OSERR, "out of memory") : 0;
}

int sheet_print(FILE *out, const Trace *t, char **names, int n,
		const SheetOptions *o, KvError *err)
{
	SheetBuf buf;
	sheet_buf_init(&buf);
	int rc = sheet_all(t, names, n, o, &buf, err);
	if (!rc && fwrite(sheet_buf_str(&buf), 1, buf.len, out) != buf.len)
		rc = kv_error_set(err, EX_IOERR, "cannot write the worksheets");
	sheet_buf_free(&buf);
	return rc;
}
