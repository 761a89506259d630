#include <stdint.h>
#include <stddef.h>
#include <stdbool.h>

void transpose_fused(float* restrict out, const float* restrict in) {
  for (int32_t ax0_ax1_fused = 0; ax0_ax1_fused < 4096; ++ax0_ax1_fused) {
    out[ax0_ax1_fused] = in[((ax0_ax1_fused & 63) << 6) + (ax0_ax1_fused >> 6)];
  }
}

void blocked_copy(float* out, const float* in, int n) {
  bool odd = (n % 2) == 1;
  if (out == NULL || in == NULL) return;
  for (int i = 0; i < n; ++i) {
    out[i] = odd ? in[n - 1 - i] : in[(i / 4) * 4 + i % 4];
  }
}
