// Stand-in for <cuda.h> in the xpiler CPU executor: everything lives in xp_cuda.h.
#pragma once
#include "xp_cuda.h"
