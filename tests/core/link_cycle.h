#ifndef KVSTEP_TEST_LINK_CYCLE_H
#define KVSTEP_TEST_LINK_CYCLE_H
/*
 * A planted link-level cycle for link_cycles.sh to find: a -> b -> c -> a,
 * with d a leaf that a uses. The checker must report exactly a, b and c.
 */
int link_cycle_a(int n);
int link_cycle_b(int n);
int link_cycle_c(int n);
int link_cycle_d(int n);
#endif
