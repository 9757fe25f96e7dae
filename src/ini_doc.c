#include "ini_doc.h"

#include <ini.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Reader state: libinih asks for one line at a time through ini_reader. */
typedef struct Reader {
	IniDoc *doc;
	const char *text;
	size_t len;
	size_t pos;
	int line;      /* number of the line last handed to libinih */
	int max_line;
	KvError *err;
	int failed;    /* set once; stops the parse early */
	int cap_entries;  /* allocated doc->entries */
	int cap_sections; /* allocated doc->sections */
} Reader;

/*
 * Makes room for one more of `*n` items of `size` bytes in `*arr`, doubling
 * the allocation (`*cap`) so that n entries cost O(n) copying in all.
 * Returns 0 or -1 when memory runs out.
 */
static int grow(void **arr, int n, int *cap, size_t size)
{
	if (n < *cap)
		return 0;
	int want = *cap ? *cap * 2 : 16;
	void *grown = realloc(*arr, (size_t)want * size);
	if (!grown)
		return -1;
	*arr = grown;
	*cap = want;
	return 0;
}

static int add_section(Reader *r, const char *start, size_t n)
{
	IniDoc *d = r->doc;
	const char *close = memchr(start, ']', n);
	if (!close)
		return 0; /* libinih reports it as a malformed line */
	void *arr = d->sections;
	if (grow(&arr, d->n_sections, &r->cap_sections, sizeof *d->sections))
		return -1;
	d->sections = arr;
	size_t name_len = (size_t)(close - start - 1);
	char *name = malloc(name_len + 1);
	if (!name)
		return -1;
	memcpy(name, start + 1, name_len);
	name[name_len] = '\0';
	d->sections[d->n_sections].name = name;
	d->sections[d->n_sections].line = r->line;
	d->n_sections++;
	return 0;
}

static void reader_fail(Reader *r, int code, const char *what)
{
	kv_error_set(r->err, code, "%s:%d: %s", r->doc->source, r->line, what);
	r->failed = 1;
}

/*
 * Length of the valid UTF-8 sequence at s (n bytes left) that is not a
 * control character, or 0. Refused: C0 controls but tab, DEL, C1 controls
 * (U+0080..U+009F), overlong forms, surrogates and code points past
 * U+10FFFF.
 */
static size_t text_char(const unsigned char *s, size_t n)
{
	unsigned c = s[0];
	if (c < 0x80)
		return (c >= 0x20 && c != 0x7f) || c == '\t' ? 1 : 0;
	size_t len = c >= 0xc2 && c <= 0xdf ? 2 : c >= 0xe0 && c <= 0xef ? 3
		   : c >= 0xf0 && c <= 0xf4 ? 4 : 0;
	if (len == 0 || len > n)
		return 0;
	unsigned cp = c & (0x7fu >> len);
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3fu);
	}
	static const unsigned least[] = { 0, 0, 0x80, 0x800, 0x10000 };
	if (cp < least[len] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff) ||
	    (cp >= 0x80 && cp <= 0x9f))
		return 0;
	return len;
}

/*
 * Refuses a line with a control character or bytes that are not UTF-8:
 * names, tokens and the prompt are printed on the terminal, and an escape
 * sequence there would act on it. The message shows the byte as 0x.., never
 * raw.
 */
static int check_text(Reader *r, const char *line, size_t n)
{
	const unsigned char *s = (const unsigned char *)line;
	for (size_t i = 0; i < n;) {
		size_t len = text_char(s + i, n - i);
		if (len) {
			i += len;
			continue;
		}
		char msg[128];
		bool ctrl = s[i] < 0x20 || s[i] == 0x7f ||
			    (s[i] == 0xc2 && i + 1 < n && s[i + 1] >= 0x80 &&
			     s[i + 1] <= 0x9f);
		snprintf(msg, sizeof msg,
			 ctrl ? "control character (byte 0x%02x, column %zu); a model file is plain text"
			      : "byte 0x%02x (column %zu) is not UTF-8; save the file as UTF-8",
			 s[i], i + 1);
		reader_fail(r, EX_DATAERR, msg);
		return -1;
	}
	return 0;
}

