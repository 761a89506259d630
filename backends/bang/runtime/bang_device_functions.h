// Stand-in for the Cambricon header <bang_device_functions.h> (see xp_bang.h).
#pragma once
#include "xp_bang.h"
