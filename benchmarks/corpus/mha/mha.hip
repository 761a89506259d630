// mha: O[b, h] = softmax(Q[b, h] @ K[b, h]^T / sqrt(D)) @ V[b, h]; Q, K, V, O are [B, H, S, D], no mask;
// float32, both products on the CDNA matrix cores (__builtin_amdgcn_mfma_f32_16x16x4f32).
//
// One block of 4 waves (256 threads) per (batch, head, 16-query tile). The block stages its 16 x D tile of Q
// in LDS, then:
//   1. scores: wave w computes the 16x16 score tiles w, w + 4, ... of Q_tile @ K^T: per k-step of 4, lane l
//      supplies Q[l%16][k + l/16] (from LDS) and K^T[k + l/16][l%16] = K[s0 + l%16][k + l/16]; item r of the
//      accumulator is the score of query 4*(l/16) + r and key s0 + l%16, stored to the LDS score block;
//   2. softmax: one wave per row over the 16 rows in LDS (max and sum by __shfl_xor butterflies across the
//      64-lane wavefront, scaled by 1/sqrt(D)); the probabilities overwrite the scores;
//   3. output: wave w computes the 16x16 tiles w, w + 4, ... of P @ V (lane l supplies P[l%16][k + l/16]
//      and V[k + l/16][d0 + l%16]) and stores them to O. S and D are multiples of 16.
#include <hip/hip_runtime.h>

#define B 1
#define H 4
#define S 64
#define D 64

#define WAVE 64
#define T 16  // MFMA tile (16x16, k = 4 per instruction) and query rows per block
#define WAVES 4
#define THREADS (WAVES * WAVE)

typedef float floatx4 __attribute__((ext_vector_type(4)));

__global__ void __launch_bounds__(THREADS) mha_kernel(const float* __restrict__ Q, const float* __restrict__ K,
                                                      const float* __restrict__ V, float* __restrict__ O) {
  __shared__ float Qs[T][D + 1];  // +1: the 16 lanes reading one column hit different banks
  __shared__ float Ps[T][S + 1];  // scores, then probabilities

  const int q0 = blockIdx.x * T, h = blockIdx.y, b = blockIdx.z;
  const size_t head = ((size_t)b * H + h) * S * D;
  const float* Qh = Q + head;
  const float* Kh = K + head;
  const float* Vh = V + head;
  float* Oh = O + head;
  const int tid = threadIdx.x, wave = tid / WAVE, lane = tid % WAVE;
  const int li = lane % 16, lk = lane / 16;

  for (int i = tid; i < T * D; i += THREADS) Qs[i / D][i % D] = Qh[(size_t)(q0 + i / D) * D + i % D];
  __syncthreads();

  // 1. scores = Q_tile @ K^T
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

  // 3. O_tile = P @ V
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

extern "C" void mha(const float* Q, const float* K, const float* V, float* O) {
  const size_t n = (size_t)B * H * S * D;
  float *dQ, *dK, *dV, *dO;
  hipMalloc(&dQ, n * sizeof(float));
  hipMalloc(&dK, n * sizeof(float));
  hipMalloc(&dV, n * sizeof(float));
  hipMalloc(&dO, n * sizeof(float));
  hipMemcpy(dQ, Q, n * sizeof(float), hipMemcpyHostToDevice);
  hipMemcpy(dK, K, n * sizeof(float), hipMemcpyHostToDevice);
  hipMemcpy(dV, V, n * sizeof(float), hipMemcpyHostToDevice);

  dim3 grid(S / T, H, B);
  mha_kernel<<<grid, THREADS>>>(dQ, dK, dV, dO);

  hipMemcpy(O, dO, n * sizeof(float), hipMemcpyDeviceToHost);
  hipFree(dQ);
  hipFree(dK);
  hipFree(dV);
  hipFree(dO);
}
