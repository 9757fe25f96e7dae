/*
 * Model files: the public loaders, the helpers every check shares, and the
 * bundled models. [model] is read in model_header.c, the weight sections
 * in model_weights.c.
 */
#include "model.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "blob.h"
#include "ini_doc.h"
#include "input_file.h"
#include "model_loader.h"

extern const struct blob kv_bundled_models[];
extern const size_t kv_bundled_models_count;


int loader_fail(Loader *L, int line, const char *fmt, ...)
{
	char what[768];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(what, sizeof what, fmt, ap);
	va_end(ap);
	return kv_error_set(L->err, EX_DATAERR, "%s:%d: %s", L->doc->source,
			    line, what);
}

int loader_oom(Loader *L)
{
	return kv_error_set(L->err, EX_OSERR, "out of memory");
}

/* Parses a whole decimal integer in [lo, hi]. */
int loader_int(Loader *L, const IniEntry *e, long lo, long hi, int *out)
{
	char *end;
	errno = 0;
	long v = strtol(e->value, &end, 10);
	if (end == e->value || *end != '\0' || errno)
		return loader_fail(L, e->line, "%s: expected a whole number, got '%s'",
			    e->key, e->value);
	if (v < lo || v > hi) {
		return loader_fail(L, e->line, "%s = %ld is outside the limits %ld..%ld",
			    e->key, v, lo, hi);
	}
	*out = (int)v;
	return 0;
}

/*
 * Copies the next blank-separated word of *p into buf (cut to size-1 bytes)
 * and advances *p past it. Returns the word's full length, 0 at the end.
 */
static size_t next_word(const char **p, char *buf, size_t size)
{
	const char *s = *p;
	while (isspace((unsigned char)*s))
		s++;
	const char *w = s;
	while (*s && !isspace((unsigned char)*s))
		s++;
	size_t n = (size_t)(s - w), keep = n < size ? n : size - 1;
	memcpy(buf, w, keep);
	buf[keep] = '\0';
	*p = s;
	return n;
}

/*
 * Splits `s` on blanks into `out`, at most `cap` numbers. Returns the count
 * (which may exceed cap: the caller reports the mismatch) or -1 after
 * reporting a word that is not a finite number within the limits.
 */
int loader_numbers(Loader *L, const IniEntry *e, double *out, int cap)
{
	int n = 0;
	const char *p = e->value;
	char word[64];
	size_t wl;
	while ((wl = next_word(&p, word, sizeof word)) > 0) {
		char *end;
		errno = 0;
		double v = strtod(word, &end);
		/* strtod also reads hex (0x10, 0x1p3): decimal only */
		if (strpbrk(word, "xX"))
			end = word;
		if (end == word || *end != '\0' || wl >= sizeof word) {
			loader_fail(L, e->line, "expected a number, got '%s'", word);
			return -1;
		}
		/* glibc flags a subnormal (1e-310) with ERANGE too: it is a
		 * real double, so only a result of 0 underflowed */
		if (errno == ERANGE && v != 0 && fabs(v) < 1.0)
			errno = 0;
		if (errno == ERANGE && fabs(v) < 1.0) {
			loader_fail(L, e->line,
			     "'%s' is too small for a double; write 0", word);
			return -1;
		}
		if (!isfinite(v) || errno == ERANGE || fabs(v) > KV_MAX_ABS_VALUE) {
			loader_fail(L, e->line,
			     "'%s' is not a finite number within ±1e6", word);
			return -1;
		}
		if (n < cap)
			out[n] = v;
		n++;
	}
	return n;
}

bool loader_in_section(const IniEntry *e, const char *name)
{
	return strcasecmp(e->section, name) == 0;
}


static int load_doc(Loader *L)
{
	if (loader_check_sectioned(L) || loader_read_header(L) ||
	    loader_read_weights(L))
		return L->err->code;
	return 0;
}

