#include "rows.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

char *join_rows(const char *const *rows)
{
	size_t n = 1;
	for (int i = 0; rows[i]; i++)
		n += strlen(rows[i]) + 1;
	char *s = malloc(n), *p = s;
	assert_non_null(s);
	for (int i = 0; rows[i]; i++) {
		size_t len = strlen(rows[i]);
		memcpy(p, rows[i], len);
		p[len] = '\n';
		p += len + 1;
	}
	*p = '\0';
	return s;
}
