"""Numpy reference for `mean`: Y[m] = mean(X[m, :]).

Called by xpiler.verify.spec with every argument and shape symbol by name; computes in float64 and returns
the outputs by name (the harness casts them to the output dtype).
"""

import numpy as np


def mean(*, X, **_):
    return {"Y": np.asarray(X, np.float64).mean(axis=-1)}
