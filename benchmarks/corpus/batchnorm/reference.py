"""Numpy reference for `batchnorm`: inference batch norm over the channel axis of NHWC.

Called by xpiler.verify.spec with every argument and shape symbol by name; computes in float64 and returns
the outputs by name (the harness casts them to the output dtype).
"""

import numpy as np


def batchnorm(*, X, mean, var, gamma, beta, eps, **_):
    x = np.asarray(X, np.float64)
    mu, v, g, b = (np.asarray(t, np.float64) for t in (mean, var, gamma, beta))
    return {"Y": (x - mu) / np.sqrt(v + eps) * g + b}
