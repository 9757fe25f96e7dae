#include "csv_table.h"

#include <csv.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Bytes read at a time; the header line must start within the first. */
#define BLOCK ((size_t)1 << 16)
/* What holding one field or row costs besides its text (pointer, malloc). */
#define FIELD_COST (sizeof(char *) + 16)
#define ROW_COST (sizeof(CsvRow) + 16)

/* What the libcsv callbacks build; passed to them as their data pointer. */
typedef struct ParseState {
	CsvTable *t;
	CsvLimits lim;   /* with defaults filled in */
	CsvRow cur;      /* the row being read */
	int cap_rows;    /* allocated entries of t->rows */
	int cap_fields;  /* allocated entries of cur.f */
	int row_line;    /* line the current row starts on; 0 = not started */
	size_t held;     /* bytes the kept rows cost */
	size_t cur_cost; /* bytes the current row costs so far */
	int wide_line;   /* a row with too many fields, 0 = none */
	int rows_line;   /* the first row past lim.max_rows, 0 = none */
	int long_line;   /* a field longer than lim.max_field, 0 = none */
	bool over_bytes; /* lim.max_bytes passed */
	bool oom;
} ParseState;

/* libcsv and the line count that it does not keep. */
typedef struct Feeder {
	struct csv_parser p;
	ParseState st;
	const char *name;
	int line;     /* physical line of the next byte */
	bool prev_cr; /* the last block ended in CR: a LF next ends no line */
} Feeder;

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

static bool stopped(const ParseState *st)
{
	return st->oom || st->wide_line || st->rows_line || st->long_line ||
	       st->over_bytes;
}

