// sin (vnni dialect): Y[i] = sin(X[i]), float32.
// AVX-512 has no sine instruction (and we do not rely on SVML), so this is a scalar libm loop that the
// compiler may unroll; one pass over the data.
#include <immintrin.h>
#include <math.h>
#include <stdint.h>

#define N 4096

extern "C" void sin_kernel(const float* X, float* Y) {
  for (int i = 0; i < N; ++i)
    Y[i] = sinf(X[i]);
}
