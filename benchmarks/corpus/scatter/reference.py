"""Numpy reference for `scatter`: Y[idx[i]] = X[i]; other rows of Y unchanged.

Called by xpiler.verify.spec with every argument and shape symbol by name; computes in float64 and returns
the outputs by name (the harness casts them to the output dtype).
"""

import numpy as np


def scatter(*, X, idx, Y, **_):
    out = np.array(Y, np.float64)
    out[np.asarray(idx, np.int64)] = np.asarray(X, np.float64)
    return {"Y": out}
