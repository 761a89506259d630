// Stand-in for <cuda_profiler_api.h> in the xpiler CPU executor: cudaProfilerStart / Stop live in xp_cuda.h.
#pragma once
#include "xp_cuda.h"
