#include "sheet.h"

int sheet_print(FILE *out, const Trace *t, char **names, int n,
		const SheetOptions *o, KvError *err)
{
	(void)out, (void)t, (void)names, (void)n, (void)o;
	return kv_error_set(err, EX_UNAVAILABLE, "worksheets are not built yet");
}
