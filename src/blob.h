#ifndef KVSTEP_BLOB_H
#define KVSTEP_BLOB_H
/*
 * Data files compiled into the binary by the build-time tool kvstep-embed.
 * `data` ends with a NUL byte that `size` does not count, so a text blob is
 * also a C string.
 */
#include <stddef.h>

struct blob {
	const char *name;          /* file's base name, e.g. "default.ini" */
	const unsigned char *data; /* size bytes, then a NUL */
	size_t size;
};

/* Returns the blob called `name` in `set` (of `count`), or NULL. */
const struct blob *blob_find(const struct blob *set, size_t count,
			     const char *name);

#endif
