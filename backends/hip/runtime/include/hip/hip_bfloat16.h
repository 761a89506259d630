// Stand-in for <hip/hip_bfloat16.h> (the older HIP header of hip_bfloat16) in the xpiler CPU executor.
#pragma once
#include "xp_hip.h"
