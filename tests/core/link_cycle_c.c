#include "link_cycle.h"

int link_cycle_c(int n) { return link_cycle_a(n); }
