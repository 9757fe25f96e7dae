#include "link_cycle.h"

int link_cycle_b(int n) { return link_cycle_c(n); }
