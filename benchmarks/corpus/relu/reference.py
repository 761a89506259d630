"""Numpy reference for `relu`: Y = max(X, 0).

Called by xpiler.verify.spec with every argument and shape symbol by name; computes in float64 and returns
the outputs by name (the harness casts them to the output dtype).
"""

import numpy as np


def relu(*, X, **_):
    return {"Y": np.maximum(np.asarray(X, np.float64), 0.0)}
