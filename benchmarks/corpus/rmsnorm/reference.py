"""Numpy reference for `rmsnorm`: RMS norm over the last axis.

Called by xpiler.verify.spec with every argument and shape symbol by name; computes in float64 and returns
the outputs by name (the harness casts them to the output dtype).
"""

import numpy as np


def rmsnorm(*, X, gamma, eps, **_):
    x = np.asarray(X, np.float64)
    rms = np.sqrt((x**2).mean(axis=-1, keepdims=True) + eps)
    return {"Y": x / rms * np.asarray(gamma, np.float64)}
