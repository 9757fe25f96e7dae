#ifndef KVSTEP_SHEET_BUNDLE_H
#define KVSTEP_SHEET_BUNDLE_H
/*
 * The bundled worksheet templates, compiled in by
 * kvstep-embed (worksheets_blob.c, generated at build time from the files
 * in worksheets/), in the order
 * `kvstep answers` prints them.
 */
#include <stddef.h>

#include "blob.h"

extern const struct blob kv_worksheets[];
extern const size_t kv_worksheets_count;

#endif
