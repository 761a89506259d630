// mha (self-attention, no mask): O[b, h] = softmax(Q[b, h] @ K[b, h]^T / sqrt(D)) @ V[b, h]
// Q, K, V, O are [B, H, S, D], row-major, float32.
#define B 1
#define H 4
#define S 64
#define D 64

extern "C" void mha_kernel(const float* Q, const float* K, const float* V, float* O) {
  const float scale = 1.0f / sqrtf((float)D);
  float p[S];
  for (int bh = 0; bh < B * H; ++bh) {
    const float* q = Q + bh * S * D;
    const float* k = K + bh * S * D;
    const float* v = V + bh * S * D;
    float* o = O + bh * S * D;
    for (int i = 0; i < S; ++i) {
      float row_max = -INFINITY;
      for (int j = 0; j < S; ++j) {
        float dot = 0.0f;
        for (int d = 0; d < D; ++d) {
          dot += q[i * D + d] * k[j * D + d];
        }
        p[j] = dot * scale;
        if (p[j] > row_max) row_max = p[j];
      }
      float total = 0.0f;
      for (int j = 0; j < S; ++j) {
        p[j] = expf(p[j] - row_max);
        total += p[j];
      }
      for (int d = 0; d < D; ++d) {
        float acc = 0.0f;
        for (int j = 0; j < S; ++j) {
          acc += p[j] * v[j * D + d];
        }
        o[i * D + d] = acc / total;
      }
    }
  }
}
