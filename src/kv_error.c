#include "kv_error.h"

#include <stdarg.h>
#include <stdio.h>

void kv_error_clear(KvError *e)
{
	e->code = 0;
	e->msg[0] = '\0';
}

int kv_error_set(KvError *e, int code, const char *fmt, ...)
{
	if (!e || e->code != 0)
		return code;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof e->msg, fmt, ap);
	va_end(ap);
	e->code = code;
	return code;
}
