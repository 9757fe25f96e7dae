#ifndef KVSTEP_MEM_H
#define KVSTEP_MEM_H
#include <stdio.h>
int mem_main(int argc, char **argv, FILE *out, FILE *err);
#endif
