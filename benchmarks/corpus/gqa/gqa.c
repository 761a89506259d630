// gqa (grouped-query attention, no mask): query head h attends with key/value head g = h / (HQ / HKV):
//   O[b, h] = softmax(Q[b, h] @ K[b, g]^T / sqrt(D)) @ V[b, g]
// Q, O are [B, HQ, S, D]; K, V are [B, HKV, S, D]; row-major, float32.
#define B 1
#define HQ 8
#define HKV 2
#define S 64
#define D 64

extern "C" void gqa_kernel(const float* Q, const float* K, const float* V, float* O) {
  const float scale = 1.0f / sqrtf((float)D);
  const int group = HQ / HKV;
  float p[S];
  for (int b = 0; b < B; ++b) {
    for (int h = 0; h < HQ; ++h) {
      const int g = h / group;
      const float* q = Q + (b * HQ + h) * S * D;
      const float* k = K + (b * HKV + g) * S * D;
      const float* v = V + (b * HKV + g) * S * D;
      float* o = O + (b * HQ + h) * S * D;
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
}
