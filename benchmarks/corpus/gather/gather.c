// gather rows (axis 0): Y[i, :] = X[idx[i], :]; X [M, D], idx [NI] int32, Y [NI, D], float32.
#define M 256
#define D 64
#define NI 128

extern "C" void gather_kernel(const float* X, const int32_t* idx, float* Y) {
  for (int i = 0; i < NI; ++i) {
    const float* src = X + idx[i] * D;
    for (int d = 0; d < D; ++d) {
      Y[i * D + d] = src[d];
    }
  }
}
