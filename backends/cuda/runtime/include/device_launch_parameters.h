// Stand-in for <device_launch_parameters.h> in the xpiler CPU executor: everything lives in xp_cuda.h.
#pragma once
#include "xp_cuda.h"
