// gatemlp (gated MLP, SwiGLU form): Y = (silu(X @ Wg) * (X @ Wu)) @ Wd, silu(z) = z / (1 + exp(-z))
// X [M, E], Wg [E, F], Wu [E, F], Wd [F, E], Y [M, E]; row-major, float32.
#define M 64
#define E 128
#define F 256

extern "C" void gatemlp_kernel(const float* X, const float* Wg, const float* Wu, const float* Wd, float* Y) {
  float hidden[F];
  for (int m = 0; m < M; ++m) {
    const float* x = X + m * E;
    for (int f = 0; f < F; ++f) {
      float gate = 0.0f;
      float up = 0.0f;
      for (int e = 0; e < E; ++e) {
        gate += x[e] * Wg[e * F + f];
        up += x[e] * Wu[e * F + f];
      }
      hidden[f] = gate / (1.0f + expf(-gate)) * up;
    }
    for (int e = 0; e < E; ++e) {
      float acc = 0.0f;
      for (int f = 0; f < F; ++f) {
        acc += hidden[f] * Wd[f * E + e];
      }
      Y[m * E + e] = acc;
    }
  }
}