Model *model_parse(const char *source, const char *text, size_t len,
		   KvError *err)
{
	Model *m = calloc(1, sizeof *m);
	if (!m || !(m->source = strdup(source)) ||
	    !(m->vocab = calloc(KV_MAX_VOCAB, sizeof *m->vocab))) {
		model_free(m);
		kv_error_set(err, EX_OSERR, "out of memory");
		return NULL;
	}
	m->scale_sqrt = true;
	m->generate = 0;
	IniDoc doc;
	int rc = ini_doc_parse(&doc, m->source, text, len, KV_MAX_LINE,
			       KV_MAX_FILE, err);
	if (rc == 0) {
		Loader L = { .doc = &doc, .m = m, .err = err };
		KvError local;
		kv_error_clear(&local);
		if (!err)
			L.err = &local;
		rc = load_doc(&L);
	}
	ini_doc_free(&doc);
	if (rc) {
		model_free(m);
		return NULL;
	}
	return m;
}

Model *model_load_file(const char *path, KvError *err)
{
	FILE *f = input_open(path, err);
	if (!f)
		return NULL;
	/* Read one byte past the limit so an oversized file is detected. */
	char *buf = malloc(KV_MAX_FILE + 1);
	if (!buf) {
		fclose(f);
		kv_error_set(err, EX_OSERR, "out of memory");
		return NULL;
	}
	size_t n = fread(buf, 1, KV_MAX_FILE + 1, f);
	int bad = ferror(f);
	fclose(f);
	Model *m = NULL;
	if (bad)
		kv_error_set(err, EX_NOINPUT, "%s: cannot read: %s", path,
			     strerror(errno));
	else
		m = model_parse(path, buf, n, err);
	free(buf);
	return m;
}

Model *model_load_default(KvError *err)
{
	return model_load_named("default.ini", err);
}

/* The bundled model called `name` ("gqa" or "gqa.ini"), or NULL. */
static const struct blob *bundled_model(const char *name)
{
	char file[64];
	if (strchr(name, '/') || strlen(name) > 40)
		return NULL;
	snprintf(file, sizeof file, "%s%s", name,
		 strstr(name, ".ini") ? "" : ".ini");
	return blob_find(kv_bundled_models, kv_bundled_models_count, file);
}

Model *model_load_named(const char *name, KvError *err)
{
	const struct blob *b = bundled_model(name);
	if (!b) {
		kv_error_set(err, EX_NOINPUT,
			     "%s: not a bundled model (%s); to read a file, give a path such as ./%s",
			     name, model_bundled_names(), name);
		return NULL;
	}
	return model_parse(b->name, (const char *)b->data, b->size, err);
}

const char *model_bundled_names(void)
{
	return "default, gqa, mqa, local-global";
}

Model *model_load(const char *path, KvError *err)
{
	if (!path)
		return model_load_default(err);
	if (bundled_model(path) || !input_is_path(path))
		return model_load_named(path, err);
	return model_load_file(path, err);
}

void model_free(Model *m)
{
	if (!m)
		return;
	if (m->vocab)
		for (int i = 0; i < m->vocab_n; i++)
			free(m->vocab[i]);
	free(m->vocab);
	free(m->name);
	free(m->source);
	free(m->prompt);
	free(m->embed);
	free(m->pos);
	free(m->wq);
	free(m->wk);
	free(m->wv);
	free(m->wout);
	free(m->sink);
	free(m->wo);
	free(m->window);
	free(m);
}

int model_token_id(const Model *m, const char *word)
{
	for (int i = 0; i < m->vocab_n; i++)
		if (strcmp(m->vocab[i], word) == 0)
			return i;
	return -1;
}

int model_parse_prompt(const Model *m, const char *words, int *ids, int cap,
		       KvError *err)
{
	int n = 0;
	const char *p = words;
	char word[KV_MAX_TOKEN_LEN + 2];
	while (next_word(&p, word, sizeof word) > 0) {
		int id = model_token_id(m, word);
		if (id < 0) {
			kv_error_set(err, EX_USAGE,
				     "prompt word '%s' is not in the vocab", word);
			return -1;
		}
		if (n == cap) {
			kv_error_set(err, EX_USAGE,
				     "prompt has more than %d words", cap);
			return -1;
		}
		ids[n++] = id;
	}
	if (n == 0) {
		kv_error_set(err, EX_USAGE, "prompt is empty");
		return -1;
	}
	return n;
}

int model_max_positions(const Model *m)
{
	return m->pos_n > 0 ? m->pos_n : KV_MAX_TOKENS;
}
