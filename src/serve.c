/* Serving simulation: stubs while the scheduler is written (serve.h). */
#include "serve.h"

#include <stdlib.h>

Scenario *scenario_parse(const char *source, const char *text, size_t len,
			 KvError *err)
{
	(void)text;
	(void)len;
	kv_error_set(err, EX_SOFTWARE, "%s: serving is not built yet", source);
	return NULL;
}
