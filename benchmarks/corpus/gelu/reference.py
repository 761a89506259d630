"""Numpy reference for `gelu`: Y = gelu(X), the tanh approximation.

Called by xpiler.verify.spec with every argument and shape symbol by name; computes in float64 and returns
the outputs by name (the harness casts them to the output dtype).
"""

import numpy as np


def gelu(*, X, **_):
    x = np.asarray(X, np.float64)
    inner = np.sqrt(2.0 / np.pi) * (x + 0.044715 * x**3)
    return {"Y": 0.5 * x * (1.0 + np.tanh(inner))}
