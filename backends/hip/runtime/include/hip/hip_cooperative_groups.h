// Stand-in for <hip/hip_cooperative_groups.h> in the xpiler CPU executor.
#pragma once
#include "xp_hip.h"
#include "xp_simt_cg.h"
