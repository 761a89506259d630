"""Numpy reference for `sub`: C = A - B.

Called by xpiler.verify.spec with every argument and shape symbol by name; computes in float64 and returns
the outputs by name (the harness casts them to the output dtype).
"""

import numpy as np


def sub(*, A, B, **_):
    return {"C": np.asarray(A, np.float64) - np.asarray(B, np.float64)}
