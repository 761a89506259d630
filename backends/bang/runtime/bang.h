// Stand-in for the Cambricon header <bang.h>: everything it would declare comes from the xpiler BANG runtime.
#pragma once
#include "xp_bang.h"
