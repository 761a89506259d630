// gqa: grouped-query attention, O[b, h] = softmax(Q[b, h] @ K[b, g]^T / sqrt(D)) @ V[b, g] with
// g = h / (HQ / HKV) (consecutive query heads share a key/value head); Q, O [B, HQ, S, D], K, V [B, HKV, S, D],
// no mask; float32, both products on the CDNA matrix cores (__builtin_amdgcn_mfma_f32_16x16x4f32).
//
// One block of 4 waves (256 threads) per (batch, query head, 16-query tile), reading the K/V head of its
// group. The block stages its 16 x D tile of Q in LDS, then:
//   1. scores: wave w computes the 16x16 score tiles w, w + 4, ... of Q_tile @ K^T (lane l supplies
//      Q[l%16][k + l/16] and K[s0 + l%16][k + l/16]; item r is the score of query 4*(l/16) + r, key s0 + l%16);
//   2. softmax: one wave per row (max and sum by __shfl_xor butterflies across the 64-lane wavefront, scaled
//      by 1/sqrt(D)); the probabilities overwrite the scores in LDS;
//   3. output: wave w computes the 16x16 tiles w, w + 4, ... of P @ V and stores them to O.
// S and D are multiples of 16, HQ a multiple of HKV.
#include <hip/hip_runtime.h>

#define B 1
#define HQ 8
#define HKV 2
#define S 64
#define D 64

#define GROUP (HQ / HKV)  // query heads per key/value head
#define WAVE 64
#define T 16
#define WAVES 4
#define THREADS (WAVES * WAVE)

typedef float floatx4 __attribute__((ext_vector_type(4)));

__global__ void __launch_bounds__(THREADS) gqa_kernel(const float* __restrict__ Q, const float* __restrict__ K,
                                                      const float* __restrict__ V, float* __restrict__ O) {
  __shared__ float Qs[T][D + 1];
  __shared__ float Ps[T][S + 1];

  const int q0 = blockIdx.x * T, h = blockIdx.y, b = blockIdx.z;
  const int g = h / GROUP;
  const size_t qhead = ((size_t)b * HQ + h) * S * D;
  const size_t kvhead = ((size_t)b * HKV + g) * S * D;
  const float* Qh = Q + qhead;
  const float* Kh = K + kvhead;
  const float* Vh = V + kvhead;
  float* Oh = O + qhead;
  const int tid = threadIdx.x, wave = tid / WAVE, lane = tid % WAVE;
  const int li = lane % 16, lk = lane / 16;

  for (int i = tid; i < T * D; i += THREADS) Qs[i / D][i % D] = Qh[(size_t)(q0 + i / D) * D + i % D];
  __syncthreads();

  // 1. scores = Q_tile @ K_g^T
  for (int j = wave; j < S / T; j += WAVES) {
    floatx4 acc = {0.0f, 0.0f, 0.0f, 0.0f};
    for (int k0 = 0; k0 < D; k0 += 4) {
      const float a = Qs[li][k0 + lk];
      const float kt = Kh[(size_t)(j * T + li) * D + k0 + lk];
      acc = __builtin_amdgcn_mfma_f32_16x16x4f32(a, kt, acc, 0, 0, 0);
    }
    for (int r = 0; r < 4; ++r) Ps[4 * lk + r][j * T + li] = acc[r];
  }
  __syncthreads();

  // 2. row softmax of scores / sqrt(D), one wave per row
  const float scale = rsqrtf((float)D);
  for (int r = wave; r < T; r += WAVES) {
    float m = -INFINITY;
    for (int c = lane; c < S; c += WAVE) m = fmaxf(m, Ps[r][c]);
    for (int off = WAVE / 2; off > 0; off /= 2) m = fmaxf(m, __shfl_xor(m, off, WAVE));
    float sum = 0.0f;
    for (int c = lane; c < S; c += WAVE) {
      const float e = __expf((Ps[r][c] - m) * scale);
      Ps[r][c] = e;
      sum += e;
    }
    for (int off = WAVE / 2; off > 0; off /= 2) sum += __shfl_xor(sum, off, WAVE);
    const float inv = 1.0f / sum;
    for (int c = lane; c < S; c += WAVE) Ps[r][c] *= inv;
  }
  __syncthreads();

  // 3. O_tile = P @ V_g
  for (int j = wave; j < D / T; j += WAVES) {
    floatx4 acc = {0.0f, 0.0f, 0.0f, 0.0f};
    for (int k0 = 0; k0 < S; k0 += 4) {
      const float a = Ps[li][k0 + lk];
      const float v = Vh[(size_t)(k0 + lk) * D + j * T + li];
      acc = __builtin_amdgcn_mfma_f32_16x16x4f32(a, v, acc, 0, 0, 0);
    }
    for (int r = 0; r < 4; ++r) Oh[(size_t)(q0 + 4 * lk + r) * D + j * T + li] = acc[r];
  }
}

extern "C" void gqa(const float* Q, const float* K, const float* V, float* O) {
  const size_t nq = (size_t)B * HQ * S * D, nkv = (size_t)B * HKV * S * D;
  float *dQ, *dK, *dV, *dO;
  hipMalloc(&dQ, nq * sizeof(float));
  hipMalloc(&dK, nkv * sizeof(float));
  hipMalloc(&dV, nkv * sizeof(float));
  hipMalloc(&dO, nq * sizeof(float));
  hipMemcpy(dQ, Q, nq * sizeof(float), hipMemcpyHostToDevice);
  hipMemcpy(dK, K, nkv * sizeof(float), hipMemcpyHostToDevice);
  hipMemcpy(dV, V, nkv * sizeof(float), hipMemcpyHostToDevice);

  dim3 grid(S / T, HQ, B);
  gqa_kernel<<<grid, THREADS>>>(dQ, dK, dV, dO);

  hipMemcpy(O, dO, nq * sizeof(float), hipMemcpyDeviceToHost);
  hipFree(dQ);
  hipFree(dK);
  hipFree(dV);
  hipFree(dO);
}
