#include "schedule.h"

bool schedule_span(Mode mode, int step, int prompt_n, int *lo, int *hi)
{
	switch (mode) {
	case MODE_NOCACHE: /* recompute everything up to t */
		*lo = 1, *hi = step;
		return true;
	case MODE_PREFILL:
		if (step <= prompt_n) { /* one pass over the whole prompt */
			*lo = 1, *hi = prompt_n;
			return step == 1;
		}
		/* then decode like the cache mode */
		*lo = step, *hi = step;
		return true;
	case MODE_CACHE: /* only the new column; K, V before it are cached */
		*lo = step, *hi = step;
		return true;
	case MODE_COUNT:
		break;
	}
	*lo = *hi = 0;
	return false;
}

bool schedule_teaching(Mode mode, int step, int prompt_n, const int *tokens,
		       SchedulePass *out)
{
	int lo, hi;
	out->n = 0;
	if (!schedule_span(mode, step, prompt_n, &lo, &hi))
		return false;
	out->chunk[0] = (PassChunk){ .seq = 1, .lo = lo, .hi = hi,
				     .tokens = tokens };
	out->n = 1;
	return true;
}
