#ifndef KVSTEP_GRADE_CSV_TABLE_H
#define KVSTEP_GRADE_CSV_TABLE_H
/*
 * A CSV file read with libcsv, as a spreadsheet saved it: a UTF-8 BOM is
 * dropped, LF, CRLF and CR line ends are all accepted, an Excel first line
 * `sep=;` names the delimiter (else ',' ';' or tab is taken from the header
 * line), a file that quotes with ' instead of " is read as such, and rows
 * whose fields are all blank (",,,," lines, trailing empty lines) are left
 * out. Every row remembers the physical line it starts on, for messages.
 *
 * The file is streamed in blocks, and what is kept is bounded by
 * CsvLimits, so a huge or hostile file costs a bounded amount of memory:
 * reading stops at the first limit passed, with an error.
 */
#include <stdbool.h>
#include <stddef.h>

#include "kv_error.h"

typedef struct CsvRow {
	int line;     /* 1-based physical line where the row starts */
	int n;        /* number of fields */
	char **f;     /* n NUL-terminated fields, as read (not trimmed) */
} CsvRow;

typedef struct CsvTable {
	CsvRow *rows; /* rows[0] is the header; n_rows == 0 for no rows */
	int n_rows;
	char delim;   /* ',', ';', '\t' or '|', from `sep=` or the header */
	char quote;   /* '"', or '\'' when the file quotes with apostrophes */
	bool sep_line; /* the file began with a `sep=` line */
} CsvTable;

/* What one table may hold. Zero members take the defaults below. */
typedef struct CsvLimits {
	int max_rows;     /* non-blank rows after the header */
	size_t max_field; /* bytes in one field */
	size_t max_bytes; /* bytes held: fields plus bookkeeping */
	const char *why;  /* appended to a max_rows message, or NULL */
} CsvLimits;

#define CSVTAB_MAX_FILE ((size_t)64 << 20) /* bytes read, any table */
#define CSVTAB_MAX_FIELDS 1024             /* fields in one row */
#define CSVTAB_DEFAULT_ROWS (1 << 22)
#define CSVTAB_DEFAULT_FIELD ((size_t)4096)
#define CSVTAB_DEFAULT_BYTES ((size_t)1 << 30)

/*
 * Reads and parses the file `path` within `lim` (NULL: the defaults). On
 * success returns 0 and fills `t` (free it with csvtab_free). Errors, with
 * `err->msg` starting "path:" or "path:line:": EX_NOINPUT (cannot open),
 * EX_IOERR (read failed), EX_DATAERR (empty, not UTF-8 text, over a
 * limit, a bad `sep=` line, malformed CSV such as an unterminated quote),
 * EX_OSERR (out of memory). `t` is empty on error.
 */
int csvtab_read(const char *path, const CsvLimits *lim, CsvTable *t,
		KvError *err);

/*
 * Parses `len` bytes of `data` as csvtab_read does; `name` is used in
 * messages. Same return values except EX_NOINPUT and EX_IOERR.
 */
int csvtab_parse(const char *name, const char *data, size_t len,
		 const CsvLimits *lim, CsvTable *t, KvError *err);

/* Releases everything `t` holds and empties it; NULL or empty is fine. */
void csvtab_free(CsvTable *t);

/*
 * Copies `s` without surrounding blanks (spaces, tabs, no-break spaces) into
 * `buf` (size `size`, truncating). Returns `buf`.
 */
char *csvtab_trim(const char *s, char *buf, size_t size);

#endif
