"""Numpy reference for `softmax`: softmax over the last axis.

Called by xpiler.verify.spec with every argument and shape symbol by name; computes in float64 and returns
the outputs by name (the harness casts them to the output dtype).
"""

import numpy as np


def softmax(*, X, **_):
    x = np.asarray(X, np.float64)
    e = np.exp(x - x.max(axis=-1, keepdims=True))
    return {"Y": e / e.sum(axis=-1, keepdims=True)}
