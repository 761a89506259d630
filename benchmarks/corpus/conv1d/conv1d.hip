// conv1d: Y[n, co, l] = sum_{ci, k} X[n, ci, l*S + k] * W[co, ci, k]; NCL layout, no padding, stride S, float32.
//
// Direct convolution with shared-memory tiles. A block of 64 x 4 threads owns one batch item, TL = 64
// consecutive output positions and TCO = 16 output channels: thread (tx, ty) computes position l0 + tx for
// the 4 channels co0 + 4*ty .. co0 + 4*ty + 3. The reduction over input channels runs in chunks of CIC = 4
// (CI % 4 == 0): the block stages the input window X[n, ci0 .. ci0+3, l0*S .. l0*S + (TL-1)*S + KW - 1]
// (halo included) and the matching weights W[co0 .. co0+15, ci0 .. ci0+3, :] in shared memory, then every
// thread accumulates from shared memory. Positions past the output length and channels past CO are masked.
#include <hip/hip_runtime.h>

#define N 2
#define CI 32
#define L 128
#define CO 64
#define KW 3
#define S 1

#define LO ((L - KW) / S + 1)  // output length
#define TL 64                  // output positions per block (threadIdx.x)
#define CO_PER 4               // output channels per thread
#define TCO 16                 // output channels per block
#define CIC 4                  // input channels per shared-memory chunk
#define SPAN ((TL - 1) * S + KW)  // input positions a block's window covers
#define THREADS_Y (TCO / CO_PER)

__global__ void __launch_bounds__(TL * THREADS_Y) conv1d_kernel(const float* __restrict__ X,
                                                                const float* __restrict__ W,
                                                                float* __restrict__ Y) {
  __shared__ float Xs[CIC][SPAN];
  __shared__ float Ws[TCO][CIC][KW];

  const int tx = threadIdx.x, ty = threadIdx.y;
  const int tid = ty * TL + tx;
  const int l0 = blockIdx.x * TL, co0 = blockIdx.y * TCO, n = blockIdx.z;
  const int in0 = l0 * S;

  float acc[CO_PER];
  for (int j = 0; j < CO_PER; ++j) acc[j] = 0.0f;

  for (int ci0 = 0; ci0 < CI; ci0 += CIC) {
    for (int i = tid; i < CIC * SPAN; i += TL * THREADS_Y) {
      const int c = i / SPAN, p = i % SPAN;
      Xs[c][p] = (in0 + p < L) ? X[((size_t)n * CI + ci0 + c) * L + in0 + p] : 0.0f;
    }
    for (int i = tid; i < TCO * CIC * KW; i += TL * THREADS_Y) {
      const int co = i / (CIC * KW), c = (i / KW) % CIC, k = i % KW;
      Ws[co][c][k] = (co0 + co < CO) ? W[((co0 + co) * CI + ci0 + c) * KW + k] : 0.0f;
    }
    __syncthreads();
    for (int c = 0; c < CIC; ++c) {
      for (int k = 0; k < KW; ++k) {
        const float xv = Xs[c][tx * S + k];
        for (int j = 0; j < CO_PER; ++j) acc[j] += xv * Ws[ty * CO_PER + j][c][k];
      }
    }
    __syncthreads();
  }

  const int l = l0 + tx;
  if (l < LO) {
    for (int j = 0; j < CO_PER; ++j) {
      const int co = co0 + ty * CO_PER + j;
      if (co < CO) Y[((size_t)n * CO + co) * LO + l] = acc[j];
    }
  }
}

extern "C" void conv1d(const float* X, const float* W, float* Y) {
  float *dX, *dW, *dY;
  hipMalloc(&dX, (size_t)N * CI * L * sizeof(float));
  hipMalloc(&dW, (size_t)CO * CI * KW * sizeof(float));
  hipMalloc(&dY, (size_t)N * CO * LO * sizeof(float));
  hipMemcpy(dX, X, (size_t)N * CI * L * sizeof(float), hipMemcpyHostToDevice);
  hipMemcpy(dW, W, (size_t)CO * CI * KW * sizeof(float), hipMemcpyHostToDevice);

  dim3 block(TL, THREADS_Y);
  dim3 grid((LO + TL - 1) / TL, (CO + TCO - 1) / TCO, N);
  conv1d_kernel<<<grid, block>>>(dX, dW, dY);

  hipMemcpy(Y, dY, (size_t)N * CO * LO * sizeof(float), hipMemcpyDeviceToHost);
  hipFree(dX);
  hipFree(dW);
  hipFree(dY);
}
