"""Numpy reference for `sin`: Y = sin(X).

Called by xpiler.verify.spec with every argument and shape symbol by name; computes in float64 and returns
the outputs by name (the harness casts them to the output dtype).
"""

import numpy as np


def sin(*, X, **_):
    return {"Y": np.sin(np.asarray(X, np.float64))}
