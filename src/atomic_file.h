#ifndef KVSTEP_ATOMIC_FILE_H
#define KVSTEP_ATOMIC_FILE_H
/*
 * Output files that appear whole or not at all: write to a temporary file in
 * the same directory, fsync it, then rename it over the target. A failed
 * write leaves any existing file untouched and no partial file behind.
 */
#include <stdio.h>

#include "kv_error.h"

typedef struct AtomicFile {
	FILE *fp;       /* write here */
	char *path;     /* the target */
	char *tmp_path; /* the temporary name, NULL for stdout */
} AtomicFile;

/*
 * Opens `path` for writing through a temporary file beside the file that
 * will be replaced (the end of a chain of symlinks, keeping the links, even
 * when that file does not exist yet), with that file's permissions. "-" or
 * NULL means stdout, and a device or FIFO (`-o /dev/full`) is written in
 * place: there is nothing to rename over. A FIFO with no reader after 10 s
 * (or a signal) is refused rather than waited on forever.
 * Returns 0, or: EX_USAGE for an empty `path`; EX_CANTCREAT with `err` set
 * when the directory is missing or not writable, `path` is a directory, a
 * FIFO has no reader, or a symlink loops.
 */
int atomic_open(AtomicFile *af, const char *path, KvError *err);

/*
 * Flushes, fsyncs and renames into place. Returns 0, or EX_IOERR (disk full,
 * a failed write) after removing the temporary file. Always closes.
 */
int atomic_commit(AtomicFile *af, KvError *err);

/* Closes and removes the temporary file; the target is left as it was. */
void atomic_abort(AtomicFile *af);

/*
 * Ends a write whose writer returned `rc`: aborts when rc is not 0 (and
 * returns it) or when an interrupt was caught meanwhile (EX_TEMPFAIL,
 * "interrupted"), else commits. Every exporter ends this way.
 */
int atomic_finish(AtomicFile *af, int rc, KvError *err);

#endif
