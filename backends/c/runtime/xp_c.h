// Runtime for plain C kernels (dialect "c"): the headers a C kernel file may rely on without #include
// lines (as in the public benchmarks), compiled as C++ so that `extern "C"` entries work.
#pragma once
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <float.h>
#include <limits.h>

#include <algorithm>
#include <cmath>

#include "xp_rt.h"

using std::max;
using std::min;
