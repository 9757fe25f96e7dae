#include "link_cycle.h"

int link_cycle_a(int n) { return n <= 0 ? link_cycle_d(n) : link_cycle_b(n - 1); }