/* libcsv field callback: appends a copy of the field to the current row. */
static void on_field(void *s, size_t len, void *data)
{
	ParseState *st = data;
	if (stopped(st))
		return;
	if (st->cur.n == CSVTAB_MAX_FIELDS) {
		st->wide_line = st->row_line;
		return;
	}
	if (len > st->lim.max_field) {
		st->long_line = st->row_line;
		return;
	}
	st->cur_cost += len + 1 + FIELD_COST;
	if (st->held + st->cur_cost > st->lim.max_bytes) {
		st->over_bytes = true;
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
	st->held += st->cur_cost + ROW_COST;
	return true;
}

/* libcsv row callback: keeps the row unless it is blank or over a limit. */
static void on_row(int c, void *data)
{
	(void)c;
	ParseState *st = data;
	st->cur.line = st->row_line;
	st->row_line = 0;
	if (stopped(st) || row_is_blank(&st->cur)) {
		row_free(&st->cur);
	} else if (st->t->n_rows > st->lim.max_rows) { /* header + max_rows */
		st->rows_line = st->cur.line;
		row_free(&st->cur);
	} else if (!table_push(st)) {
		st->oom = true;
		row_free(&st->cur);
	}
	memset(&st->cur, 0, sizeof st->cur);
	st->cap_fields = 0;
	st->cur_cost = 0;
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

static bool ends_field(const char *d, size_t len, size_t k, char delim)
{
	return k == len || d[k] == delim || d[k] == '\n' || d[k] == '\r';
}

/*
 * '\'' when the text quotes fields with apostrophes (a text delimiter
 * LibreOffice offers): no '"' anywhere, and some field that starts with
 * ' has a ' that ends it on the same line. Else '"'.
 */
static char detect_quote(const char *d, size_t len, char delim)
{
	if (memchr(d, '"', len))
		return '"';
	bool at_start = true;
	for (size_t i = 0; i < len; i++) {
		if (at_start && d[i] == '\'')
			for (size_t k = i + 1;
			     k < len && d[k] != '\n' && d[k] != '\r'; k++)
				if (d[k] == '\'' && ends_field(d, len, k + 1, delim))
					return '\'';
		at_start = d[i] == delim || d[i] == '\n' || d[i] == '\r';
	}
	return '"';
}

/* Bytes of the line ending at d[j] (CRLF, LF or CR), 0 at the end. */
static size_t eol_length(const char *d, size_t len, size_t j)
{
	if (j >= len)
		return 0;
	return d[j] == '\r' && j + 1 < len && d[j + 1] == '\n' ? 2 : 1;
}

/*
 * An Excel first line `sep=X` names the delimiter. Returns the bytes of
 * that line to skip (0 when there is none), or -1 with `err` set when it
 * names a delimiter we do not read.
 */
static long parse_sep(const char *name, const char *d, size_t len,
		      char *delim, KvError *err)
{
	if (len < 4 || strncmp(d, "sep=", 4) != 0)
		return 0;
	size_t j = 4;
	while (j < len && d[j] != '\n' && d[j] != '\r')
		j++;
	char c = j == 5 ? d[4] : '\0';
	if (c != ',' && c != ';' && c != '\t' && c != '|') {
		kv_error_set(err, EX_DATAERR,
			     "%s:1: a 'sep=' line must name one delimiter: , ; | or a tab",
			     name);
		return -1;
	}
	*delim = c;
	return (long)(j + eol_length(d, len, j));
}

/* Refuses what is plainly not CSV text, naming what it looks like. */
static int check_start(const char *name, const char *d, size_t len,
		       KvError *err)
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
	return 0;
}

/* The first limit the state has passed, as an error; 0 when none. */
static int check_state(Feeder *fd, KvError *err)
{
	ParseState *st = &fd->st;
	if (st->oom)
		return kv_error_set(err, EX_OSERR, "out of memory");
	if (st->wide_line)
		return kv_error_set(err, EX_DATAERR, "%s:%d: more than %d fields",
				    fd->name, st->wide_line, CSVTAB_MAX_FIELDS);
	if (st->rows_line)
		return kv_error_set(err, EX_DATAERR, "%s:%d: more than %d rows%s",
				    fd->name, st->rows_line, st->lim.max_rows,
				    st->lim.why ? st->lim.why : "");
	if (st->over_bytes)
		return kv_error_set(err, EX_DATAERR,
				    "%s:%d: more text than the %zu bytes a file may hold here; not read further",
				    fd->name, st->row_line ? st->row_line : fd->line,
				    st->lim.max_bytes);
	if (st->long_line || fd->p.entry_pos > st->lim.max_field)
		return kv_error_set(err, EX_DATAERR,
				    "%s:%d: a field longer than %zu bytes", fd->name,
				    st->long_line   ? st->long_line
				    : st->row_line ? st->row_line
						   : fd->line,
				    st->lim.max_field);
	return 0;
}

static int parse_piece(Feeder *fd, const char *d, size_t n, KvError *err)
{
	if (csv_parse(&fd->p, d, n, on_field, on_row, &fd->st) != n) {
		if (csv_error(&fd->p) == CSV_ENOMEM)
			return kv_error_set(err, EX_OSERR, "out of memory");
		return kv_error_set(err, EX_DATAERR,
				    "%s:%d: malformed quoting (a quoted field must end at a delimiter, and a '%c' inside a field must be doubled)",
				    fd->name, fd->line, fd->st.t->quote);
	}
	return check_state(fd, err);
}

/*
 * Feeds libcsv one physical line (or the part of it in this block) at a
 * time, so that every row knows the line it starts on.
 */
static int feed(Feeder *fd, const char *d, size_t len, KvError *err)
{
	size_t i = 0;
	if (fd->prev_cr && len && d[0] == '\n') {
		if (parse_piece(fd, d, 1, err)) /* the LF of a split CRLF */
			return err->code;
		i = 1;
	}
	fd->prev_cr = false;
	while (i < len) {
		size_t j = i;
		while (j < len && d[j] != '\n' && d[j] != '\r')
			j++;
		size_t eol = eol_length(d, len, j);
		if (!fd->st.row_line && j > i)
			fd->st.row_line = fd->line;
		if (parse_piece(fd, d + i, j + eol - i, err))
			return err->code;
		if (eol) {
			fd->prev_cr = eol == 1 && d[j] == '\r' && j + 1 == len;
			fd->line++;
		}
		i = j + eol;
	}
	return 0;
}

/* Where the bytes come from: a stream, or memory. */
typedef struct Source {
	FILE *fp;
	const char *path;
	const char *data;
	size_t len, pos;
} Source;

static int source_read(Source *s, char *buf, size_t cap, size_t *got,
		       KvError *err)
{
	if (!s->fp) {
		*got = s->len - s->pos < cap ? s->len - s->pos : cap;
		memcpy(buf, s->data + s->pos, *got);
		s->pos += *got;
		return 0;
	}
	*got = fread(buf, 1, cap, s->fp);
	if (ferror(s->fp))
		return kv_error_set(err, EX_IOERR, "%s: cannot read: %s", s->path,
				    strerror(errno ? errno : EIO));
	return 0;
}

/* A block's checks: no NUL byte, and the file not past CSVTAB_MAX_FILE. */
static int check_block(const char *name, const char *d, size_t n,
		       size_t total, KvError *err)
{
	if (memchr(d, '\0', n))
		return kv_error_set(err, EX_DATAERR,
				    "%s: contains NUL bytes; not a CSV text file", name);
	if (total > CSVTAB_MAX_FILE)
		return kv_error_set(err, EX_DATAERR,
				    "%s: too large for a worksheet (over %zu MiB)", name,
				    CSVTAB_MAX_FILE >> 20);
	return 0;
}

/*
 * The first block: BOM, the kind of file, `sep=`, delimiter and quote.
 * Sets `*skip` to the bytes before the header.
 */
static int start_table(Feeder *fd, const char *d, size_t n, size_t *skip,
		       KvError *err)
{
	CsvTable *t = fd->st.t;
	size_t b = n >= 3 && memcmp(d, "\xEF\xBB\xBF", 3) == 0 ? 3 : 0;
	if (check_start(fd->name, d + b, n - b, err) ||
	    check_block(fd->name, d, n, n, err))
		return err->code;
	long sep = parse_sep(fd->name, d + b, n - b, &t->delim, err);
	if (sep < 0)
		return err->code;
	*skip = b + (size_t)sep;
	t->sep_line = sep > 0;
	fd->line = sep > 0 ? 2 : 1;
	if (!t->sep_line)
		t->delim = detect_delim(d + *skip, n - *skip);
	t->quote = detect_quote(d + *skip, n - *skip, t->delim);
	csv_set_delim(&fd->p, (unsigned char)t->delim);
	csv_set_quote(&fd->p, (unsigned char)t->quote);
	return 0;
}

static int read_blocks(Feeder *fd, Source *src, char *buf, KvError *err)
{
	size_t got, skip = 0, total;
	if (source_read(src, buf, BLOCK, &got, err) ||
	    start_table(fd, buf, got, &skip, err) ||
	    feed(fd, buf + skip, got - skip, err))
		return err->code;
	for (total = got; got == BLOCK; total += got)
		if (source_read(src, buf, BLOCK, &got, err) ||
		    check_block(fd->name, buf, got, total + got, err) ||
		    feed(fd, buf, got, err))
			return err->code;
	int open_line = fd->st.row_line;
	if (csv_fini(&fd->p, on_field, on_row, &fd->st) != 0)
		return kv_error_set(err, EX_DATAERR,
				    "%s:%d: unterminated quoted field (is the file cut short?)",
				    fd->name, open_line);
	return check_state(fd, err);
}

static CsvLimits limits_or_defaults(const CsvLimits *lim)
{
	CsvLimits l = lim ? *lim : (CsvLimits){ 0 };
	if (l.max_rows <= 0)
		l.max_rows = CSVTAB_DEFAULT_ROWS;
	if (!l.max_field)
		l.max_field = CSVTAB_DEFAULT_FIELD;
	if (!l.max_bytes)
		l.max_bytes = CSVTAB_DEFAULT_BYTES;
	return l;
}

static int parse_source(const char *name, Source *src, const CsvLimits *lim,
			CsvTable *t, KvError *err)
{
	memset(t, 0, sizeof *t);
	t->delim = ',';
	t->quote = '"';
	Feeder *fd = calloc(1, sizeof *fd);
	char *buf = malloc(BLOCK);
	int rc;
	if (!fd || !buf || csv_init(&fd->p, CSV_STRICT | CSV_STRICT_FINI) != 0) {
		free(fd);
		free(buf);
		return kv_error_set(err, EX_OSERR, "out of memory");
	}
	fd->name = name;
	fd->st = (ParseState){ .t = t, .lim = limits_or_defaults(lim) };
	rc = read_blocks(fd, src, buf, err);
	row_free(&fd->st.cur);
	csv_free(&fd->p);
	free(fd);
	free(buf);
	if (!rc && t->n_rows == 0)
		rc = kv_error_set(err, EX_DATAERR, "%s: the file is empty", name);
	if (rc)
		csvtab_free(t);
	return rc;
}

int csvtab_parse(const char *name, const char *data, size_t len,
		 const CsvLimits *lim, CsvTable *t, KvError *err)
{
	Source src = { .data = data, .len = len };
	return parse_source(name, &src, lim, t, err);
}

int csvtab_read(const char *path, const CsvLimits *lim, CsvTable *t,
		KvError *err)
{
	memset(t, 0, sizeof *t);
	FILE *fp = fopen(path, "rb");
	if (!fp)
		return kv_error_set(err, EX_NOINPUT, "%s: cannot open: %s", path,
				    strerror(errno));
	Source src = { .fp = fp, .path = path };
	int rc = parse_source(path, &src, lim, t, err);
	fclose(fp);
	return rc;
}
