#ifndef KVSTEP_INI_DOC_H
#define KVSTEP_INI_DOC_H
/*
 * An INI file read with libinih into a flat list of entries, each with the
 * line it came from, so a loader can validate in any order and still name
 * `file:line` in every message.
 *
 * libinih reads through a fixed line buffer and would hand a longer line over
 * in pieces; our reader refuses such a line with its real number instead. It
 * also strips leading blanks (an indented line is an ordinary line, never a
 * continuation) and `#` comments that follow a blank.
 */
#include <stddef.h>

#include "kv_error.h"

typedef struct IniEntry {
	char *section; /* section name as written, "" before the first header */
	char *key;
	char *value;   /* inih has trimmed it and cut `;` comments */
	int line;      /* 1-based line in the file */
} IniEntry;

typedef struct IniSection {
	char *name;
	int line;      /* line of the [header] */
} IniSection;

typedef struct IniDoc {
	const char *source; /* file name for messages (borrowed) */
	IniEntry *entries;
	int n_entries;
	IniSection *sections;
	int n_sections;
	int last_line;      /* number of lines in the file */
} IniDoc;

/*
 * Parses `text` (len bytes, need not be NUL-terminated). `max_line` is the
 * longest line accepted, at most 198. Returns 0, or an EX_* code with `err`
 * set to "source:line: ..." for a malformed line, a line over `max_line`, a
 * NUL byte, or a file over `max_size` bytes.
 */
int ini_doc_parse(IniDoc *doc, const char *source, const char *text,
		  size_t len, int max_line, size_t max_size, KvError *err);

/* Frees what ini_doc_parse allocated; the IniDoc itself is the caller's. */
void ini_doc_free(IniDoc *doc);

/* The section called `name` (case-insensitive), or NULL. */
const IniSection *ini_doc_section(const IniDoc *doc, const char *name);

#endif
