#include "rope.h"

#include <math.h>

double rope_theta(double base, int d_k, int pair)
{
	return pow(base, -2.0 * (double)(pair - 1) / (double)d_k);
}

double rope_angle(double base, int d_k, int pair, int pos)
{
	return (double)(pos - 1) * rope_theta(base, d_k, pair);
}

void rope_turn(double *v, int d_k, double base, int steps)
{
	if (steps == 0)
		return; /* position 1: exactly the projection, no rounding */
	for (int i = 1; 2 * i <= d_k; i++) {
		double a = (double)steps * rope_theta(base, d_k, i);
		double c = cos(a), s = sin(a);
		double x = v[2 * i - 2], y = v[2 * i - 1];
		v[2 * i - 2] = x * c - y * s;
		v[2 * i - 1] = x * s + y * c;
	}
}

void rope_rotate(double *v, int d_k, double base, int pos)
{
	rope_turn(v, d_k, base, pos - 1);
}
