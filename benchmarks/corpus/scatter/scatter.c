// scatter rows (axis 0): Y[idx[i], :] = X[i, :]; X [NI, D], idx [NI] int32 (distinct rows < M), Y [M, D].
// Rows of Y that no index names keep their values. float32.
#define M 256
#define D 64
#define NI 128

extern "C" void scatter_kernel(const float* X, const int32_t* idx, float* Y) {
  for (int i = 0; i < NI; ++i) {
    float* dst = Y + idx[i] * D;
    for (int d = 0; d < D; ++d) {
      dst[d] = X[i * D + d];
    }
  }
}
