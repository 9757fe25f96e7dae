#ifndef KVSTEP_TEXT_VIEW_H
#define KVSTEP_TEXT_VIEW_H
/* A plain-text summary of a run: tokens and each mode's counters per step. */
#include <stdio.h>

#include "trace.h"

/* Writes the summary to `out`. Returns 0, or -1 on a write error. */
int text_view_summary(FILE *out, const Trace *t);

#endif
