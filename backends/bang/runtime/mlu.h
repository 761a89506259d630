// Stand-in for the Cambricon header <mlu.h>: everything it would declare comes from the xpiler BANG runtime.
#pragma once
#include "xp_bang.h"
