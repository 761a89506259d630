"""Numpy reference for `instancenorm`: instance norm of NCHW over H, W (biased variance).

Called by xpiler.verify.spec with every argument and shape symbol by name; computes in float64 and returns
the outputs by name (the harness casts them to the output dtype).
"""

import numpy as np


def instancenorm(*, X, gamma, beta, eps, **_):
    x = np.asarray(X, np.float64)
    mean = x.mean(axis=(2, 3), keepdims=True)
    var = ((x - mean) ** 2).mean(axis=(2, 3), keepdims=True)
    g = np.asarray(gamma, np.float64)[None, :, None, None]
    b = np.asarray(beta, np.float64)[None, :, None, None]
    return {"Y": (x - mean) / np.sqrt(var + eps) * g + b}
