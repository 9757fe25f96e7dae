#ifndef KVSTEP_DOT_H
#define KVSTEP_DOT_H
/*
 * The arithmetic kernels every mode shares. The three modes are bit-identical
 * only because each number is produced by exactly these routines, with the
 * summation order written down here and nowhere else.
 */

/*
 * Dot product of a[0..n) and b[0..n).
 *
 * Order: eight partial sums, s[k] accumulates terms i ≡ k (mod 8) in rising
 * i; they are combined as ((s0+s1)+(s2+s3)) + ((s4+s5)+(s6+s7)). The order
 * is fixed by the code, not the compiler, so it can vectorise without
 * -ffast-math and still give the same bits in every mode. For n ≤ 8 the
 * result is ((a0b0 + a1b1) + (a2b2 + a3b3)) + ..., which is exact for the
 * small integers of the classroom model.
 */
double dot(const double *a, const double *b, int n);

/* y[0..n) += alpha * x[0..n), element by element (no reduction). */
void axpy(double *y, double alpha, const double *x, int n);

/*
 * Matrix-vector product y = W·x for W of shape (rows, cols), row-major, so
 * y[r] = dot(W + r*cols, x, cols).
 */
void matvec(double *y, const double *w, const double *x, int rows, int cols);

/*
 * Softmax of s[0..n) into p[0..n), stably: subtract the maximum, exponentiate
 * with libm's exp, sum in rising index order, divide. n ≥ 1.
 */
void softmax(double *p, const double *s, int n);

/* Index of the largest of v[0..n); a tie goes to the lowest index. */
int argmax(const double *v, int n);

#endif
