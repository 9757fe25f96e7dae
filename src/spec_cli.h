#ifndef KVSTEP_SPEC_CLI_H
#define KVSTEP_SPEC_CLI_H
/*
 * `kvstep spec [OPTIONS]`: argv starts at the word "spec". Prints to `out`
 * (help, --sample text) and errors as "kvstep: ..." to `err`; returns the
 * exit status (sysexits).
 */
#include <stdio.h>

int spec_main(int argc, char **argv, FILE *out, FILE *err);

#endif
