/* The benchmark's SGD step written plainly in C, the honest baseline for exprun's loop: built
 * with -O3 -march=native (bench/run.sh), and the same arithmetic as a run of
 * bench/sgd_logistic.yaml, no more: per step a minibatch of 32 indices drawn with replacement,
 * all 32 margins first, then per row one exp shared by the loss and its derivative
 * (softplus(t) = max(t,0) + log1p(e), sigmoid from the same e = exp(-|t|): the minibatch loss
 * is part of exprun's step too), an axpy of the row into g = l2 w + mean gradient, and
 * w -= lr g. Prints steps per second. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static uint64_t s[4] = {1, 2, 3, 4};
static inline uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
static inline uint64_t next(void) {
    uint64_t r = rotl(s[1] * 5, 7) * 9, t = s[1] << 17;
    s[2] ^= s[0]; s[3] ^= s[1]; s[1] ^= s[2]; s[0] ^= s[3]; s[2] ^= t; s[3] = rotl(s[3], 45);
    return r;
}
static inline double normal(void) {
    double u1 = ((next() >> 11) + 1) * 0x1.0p-53, u2 = (next() >> 11) * 0x1.0p-53;
    return sqrt(-2 * log(u1)) * cos(2 * M_PI * u2);
}

int main(int argc, char **argv) {
    const int n = 20000, d = 100, batch = 32;
    const int steps = argc > 1 ? atoi(argv[1]) : 20000;
    const double lr = 0.1, l2 = 1e-4;
    double *X = malloc(sizeof(double) * n * d), *y = malloc(sizeof(double) * n);
    double *w = calloc(d, sizeof(double)), *g = malloc(sizeof(double) * d);
    for (int i = 0; i < n; i++) {
        y[i] = (next() & 1) ? 1.0 : -1.0;
        for (int j = 0; j < d; j++) X[i * d + j] = normal() + (j == 0 ? y[i] : 0);
    }
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    double total = 0;
    const double inv = 1.0 / batch;
    double margins[32];
    int rows[32];
    for (int t = 0; t < steps; t++) {
        for (int j = 0; j < d; j++) g[j] = l2 * w[j];
        for (int b = 0; b < batch; b++) {
            int i = (int)(((__uint128_t)next() * n) >> 64);
            const double *a = X + (size_t)i * d;
            double m = 0;
            for (int j = 0; j < d; j++) m += a[j] * w[j];
            rows[b] = i;
            margins[b] = m;
        }
        double loss = 0;
        for (int b = 0; b < batch; b++) {
            int i = rows[b];
            double tt = -y[i] * margins[b], e = exp(-fabs(tt));
            double sig = tt >= 0 ? 1 / (1 + e) : e / (1 + e);
            loss += (tt > 0 ? tt : 0) + log1p(e);
            double c = (-y[i] * sig) * inv;
            const double *a = X + (size_t)i * d;
            if (c != 0) for (int j = 0; j < d; j++) g[j] += c * a[j];
        }
        for (int j = 0; j < d; j++) w[j] -= lr * g[j];
        total += loss / batch;
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double secs = (t1.tv_sec - t0.tv_sec) + 1e-9 * (t1.tv_nsec - t0.tv_nsec);
    printf("%.1f\n", steps / secs);
    fprintf(stderr, "checksum %g\n", total + w[0]);
    return 0;
}
