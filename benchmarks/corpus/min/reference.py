"""Numpy reference for `min`: Y[m] = min(X[m, :]).

Called by xpiler.verify.spec with every argument and shape symbol by name; computes in float64 and returns
the outputs by name (the harness casts them to the output dtype).
"""

import numpy as np


def min(*, X, **_):
    return {"Y": np.asarray(X, np.float64).min(axis=-1)}
