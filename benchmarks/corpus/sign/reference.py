"""Numpy reference for `sign`: Y = sign(X), with sign(0) = 0.

Called by xpiler.verify.spec with every argument and shape symbol by name; computes in float64 and returns
the outputs by name (the harness casts them to the output dtype).
"""

import numpy as np


def sign(*, X, **_):
    return {"Y": np.sign(np.asarray(X, np.float64))}
