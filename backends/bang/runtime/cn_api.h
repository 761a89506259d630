// Stand-in for the Cambricon header <cn_api.h> (see xp_bang.h).
#pragma once
#include "xp_bang.h"
