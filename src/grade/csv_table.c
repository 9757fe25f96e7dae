#include "csv_table.h"

#include <csv.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A worksheet CSV is a few hundred kilobytes; anything this big is not one. */
#define MAX_FILE_BYTES ((size_t)64 << 20)
/* Columns per row; a trace has 10, a spreadsheet may add a few. */
#define MAX_FIELDS 1024

/* What the libcsv callbacks build; passed to them as their data pointer. */
typedef struct ParseState {
	CsvTable *t;
	CsvRow cur;      /* the row being read */
	int cap_rows;    /* allocated entries of t->rows */
	int cap_fields;  /* allocated entries of cur.f */
	int row_line;    /* line the current row starts on; 0 = not started */
	int bad_line;    /* a row that was too wide, 0 = none */
	bool oom;
} ParseState;

char *csvtab_trim(const char *s, char *buf, size_t size)
{
	const unsigned char *b = (const unsigned char *)s;
	const unsigned char *e = b + strlen(s);
	for (;;) {
		if (b < e && (*b == ' ' || *b == '\t'))
			b++;
		else if (e - b >= 2 && b[0] == 0xC2 && b[1] == 0xA0)
			b += 2; /* U+00A0 no-break space */
		else if (e - b >= 3 && b[0] == 0xE2 && b[1] == 0x80 && b[2] == 0xAF)
			b += 3; /* U+202F narrow no-break space */
		else
			break;
	}
	for (;;) {
		if (e > b && (e[-1] == ' ' || e[-1] == '\t'))
			e--;
		else if (e - b >= 2 && e[-2] == 0xC2 && e[-1] == 0xA0)
			e -= 2;
		else if (e - b >= 3 && e[-3] == 0xE2 && e[-2] == 0x80 &&
			 e[-1] == 0xAF)
			e -= 3;
		else
			break;
	}
	size_t n = (size_t)(e - b);
	if (size == 0)
		return buf;
	if (n >= size)
		n = size - 1;
	memcpy(buf, b, n);
	buf[n] = '\0';
	return buf;
}

static void row_free(CsvRow *r)
{
	for (int i = 0; i < r->n; i++)
		free(r->f[i]);
	free(r->f);
	memset(r, 0, sizeof *r);
}

void csvtab_free(CsvTable *t)
{
	if (!t)
		return;
	for (int i = 0; i < t->n_rows; i++)
		row_free(&t->rows[i]);
	free(t->rows);
	t->rows = NULL;
	t->n_rows = 0;
}

static bool row_is_blank(const CsvRow *r)
{
	char buf[8];
	for (int i = 0; i < r->n; i++)
		if (csvtab_trim(r->f[i], buf, sizeof buf)[0])
			return false;
	return true;
}

/* libcsv field callback: appends a copy of the field to the current row. */
static void on_field(void *s, size_t len, void *data)
{
	ParseState *st = data;
	if (st->oom || st->bad_line)
		return;
	if (st->cur.n == MAX_FIELDS) {
		st->bad_line = st->row_line;
		return;
	}
	if (st->cur.n == st->cap_fields) {
		int cap = st->cap_fields ? 2 * st->cap_fields : 16;
		char **f = realloc(st->cur.f, (size_t)cap * sizeof *f);
		if (!f) {
			st->oom = true;
			return;
		}
		st->cur.f = f;
		st->cap_fields = cap;
	}
	char *copy = malloc(len + 1);
	if (!copy) {
		st->oom = true;
		return;
	}
	if (len)
		memcpy(copy, s, len);
	copy[len] = '\0';
	st->cur.f[st->cur.n++] = copy;
}

static bool table_push(ParseState *st)
{
	CsvTable *t = st->t;
	if (t->n_rows == st->cap_rows) {
		int cap = st->cap_rows ? 2 * st->cap_rows : 64;
		CsvRow *rows = realloc(t->rows, (size_t)cap * sizeof *rows);
		if (!rows)
			return false;
		t->rows = rows;
		st->cap_rows = cap;
	}
	t->rows[t->n_rows++] = st->cur;
	return true;
}

/* libcsv row callback: keeps the row unless it is blank. */
static void on_row(int c, void *data)
{
	(void)c;
	ParseState *st = data;
	st->cur.line = st->row_line;
	st->row_line = 0;
	if (st->oom || st->bad_line || row_is_blank(&st->cur)) {
		row_free(&st->cur);
	} else if (!table_push(st)) {
		st->oom = true;
		row_free(&st->cur);
	}
	memset(&st->cur, 0, sizeof st->cur);
	st->cap_fields = 0;
}

/* The delimiter the header line uses most, outside quotes; ',' on a tie. */
static char detect_delim(const char *d, size_t len)
{
	size_t comma = 0, semi = 0, tab = 0;
	bool quoted = false;
	for (size_t i = 0; i < len && (quoted || (d[i] != '\n' && d[i] != '\r'));
	     i++) {
		if (d[i] == '"')
			quoted = !quoted;
		else if (!quoted)
			comma += d[i] == ',', semi += d[i] == ';', tab += d[i] == '\t';
	}
	if (semi > comma && semi >= tab)
		return ';';
	if (tab > comma && tab > semi)
		return '\t';
	return ',';
}

