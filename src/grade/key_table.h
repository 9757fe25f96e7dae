#ifndef KVSTEP_GRADE_KEY_TABLE_H
#define KVSTEP_GRADE_KEY_TABLE_H
/*
 * The answer key: the cells of an exported trace, in file order, with a
 * sorted index for matching students' rows by their key columns.
 * Masked cells (an empty value in the key) are kept but not graded.
 * An export --sheet key also has counter rows (a whole number, graded
 * exactly) and token rows (a word, graded by its trimmed text).
 */
#include <stdbool.h>
#include <stdint.h>

#include "columns.h"
#include "csv_table.h"
#include "kv_error.h"

typedef struct KeyCell {
	CellKey k;
	double value; /* the exact answer; unused when masked or a token */
	char *text;   /* a token row (csv_answer.h): the word, trimmed;
		       * NULL for every other row */
	bool masked;  /* empty value in the key: not graded */
	bool given;   /* status `given` (export --sheet): the sheet prints
			 * it, so it is not graded */
} KeyCell;

typedef struct KeyTable {
	KeyCell *cells; /* n cells in the key file's order */
	int n;
	int *sorted;    /* n indices into cells, ordered by cellkey_cmp */
	int graded;     /* cells that are not masked */
	int max_step;   /* the largest step in the key */
	unsigned modes;    /* bit (1u << Mode) per mode present */
	uint64_t matrices; /* bit (1 << k) per kind k graded: Matrix, or a
			    * counter or token kind (csv_answer.h) */
	bool sheet;        /* an export --sheet key: it has given rows, or
			    * counter or token rows */
	char run[32];      /* the key's run fingerprint; "" when it has none */
} KeyTable;

/*
 * Loads the key from `path`. Returns 0, or: EX_NOINPUT (cannot open),
 * EX_IOERR, EX_DATAERR (empty, malformed, not a kvstep trace, a row whose
 * key columns or value cannot be read, a value that is NaN or infinite,
 * a cell listed twice, rows of two runs, nothing to grade), EX_OSERR.
 * Messages name the file and line.
 */
int keytab_load(const char *path, KeyTable *kt, KvError *err);

/* As keytab_load, from a parsed table; `name` is used in messages. */
int keytab_build(const char *name, const CsvTable *t, KeyTable *kt,
		 KvError *err);

/* The index in kt->cells of the cell with key `k`, or -1. */
int keytab_find(const KeyTable *kt, const CellKey *k);

/* Releases the table and empties it. */
void keytab_free(KeyTable *kt);

#endif
