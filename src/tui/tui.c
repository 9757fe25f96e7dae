#include "tui.h"

int tui_run(const Trace *t, const TuiOptions *o, KvError *err)
{
	(void)t;
	(void)o;
	return kv_error_set(err, EX_UNAVAILABLE, "the terminal UI is not built yet");
}
