#ifndef KVSTEP_INPUT_FILE_H
#define KVSTEP_INPUT_FILE_H
/*
 * Input files named on the command line (-m MODEL, answers TEMPLATE): one
 * rule to tell a bundled name from a file, and an open that never waits.
 */
#include <stdbool.h>
#include <stdio.h>

#include "kv_error.h"

/*
 * The rule for `-m NAME` and `answers NAME`: a bundled name (with or
 * without its extension) always means the bundled one; any other NAME is a
 * file when it has a '/' or an extension (a '.' after its last '/'), and an
 * unknown bundled name otherwise, even when a file of that name sits in the
 * current directory. So a file dropped into a shared directory cannot stand
 * in for `-m gqa`; write `./gqa` to mean it. This tells the last two apart.
 */
bool input_is_path(const char *name);

/*
 * Opens `path` for reading. It is opened without blocking and must be a
 * regular file: a FIFO, a device or a directory would block or never end.
 * Returns the stream, or NULL with `err` set: EX_NOINPUT with the reason
 * (strerror, or "not a regular file"), EX_OSERR when memory runs out.
 */
FILE *input_open(const char *path, KvError *err);

#endif
