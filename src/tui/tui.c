#include "tui.h"

#include "tui_term.h"

int tui_run(const Trace *t, const TuiOptions *o, KvError *err)
{
	if (tui_term_check(err))
		return err->code;
	return tui_term_run(t, o, err);
}
