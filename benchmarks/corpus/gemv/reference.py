"""Numpy reference for `gemv`: y = A @ x.

Called by xpiler.verify.spec with every argument and shape symbol by name; computes in float64 and returns
the outputs by name (the harness casts them to the output dtype).
"""

import numpy as np


def gemv(*, A, x, **_):
    return {"y": np.asarray(A, np.float64) @ np.asarray(x, np.float64)}
