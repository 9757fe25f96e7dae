#ifndef KVSTEP_GRADE_CSV_TABLE_H
#define KVSTEP_GRADE_CSV_TABLE_H
/*
 * A whole CSV file read into memory with libcsv, as a spreadsheet saved it:
 * a UTF-8 BOM is dropped, LF, CRLF and CR line ends are all accepted, the
 * delimiter (',' ';' or tab) is taken from the header line, and rows whose
 * fields are all blank (",,,," lines, trailing empty lines) are left out.
 * Every row remembers the physical line it starts on, for error messages.
 */
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
	char delim;   /* ',', ';' or '\t', as detected from the header line */
} CsvTable;

/*
 * Reads and parses the file `path`. On success returns 0 and fills `t`
 * (free it with csvtab_free). Errors, with `err->msg` starting "path:" or
 * "path:line:": EX_NOINPUT (cannot open), EX_IOERR (read failed),
 * EX_DATAERR (empty, not UTF-8 text, too large, malformed CSV such as an
 * unterminated quote), EX_OSERR (out of memory). `t` is empty on error.
 */
int csvtab_read(const char *path, CsvTable *t, KvError *err);

/*
 * Parses `len` bytes of `data` as csvtab_read does; `name` is used in
 * messages. Same return values except EX_NOINPUT and EX_IOERR.
 */
int csvtab_parse(const char *name, const char *data, size_t len, CsvTable *t,
		 KvError *err);

/* Releases everything `t` holds and empties it; NULL or empty is fine. */
void csvtab_free(CsvTable *t);

/*
 * Copies `s` without surrounding blanks (spaces, tabs, no-break spaces) into
 * `buf` (size `size`, truncating). Returns `buf`.
 */
char *csvtab_trim(const char *s, char *buf, size_t size);

#endif