/* Length of the line body once a `#` comment that follows a blank is cut. */
static size_t cut_hash_comment(const char *s, size_t n)
{
	for (size_t i = 1; i < n; i++)
		if (s[i] == '#' && (s[i - 1] == ' ' || s[i - 1] == '\t'))
			return i;
	return n;
}

static char *read_line(char *str, int num, void *stream)
{
	Reader *r = stream;
	if (r->failed || r->pos >= r->len)
		return NULL;
	const char *start = r->text + r->pos;
	size_t rest = r->len - r->pos;
	const char *nl = memchr(start, '\n', rest);
	size_t n = nl ? (size_t)(nl - start) : rest;
	r->pos += nl ? n + 1 : n;
	r->line++;
	if (memchr(start, '\0', n)) {
		reader_fail(r, EX_DATAERR, "NUL byte in the file; is it text?");
		return NULL;
	}
	if (n > 0 && start[n - 1] == '\r')
		n--;
	if (r->line == 1 && n >= 3 && memcmp(start, "\xEF\xBB\xBF", 3) == 0) {
		start += 3; /* a UTF-8 byte order mark, as some editors save */
		n -= 3;
	}
	if (check_text(r, start, n))
		return NULL;
	if (n > (size_t)r->max_line) {
		char msg[96];
		snprintf(msg, sizeof msg, "line is %zu bytes long; the limit is %d",
			 n, r->max_line);
		reader_fail(r, EX_DATAERR, msg);
		return NULL;
	}
	while (n > 0 && (*start == ' ' || *start == '\t')) {
		start++;
		n--;
	}
	if (n > 0 && *start != '#' && *start != ';')
		n = cut_hash_comment(start, n);
	if (n > 0 && *start == '[' && add_section(r, start, n) != 0) {
		reader_fail(r, EX_OSERR, "out of memory");
		return NULL;
	}
	/* max_line ≤ 198 leaves room for the newline and NUL in num (200). */
	if (n + 2 > (size_t)num)
		n = (size_t)num - 2;
	memcpy(str, start, n);
	str[n] = '\n';
	str[n + 1] = '\0';
	return str;
}

static int on_entry(void *user, const char *section, const char *key,
		    const char *value)
{
	Reader *r = user;
	IniDoc *d = r->doc;
	void *arr = d->entries;
	if (grow(&arr, d->n_entries, &r->cap_entries, sizeof *d->entries)) {
		reader_fail(r, EX_OSERR, "out of memory");
		return 0;
	}
	d->entries = arr;
	IniEntry *e = &d->entries[d->n_entries];
	e->section = strdup(section);
	e->key = strdup(key);
	e->value = strdup(value);
	e->line = r->line;
	d->n_entries++;
	if (!e->section || !e->key || !e->value) {
		reader_fail(r, EX_OSERR, "out of memory");
		return 0;
	}
	return 1;
}

int ini_doc_parse(IniDoc *doc, const char *source, const char *text,
		  size_t len, int max_line, size_t max_size, KvError *err)
{
	memset(doc, 0, sizeof *doc);
	doc->source = source;
	if (len > max_size)
		return kv_error_set(err, EX_DATAERR,
				    "%s:1: file is %zu bytes; the limit is %zu",
				    source, len, max_size);
	Reader r = { .doc = doc, .text = text, .len = len, .max_line = max_line,
		     .err = err };
	int rc = ini_parse_stream(read_line, &r, on_entry, &r);
	doc->last_line = r.line;
	if (r.failed)
		return err ? err->code : EX_DATAERR;
	if (rc != 0)
		return kv_error_set(err, EX_DATAERR,
				    "%s:%d: expected `key = value`, `[section]` or a comment",
				    source, rc > 0 ? rc : r.line);
	return 0;
}

void ini_doc_free(IniDoc *doc)
{
	for (int i = 0; i < doc->n_entries; i++) {
		free(doc->entries[i].section);
		free(doc->entries[i].key);
		free(doc->entries[i].value);
	}
	for (int i = 0; i < doc->n_sections; i++)
		free(doc->sections[i].name);
	free(doc->entries);
	free(doc->sections);
	memset(doc, 0, sizeof *doc);
}

const IniSection *ini_doc_section(const IniDoc *doc, const char *name)
{
	for (int i = 0; i < doc->n_sections; i++)
		if (strcasecmp(doc->sections[i].name, name) == 0)
			return &doc->sections[i];
	return NULL;
}
