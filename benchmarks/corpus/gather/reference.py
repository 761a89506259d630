"""Numpy reference for `gather`: Y[i] = X[idx[i]].

Called by xpiler.verify.spec with every argument and shape symbol by name; computes in float64 and returns
the outputs by name (the harness casts them to the output dtype).
"""

import numpy as np


def gather(*, X, idx, **_):
    return {"Y": np.asarray(X, np.float64)[np.asarray(idx, np.int64)]}
