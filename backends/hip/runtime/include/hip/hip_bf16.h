// Stand-in for <hip/hip_bf16.h> in the xpiler CPU executor: everything lives in xp_hip.h.
#pragma once
#include "xp_hip.h"
