#include "kv_error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "text_visible.h"

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
	/*
	 * Messages quote outside text (file names, prompt words, CSV fields):
	 * keep its control characters visible, so no message can drive the
	 * terminal it is printed on.
	 */
	if (!text_visible_is_clean(e->msg)) {
		char vis[sizeof e->msg];
		text_visible(e->msg, vis, sizeof vis);
		memcpy(e->msg, vis, sizeof vis);
	}
	e->code = code;
	return code;
}
