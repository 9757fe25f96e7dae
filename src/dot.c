#include "dot.h"

#include <math.h>

double dot(const double *a, const double *b, int n)
{
	double s[8] = { 0 };
	int i = 0;
	for (; i + 8 <= n; i += 8)
		for (int k = 0; k < 8; k++)
			s[k] += a[i + k] * b[i + k];
	for (int k = 0; i + k < n; k++)
		s[k] += a[i + k] * b[i + k];
	return ((s[0] + s[1]) + (s[2] + s[3])) + ((s[4] + s[5]) + (s[6] + s[7]));
}

void axpy(double *y, double alpha, const double *x, int n)
{
	for (int i = 0; i < n; i++)
		y[i] += alpha * x[i];
}

void matvec(double *y, const double *w, const double *x, int rows, int cols)
{
	for (int r = 0; r < rows; r++)
		y[r] = dot(w + (long)r * cols, x, cols);
}

void softmax(double *p, const double *s, int n)
{
	double max = s[0];
	for (int i = 1; i < n; i++)
		if (s[i] > max)
			max = s[i];
	double sum = 0.0;
	for (int i = 0; i < n; i++) {
		p[i] = exp(s[i] - max);
		sum += p[i];
	}
	for (int i = 0; i < n; i++)
		p[i] /= sum;
}

int argmax(const double *v, int n)
{
	int best = 0;
	for (int i = 1; i < n; i++)
		if (v[i] > v[best])
			best = i;
	return best;
}
