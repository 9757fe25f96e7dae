#include "link_cycle.h"

int link_cycle_d(int n) { return n; }
