"""Numpy reference for `sigmoid`: Y = 1 / (1 + exp(-X)).

Called by xpiler.verify.spec with every argument and shape symbol by name; computes in float64 and returns
the outputs by name (the harness casts them to the output dtype).
"""

import numpy as np


def sigmoid(*, X, **_):
    x = np.asarray(X, np.float64)
    return {"Y": 1.0 / (1.0 + np.exp(-x))}
