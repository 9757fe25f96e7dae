#include "blob.h"

#include <string.h>

const struct blob *blob_find(const struct blob *set, size_t count,
			     const char *name)
{
	for (size_t i = 0; i < count; i++)
		if (set[i].name && strcmp(set[i].name, name) == 0)
			return &set[i];
	return NULL;
}
