#ifndef KVSTEP_SERVE_CLI_H
#define KVSTEP_SERVE_CLI_H
/*
 * `kvstep serve [SCENARIO] [OPTIONS]`: argv starts at the word "serve".
 * Prints to `out` (help, --summary, an export to stdout) and errors as
 * "kvstep: ..." to `err`; returns the exit status (sysexits).
 */
#include <stdio.h>

int serve_main(int argc, char **argv, FILE *out, FILE *err);

#endif
