/*
 * Scenario files for `kvstep serve` (serve.h): an INI text read with
 * ini_doc (libinih), validated in any order so that every message names
 * the line it is about.
 */
#include "serve.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "blob.h"
#include "ini_doc.h"
#include "input_file.h"

extern const struct blob kv_bundled_scenarios[];
extern const size_t kv_bundled_scenarios_count;

/* Parser state: the document, the scenario being filled and the error. */
typedef struct ScenParse {
	const IniDoc *doc;
	Scenario *s;
	KvError *err;
} ScenParse;

/* Keys of [serve] in the order a `Seen` array indexes them. */
enum { K_MODEL, K_BLOCK_SIZE, K_BLOCKS, K_MAX_TOKENS, K_BATCHING,
       K_MAX_BATCH, K_PREFIX, K_SERVE_COUNT };
static const char *const serve_keys[K_SERVE_COUNT] = {
	"model", "block_size", "blocks", "max_tokens", "batching",
	"max_batch", "prefix_caching",
};
enum { R_PROMPT, R_GENERATE, R_ARRIVE, R_COUNT };
static const char *const request_keys[R_COUNT] = { "prompt", "generate",
						   "arrive" };

static int fail(ScenParse *p, int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int fail(ScenParse *p, int line, const char *fmt, ...)
{
	char what[768];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(what, sizeof what, fmt, ap);
	va_end(ap);
	return kv_error_set(p->err, EX_DATAERR, "%s:%d: %s", p->doc->source,
			    line, what);
}

static int oom(ScenParse *p)
{
	return kv_error_set(p->err, EX_OSERR, "out of memory");
}

const char *serve_batching_name(ServeBatching b)
{
	return b == SERVE_STATIC ? "static" : "continuous";
}

int serve_batching_parse(const char *s)
{
	if (strcmp(s, "continuous") == 0)
		return SERVE_CONTINUOUS;
	if (strcmp(s, "static") == 0)
		return SERVE_STATIC;
	return -1;
}

/* A whole decimal number in [lo, hi] from entry e. */
static int read_int(ScenParse *p, const IniEntry *e, long lo, long hi, int *out)
{
	char *end;
	errno = 0;
	long v = strtol(e->value, &end, 10);
	if (end == e->value || *end != '\0' || errno)
		return fail(p, e->line, "%s: expected a whole number, got '%s'",
			    e->key, e->value);
	if (v < lo || v > hi)
		return fail(p, e->line, "%s = %ld is outside the limits %ld..%ld",
			    e->key, v, lo, hi);
	*out = (int)v;
	return 0;
}

/* The index of `key` in `keys`, or -1. */
static int key_index(const char *const *keys, int n, const char *key)
{
	for (int i = 0; i < n; i++)
		if (strcmp(keys[i], key) == 0)
			return i;
	return -1;
}

/* "request NAME": sets *name to NAME; false for another section. */
static bool request_section(const char *section, const char **name)
{
	if (strncasecmp(section, "request", 7) != 0 ||
	    (section[7] != ' ' && section[7] != '\t'))
		return false;
	const char *n = section + 7;
	while (*n == ' ' || *n == '\t')
		n++;
	*name = n;
	return true;
}

static bool name_ok(const char *n)
{
	size_t len = strlen(n);
	if (len < 1 || len > SERVE_MAX_NAME)
		return false;
	for (const char *c = n; *c; c++)
		if (!(*c >= 'a' && *c <= 'z') && !(*c >= 'A' && *c <= 'Z') &&
		    !(*c >= '0' && *c <= '9') && *c != '_' && *c != '-' &&
		    *c != '.')
			return false;
	return true;
}

/* Checks the section headers: one [serve], [request NAME] with unique
 * names, nothing else; fills names and header lines of the requests. */
static int read_sections(ScenParse *p)
{
	const IniDoc *d = p->doc;
	int serve_line = 0, n = 0;
	for (int i = 0; i < d->n_sections; i++) {
		const IniSection *sec = &d->sections[i];
		const char *name;
		if (strcasecmp(sec->name, "serve") == 0) {
			if (serve_line)
				return fail(p, sec->line,
					    "a second [serve] section (the first is on line %d)",
					    serve_line);
			serve_line = sec->line;
			continue;
		}
		if (!request_section(sec->name, &name))
			return fail(p, sec->line,
				    "unknown section [%s]; expected [serve] or [request NAME]",
				    sec->name);
		if (!name_ok(name))
			return fail(p, sec->line,
				    "request name '%s': 1 to %d letters, digits, '_', '-' or '.'",
				    name, SERVE_MAX_NAME);
		for (int j = 0; j < n; j++)
			if (strcmp(p->s->req[j].name, name) == 0)
				return fail(p, sec->line,
					    "a second request named %s (the first is on line %d)",
					    name, p->s->req[j].line);
		if (n == SERVE_MAX_REQUESTS)
			return fail(p, sec->line, "more than %d requests",
				    SERVE_MAX_REQUESTS);
		ServeRequest *r = &p->s->req[n++];
		memcpy(r->name, name, strlen(name) + 1);
		r->line = sec->line;
		r->arrive = 1;
	}
	if (!serve_line)
		return fail(p, 1, "no [serve] section");
	if (n == 0)
		return fail(p, d->last_line > 0 ? d->last_line : 1,
			    "no [request NAME] section: a scenario needs at least one request");
	p->s->n_requests = n;
	return 0;
}

/* The request whose section is `section`, or NULL. */
static ServeRequest *request_of(ScenParse *p, const char *section)
{
	const char *name;
	if (!request_section(section, &name))
		return NULL;
	for (int i = 0; i < p->s->n_requests; i++)
		if (strcmp(p->s->req[i].name, name) == 0)
			return &p->s->req[i];
	return NULL;
}

static int on_off(ScenParse *p, const IniEntry *e, bool *out)
{
	if (strcmp(e->value, "on") == 0)
		*out = true;
	else if (strcmp(e->value, "off") == 0)
		*out = false;
	else
		return fail(p, e->line, "prefix_caching: expected on or off, got '%s'",
			    e->value);
	return 0;
}

/* One key of [serve]. */
static int serve_key(ScenParse *p, const IniEntry *e, int k)
{
	Scenario *s = p->s;
	int b;
	switch (k) {
	case K_MODEL:
		free(s->model_name);
		s->model_name = strdup(e->value);
		return s->model_name ? 0 : oom(p);
	case K_BLOCK_SIZE:
		return read_int(p, e, 1, SERVE_MAX_BLOCK_SIZE, &s->block_size);
	case K_BLOCKS:
		return read_int(p, e, 1, SERVE_MAX_BLOCKS, &s->blocks);
	case K_MAX_TOKENS:
		return read_int(p, e, 1, KV_MAX_TOKENS, &s->max_tokens);
	case K_BATCHING:
		if ((b = serve_batching_parse(e->value)) < 0)
			return fail(p, e->line,
				    "batching: expected continuous or static, got '%s'",
				    e->value);
		s->batching = (ServeBatching)b;
		return 0;
	case K_MAX_BATCH:
		return read_int(p, e, 1, SERVE_MAX_BATCH, &s->max_batch);
	case K_PREFIX:
		return on_off(p, e, &s->prefix_caching);
	default:
		return 0;
	}
}

/* One key of [request NAME]; the prompt is kept as text until the model
 * is known. */
static int request_key(ScenParse *p, ServeRequest *r, const IniEntry *e, int k)
{
	switch (k) {
	case R_PROMPT:
		free(r->prompt_text);
		r->prompt_text = strdup(e->value);
		return r->prompt_text ? 0 : oom(p);
	case R_GENERATE:
		return read_int(p, e, 1, KV_MAX_TOKENS, &r->generate);
	case R_ARRIVE:
		return read_int(p, e, 1, SERVE_MAX_ARRIVE, &r->arrive);
	default:
		return 0;
	}
}

/* Lines of each key seen, per section: [serve] then one row per request. */
typedef struct Seen {
	int serve[K_SERVE_COUNT];
	int req[SERVE_MAX_REQUESTS][R_COUNT];
} Seen;

static int read_entry(ScenParse *p, const IniEntry *e, Seen *seen)
{
	if (!*e->section)
		return fail(p, e->line, "'%s' comes before any section", e->key);
	if (strcasecmp(e->section, "serve") == 0) {
		int k = key_index(serve_keys, K_SERVE_COUNT, e->key);
		if (k < 0)
			return fail(p, e->line,
				    "unknown key '%s' in [serve]; expected model, block_size, blocks, max_tokens, batching, max_batch or prefix_caching",
				    e->key);
		if (seen->serve[k])
			return fail(p, e->line, "a second %s (the first is on line %d)",
				    e->key, seen->serve[k]);
		seen->serve[k] = e->line;
		return serve_key(p, e, k);
	}
	ServeRequest *r = request_of(p, e->section);
	if (!r) /* read_sections refused every other section */
		return fail(p, e->line, "unknown section [%s]", e->section);
	int k = key_index(request_keys, R_COUNT, e->key);
	if (k < 0)
		return fail(p, e->line,
			    "unknown key '%s' in [request %s]; expected prompt, generate or arrive",
			    e->key, r->name);
	int *line = &seen->req[r - p->s->req][k];
	if (*line)
		return fail(p, e->line, "a second %s (the first is on line %d)",
			    e->key, *line);
	*line = e->line;
	return request_key(p, r, e, k);
}

/* The directory part of `source` with its slash ("dir/"), or "". */
static size_t dir_len(const char *source)
{
	const char *slash = strrchr(source, '/');
	return slash ? (size_t)(slash - source + 1) : 0;
}

/* Loads the model: a bundled name, or a path relative to the scenario. */
static int load_model(ScenParse *p, int line)
{
	Scenario *s = p->s;
	const char *name = s->model_name ? s->model_name : "default";
	KvError me;
	kv_error_clear(&me);
	Model *m = NULL;
	if (!strchr(name, '/'))
		m = model_load_named(name, &me);
	if (!m && (strchr(name, '/') || me.code == EX_NOINPUT) &&
	    input_is_path(name)) {
		kv_error_clear(&me);
		size_t dl = name[0] == '/' ? 0 : dir_len(s->source);
		char *path = malloc(dl + strlen(name) + 1);
		if (!path)
			return oom(p);
		memcpy(path, s->source, dl);
		strcpy(path + dl, name);
		m = model_load(path, &me);
		free(path);
	}
	if (!m)
		return kv_error_set(p->err, me.code,
				    "%s:%d: model: %s", p->doc->source, line,
				    me.msg);
	s->model = m;
	for (int l = 0; l < m->n_layers; l++)
		if (m->window[l] > 0)
			return fail(p, line,
				    "model %s has a sliding window in layer %d; serving pages global layers only",
				    name, l + 1);
	return 0;
}

/* Checks one request against the model and the pool. */
static int check_request(ScenParse *p, ServeRequest *r, const int *lines)
{
	Scenario *s = p->s;
	if (!lines[R_PROMPT])
		return fail(p, r->line, "[request %s] has no prompt", r->name);
	if (!lines[R_GENERATE])
		return fail(p, r->line, "[request %s] has no generate", r->name);
	int cap = model_max_positions(s->model);
	r->prompt = malloc((size_t)cap * sizeof *r->prompt);
	if (!r->prompt)
		return oom(p);
	KvError pe;
	kv_error_clear(&pe);
	r->prompt_n = model_parse_prompt(s->model, r->prompt_text, r->prompt,
					 cap, &pe);
	if (r->prompt_n < 0)
		return fail(p, lines[R_PROMPT], "%s", pe.msg);
	if (r->prompt_n + r->generate > cap)
		return fail(p, lines[R_GENERATE],
			    "request %s has %d positions (prompt %d + generate %d); the model allows %d",
			    r->name, r->prompt_n + r->generate, r->prompt_n,
			    r->generate, cap);
	int need = (r->prompt_n + r->generate - 1 + s->block_size - 1) /
		   s->block_size;
	if (need > s->blocks)
		return fail(p, r->line,
			    "request %s can never fit the pool: %d positions need %d blocks of %d, the pool has %d",
			    r->name, r->prompt_n + r->generate - 1, need,
			    s->block_size, s->blocks);
	return 0;
}

static int check_serve(ScenParse *p, const Seen *seen)
{
	const IniSection *sec = ini_doc_section(p->doc, "serve");
	int line = sec ? sec->line : 1;
	static const int required[] = { K_BLOCK_SIZE, K_BLOCKS, K_MAX_TOKENS };
	for (size_t i = 0; i < sizeof required / sizeof *required; i++)
		if (!seen->serve[required[i]])
			return fail(p, line, "[serve] has no %s",
				    serve_keys[required[i]]);
	return load_model(p, seen->serve[K_MODEL] ? seen->serve[K_MODEL] : line);
}

/* The name shown in titles: the base name without ".ini". */
static char *base_name(const char *source)
{
	const char *b = source + dir_len(source);
	size_t n = strlen(b);
	if (n > 4 && strcmp(b + n - 4, ".ini") == 0)
		n -= 4;
	char *out = malloc(n + 1);
	if (out) {
		memcpy(out, b, n);
		out[n] = '\0';
	}
	return out;
}

static int parse_doc(ScenParse *p, Seen *seen)
{
	if (read_sections(p))
		return p->err->code;
	for (int i = 0; i < p->doc->n_entries; i++)
		if (read_entry(p, &p->doc->entries[i], seen))
			return p->err->code;
	if (check_serve(p, seen))
		return p->err->code;
	for (int i = 0; i < p->s->n_requests; i++)
		if (check_request(p, &p->s->req[i], seen->req[i]))
			return p->err->code;
	return 0;
}

Scenario *scenario_parse(const char *source, const char *text, size_t len,
			 KvError *err)
{
	Scenario *s = calloc(1, sizeof *s);
	Seen *seen = calloc(1, sizeof *seen);
	if (!s || !seen || !(s->source = strdup(source)) ||
	    !(s->name = base_name(source)) ||
	    !(s->req = calloc(SERVE_MAX_REQUESTS, sizeof *s->req))) {
		free(seen);
		scenario_free(s);
		kv_error_set(err, EX_OSERR, "out of memory");
		return NULL;
	}
	s->batching = SERVE_CONTINUOUS;
	s->max_batch = 4;
	s->prefix_caching = true;
	IniDoc doc;
	int rc = ini_doc_parse(&doc, s->source, text, len, SERVE_MAX_LINE,
			       SERVE_MAX_FILE, err);
	if (rc == 0) {
		ScenParse p = { .doc = &doc, .s = s, .err = err };
		rc = parse_doc(&p, seen);
	}
	ini_doc_free(&doc); /* also what a failed parse had read */
	free(seen);
	if (rc) {
		scenario_free(s);
		return NULL;
	}
	return s;
}

Scenario *scenario_load_file(const char *path, KvError *err)
{
	FILE *f = input_open(path, err);
	if (!f)
		return NULL;
	char *buf = malloc(SERVE_MAX_FILE + 1);
	if (!buf) {
		fclose(f);
		kv_error_set(err, EX_OSERR, "out of memory");
		return NULL;
	}
	size_t n = fread(buf, 1, SERVE_MAX_FILE + 1, f);
	int bad = ferror(f);
	fclose(f);
	Scenario *s = NULL;
	if (bad)
		kv_error_set(err, EX_NOINPUT, "%s: cannot read: %s", path,
			     strerror(errno));
	else
		s = scenario_parse(path, buf, n, err);
	free(buf);
	return s;
}

static const struct blob *bundled_scenario(const char *name)
{
	char file[64];
	if (strchr(name, '/') || strlen(name) > 40)
		return NULL;
	snprintf(file, sizeof file, "%s%s", name,
		 strstr(name, ".ini") ? "" : ".ini");
	return blob_find(kv_bundled_scenarios, kv_bundled_scenarios_count, file);
}

const char *scenario_bundled_names(void)
{
	return "default, tight";
}

Scenario *scenario_load_named(const char *name, KvError *err)
{
	const struct blob *b = bundled_scenario(name);
	if (!b) {
		kv_error_set(err, EX_NOINPUT,
			     "%s: not a bundled scenario (%s); to read a file, give a path such as ./%s",
			     name, scenario_bundled_names(), name);
		return NULL;
	}
	return scenario_parse(b->name, (const char *)b->data, b->size, err);
}

Scenario *scenario_load(const char *name_or_path, KvError *err)
{
	if (!name_or_path)
		return scenario_load_named("default", err);
	if (bundled_scenario(name_or_path) || !input_is_path(name_or_path))
		return scenario_load_named(name_or_path, err);
	return scenario_load_file(name_or_path, err);
}

void scenario_free(Scenario *s)
{
	if (!s)
		return;
	if (s->req)
		for (int i = 0; i < SERVE_MAX_REQUESTS; i++) {
			free(s->req[i].prompt_text);
			free(s->req[i].prompt);
		}
	free(s->req);
	model_free(s->model);
	free(s->model_name);
	free(s->name);
	free(s->source);
	free(s);
}
