"""Numpy reference for `concat`: C = [A, B] along the last axis.

Called by xpiler.verify.spec with every argument and shape symbol by name; computes in float64 and returns
the outputs by name (the harness casts them to the output dtype).
"""

import numpy as np


def concat(*, A, B, **_):
    return {"C": np.concatenate([np.asarray(A, np.float64), np.asarray(B, np.float64)], axis=-1)}
