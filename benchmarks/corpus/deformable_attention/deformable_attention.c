// deformable_attention: single-scale multi-scale-deformable-attention sampling.
//   out[b, q, h*DH + d] = sum over p < P of attn[b, q, h, p] * bilinear(value[b, :, h, d], x, y)
// where value[b, y*WV + x, h, :] is pixel (y, x) of an HV x WV map, x = loc[b, q, h, p, 0]*WV - 0.5 and
// y = loc[b, q, h, p, 1]*HV - 0.5; a neighbour pixel outside the map contributes zero.
// value [B, HV*WV, NH, DH], loc [B, LQ, NH, P, 2], attn [B, LQ, NH, P], out [B, LQ, NH*DH]; float32.
#define B 1
#define HV 16
#define WV 16
#define NH 4
#define DH 32
#define LQ 64
#define P 4

extern "C" void deformable_attention_kernel(const float* value, const float* loc, const float* attn, float* out) {
  for (int b = 0; b < B; ++b) {
    for (int q = 0; q < LQ; ++q) {
      for (int h = 0; h < NH; ++h) {
        float* o = out + ((b * LQ + q) * NH + h) * DH;
        for (int d = 0; d < DH; ++d) {
          o[d] = 0.0f;
        }
        for (int p = 0; p < P; ++p) {
          const int s = ((b * LQ + q) * NH + h) * P + p;
          const float x = loc[s * 2 + 0] * WV - 0.5f;
          const float y = loc[s * 2 + 1] * HV - 0.5f;
          const float a = attn[s];
          const int x0 = (int)floorf(x);
          const int y0 = (int)floorf(y);
          const float fx = x - x0;
          const float fy = y - y0;
          for (int dy = 0; dy < 2; ++dy) {
            for (int dx = 0; dx < 2; ++dx) {
              const int cx = x0 + dx;
              const int cy = y0 + dy;
              if (cx < 0 || cx >= WV || cy < 0 || cy >= HV) continue;
              const float w = a * (dx ? fx : 1.0f - fx) * (dy ? fy : 1.0f - fy);
              const float* v = value + ((b * HV * WV + cy * WV + cx) * NH + h) * DH;
              for (int d = 0; d < DH; ++d) {
                o[d] += w * v[d];
              }
            }
          }
        }
      }
    }
  }
}
