// Stand-in for <cooperative_groups/reduce.h> in the xpiler CPU executor.
#pragma once
#include "xp_cuda.h"
#include "xp_simt_cg.h"
