"""Numpy reference for `layernorm`: layer norm over the last axis (biased variance).

Called by xpiler.verify.spec with every argument and shape symbol by name; computes in float64 and returns
the outputs by name (the harness casts them to the output dtype).
"""

import numpy as np


def layernorm(*, X, gamma, beta, eps, **_):
    x = np.asarray(X, np.float64)
    mean = x.mean(axis=-1, keepdims=True)
    var = ((x - mean) ** 2).mean(axis=-1, keepdims=True)
    return {"Y": (x - mean) / np.sqrt(var + eps) * np.asarray(gamma, np.float64) + np.asarray(beta, np.float64)}