/* Refuses what is plainly not CSV text, naming what it looks like. */
static int check_text(const char *name, const char *d, size_t len, KvError *err)
{
	if (len == 0)
		return kv_error_set(err, EX_DATAERR, "%s: the file is empty", name);
	if (len >= 4 && memcmp(d, "PK\003\004", 4) == 0)
		return kv_error_set(err, EX_DATAERR,
				    "%s: this is a zip file (an .xlsx or .ods spreadsheet?), not CSV; save the sheet as CSV",
				    name);
	if (len >= 2 && ((unsigned char)d[0] == 0xFF || (unsigned char)d[0] == 0xFE) &&
	    ((unsigned char)d[1] == 0xFE || (unsigned char)d[1] == 0xFF))
		return kv_error_set(err, EX_DATAERR,
				    "%s: saved as UTF-16 text; save it as CSV (UTF-8) instead",
				    name);
	if (memchr(d, '\0', len))
		return kv_error_set(err, EX_DATAERR,
				    "%s: contains NUL bytes; not a CSV text file", name);
	if (len > MAX_FILE_BYTES)
		return kv_error_set(err, EX_DATAERR,
				    "%s: too large for a worksheet (over %zu MiB)", name,
				    MAX_FILE_BYTES >> 20);
	return 0;
}

/* Length of the physical line at d (with its LF, CRLF or CR ending). */
static size_t line_length(const char *d, size_t len, bool *has_text)
{
	size_t j = 0;
	while (j < len && d[j] != '\n' && d[j] != '\r')
		j++;
	*has_text = j > 0;
	if (j < len)
		j += (d[j] == '\r' && j + 1 < len && d[j + 1] == '\n') ? 2 : 1;
	return j;
}

/*
 * Feeds libcsv one physical line at a time so that every row knows the line
 * it starts on; libcsv itself does not count lines.
 */
static int feed_lines(struct csv_parser *p, ParseState *st, const char *name,
		      const char *d, size_t len, KvError *err)
{
	int line = 1;
	for (size_t i = 0; i < len; line++) {
		bool has_text;
		size_t n = line_length(d + i, len - i, &has_text);
		if (!st->row_line && has_text)
			st->row_line = line;
		if (csv_parse(p, d + i, n, on_field, on_row, st) != n) {
			if (csv_error(p) == CSV_ENOMEM)
				return kv_error_set(err, EX_OSERR, "out of memory");
			return kv_error_set(err, EX_DATAERR,
					    "%s:%d: malformed quoting (a quoted field must end at a delimiter, and a '\"' inside a field must be doubled)",
					    name, line);
		}
		if (st->oom)
			return kv_error_set(err, EX_OSERR, "out of memory");
		if (st->bad_line)
			return kv_error_set(err, EX_DATAERR,
					    "%s:%d: more than %d fields", name,
					    st->bad_line, MAX_FIELDS);
		i += n;
	}
	int open_line = st->row_line;
	if (csv_fini(p, on_field, on_row, st) != 0)
		return kv_error_set(err, EX_DATAERR,
				    "%s:%d: unterminated quoted field (is the file cut short?)",
				    name, open_line);
	if (st->oom)
		return kv_error_set(err, EX_OSERR, "out of memory");
	return 0;
}

int csvtab_parse(const char *name, const char *data, size_t len, CsvTable *t,
		 KvError *err)
{
	memset(t, 0, sizeof *t);
	if (len >= 3 && memcmp(data, "\xEF\xBB\xBF", 3) == 0)
		data += 3, len -= 3; /* UTF-8 BOM, as Excel writes */
	if (check_text(name, data, len, err))
		return err->code;
	struct csv_parser p;
	if (csv_init(&p, CSV_STRICT | CSV_STRICT_FINI) != 0)
		return kv_error_set(err, EX_OSERR, "out of memory");
	t->delim = detect_delim(data, len);
	csv_set_delim(&p, (unsigned char)t->delim);
	ParseState st = { .t = t };
	int rc = feed_lines(&p, &st, name, data, len, err);
	row_free(&st.cur);
	csv_free(&p);
	if (!rc && t->n_rows == 0)
		rc = kv_error_set(err, EX_DATAERR, "%s: the file is empty", name);
	if (rc)
		csvtab_free(t);
	return rc;
}

/* Reads all of `fp` into a malloc'd buffer. Returns 0 or an EX_* code. */
static int slurp(FILE *fp, const char *path, char **data, size_t *len,
		 KvError *err)
{
	size_t cap = 1 << 16, n = 0;
	char *buf = malloc(cap);
	while (buf) {
		n += fread(buf + n, 1, cap - n, fp);
		if (n < cap || n > MAX_FILE_BYTES)
			break;
		char *bigger = realloc(buf, cap * 2);
		if (!bigger) {
			free(buf);
			buf = NULL;
			break;
		}
		buf = bigger;
		cap *= 2;
	}
	if (!buf)
		return kv_error_set(err, EX_OSERR, "out of memory");
	if (ferror(fp)) {
		int e = errno;
		free(buf);
		return kv_error_set(err, EX_IOERR, "%s: cannot read: %s", path,
				    strerror(e));
	}
	*data = buf;
	*len = n;
	return 0;
}

int csvtab_read(const char *path, CsvTable *t, KvError *err)
{
	memset(t, 0, sizeof *t);
	FILE *fp = fopen(path, "rb");
	if (!fp)
		return kv_error_set(err, EX_NOINPUT, "%s: cannot open: %s", path,
				    strerror(errno));
	char *data = NULL;
	size_t len = 0;
	int rc = slurp(fp, path, &data, &len, err);
	fclose(fp);
	if (rc)
		return rc;
	rc = csvtab_parse(path, data, len, t, err);
	free(data);
	return rc;
}
