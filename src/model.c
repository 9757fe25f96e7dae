/*
 * Model files: the public loaders and the bundled models. [model] is read
 * in model_header.c, the weight sections in model_weights.c, with the
 * helpers of model_loader.c; words and tokens are model_vocab.c.
 */
#include "model.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "blob.h"
#include "ini_doc.h"
#include "input_file.h"
#include "model_loader.h"

extern const struct blob kv_bundled_models[];
extern const size_t kv_bundled_models_count;

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
	return "default, gqa, mqa, local-global, streaming, rope";
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
	free(m->sink_tokens);
	free(m);
}

int model_max_positions(const Model *m)
{
	return m->pos_n > 0 ? m->pos_n : KV_MAX_TOKENS;
}
