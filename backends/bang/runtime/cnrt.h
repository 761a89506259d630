// Stand-in for the Cambricon header <cnrt.h>: everything it would declare comes from the xpiler BANG runtime.
#pragma once
#include "xp_bang.h"
