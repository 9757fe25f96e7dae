/*
 * Words and tokens: splitting text on blanks, a word's vocab index, and a
 * prompt as token ids. Used by the loader (model_header.c, model_weights.c)
 * and by the command line; it calls nothing of theirs.
 */
#include "model.h"

#include <ctype.h>
#include <string.h>

#include "model_loader.h"

/*
 * Copies the next blank-separated word of *p into buf (cut to size-1 bytes)
 * and advances *p past it. Returns the word's full length, 0 at the end.
 */
size_t model_next_word(const char **p, char *buf, size_t size)
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
	while (model_next_word(&p, word, sizeof word) > 0) {
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
