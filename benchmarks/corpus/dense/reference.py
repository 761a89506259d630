"""Numpy reference for `dense`: Y = X @ W^T + bias.

Called by xpiler.verify.spec with every argument and shape symbol by name; computes in float64 and returns
the outputs by name (the harness casts them to the output dtype).
"""

import numpy as np


def dense(*, X, W, bias, **_):
    x, w, b = (np.asarray(t, np.float64) for t in (X, W, bias))
    return {"Y": x @ w.T + b}
