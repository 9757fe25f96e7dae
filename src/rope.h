#ifndef KVSTEP_ROPE_H
#define KVSTEP_ROPE_H
/*
 * Rotary positions (RoPE), interleaved pairs as in RoFormer: rows (1,2),
 * (3,4), ... of a d_k column form pairs; pair i (1-based) of the column at
 * position p turns by the angle
 *
 *   a = (p − 1)·θᵢ,   θᵢ = BASE^(−2(i−1)/d_k),
 *
 *   v'₂ᵢ₋₁ = v₂ᵢ₋₁·cos a − v₂ᵢ·sin a,   v'₂ᵢ = v₂ᵢ₋₁·sin a + v₂ᵢ·cos a,
 *
 * so position 1 is not rotated. The engine turns every query and key right
 * after projection, in every layer and head; the cache stores the turned
 * key once and never turns it again, except in a context shift
 * (rope_shift.h), which turns the kept keys back by the positions dropped.
 * Since a rotation keeps dot products of equal turns, a score depends on the
 * distance between query and key only: rope_rotate(q, p + d)·rope_rotate(k,
 * p) is the same for every p (up to rounding).
 *
 * Every function computes the angle as (double)(p − 1)·θᵢ, then cos and
 * sin of it, in one fixed order, so the same inputs give the same bits.
 */

/* θᵢ of pair i (1-based) of a d_k column: base^(−2(i−1)/d_k). */
double rope_theta(double base, int d_k, int pair);

/* The angle of pair i at position p: (p − 1)·θᵢ (radians). */
double rope_angle(double base, int d_k, int pair, int pos);

/* Turns the d_k values of v (d_k even) in place by `steps` positions:
 * pair i by steps·θᵢ. steps may be negative (a context shift). */
void rope_turn(double *v, int d_k, double base, int steps);

/* Turns v in place as the column at position p (1-based): p − 1 steps. */
void rope_rotate(double *v, int d_k, double base, int pos);

#endif
