/*
 * Producers (trace.h) and the value planes the trace keeps per producer
 * (trace_plane.h).
 */
#include "trace.h"
#include "trace_plane.h"

#include <stdlib.h>

Producer producer_make(ProducerModel model, ProducerKernel kernel)
{
	return (Producer)((int)model * PRODUCER_KERNEL_COUNT + (int)kernel);
}

ProducerModel producer_model(Producer p)
{
	return (ProducerModel)((int)p / PRODUCER_KERNEL_COUNT);
}

ProducerKernel producer_kernel(Producer p)
{
	return (ProducerKernel)((int)p % PRODUCER_KERNEL_COUNT);
}

const char *producer_name(Producer p)
{
	static const char *const names[PRODUCER_COUNT] = {
		[PRODUCER_TARGET_STANDARD] = "target/standard",
		[PRODUCER_TARGET_TILED] = "target/tiled",
		[PRODUCER_TARGET_QUANT] = "target/quant",
		[PRODUCER_DRAFT_STANDARD] = "draft/standard",
		[PRODUCER_DRAFT_TILED] = "draft/tiled",
		[PRODUCER_DRAFT_QUANT] = "draft/quant",
	};
	return (unsigned)p < PRODUCER_COUNT ? names[p] : "?";
}

Producer trace_mode_producer(Mode mode)
{
	(void)mode; /* all three teaching modes are one producer */
	return PRODUCER_TARGET_STANDARD;
}

TracePlane *trace_plane_new(const size_t cells[MAT_COUNT], size_t *bytes)
{
	TracePlane *p = calloc(1, sizeof *p);
	if (!p)
		return NULL;
	*bytes = sizeof *p;
	for (int k = 0; k < MAT_COUNT; k++) {
		size_t n = cells[k] ? cells[k] : 1;
		p->val[k] = calloc(n, sizeof *p->val[k]);
		p->set[k] = calloc(n, 1);
		if (!p->val[k] || !p->set[k]) {
			trace_plane_free(p);
			return NULL;
		}
		*bytes += cells[k] * (sizeof *p->val[k] + 1);
	}
	return p;
}

void trace_plane_free(TracePlane *p)
{
	if (!p)
		return;
	for (int k = 0; k < MAT_COUNT; k++) {
		free(p->val[k]);
		free(p->set[k]);
	}
	free(p);
}
