"""Numpy reference for `gatemlp`: Y = (silu(X @ Wg) * (X @ Wu)) @ Wd.

Called by xpiler.verify.spec with every argument and shape symbol by name; computes in float64 and returns
the outputs by name (the harness casts them to the output dtype).
"""

import numpy as np


def gatemlp(*, X, Wg, Wu, Wd, **_):
    x, wg, wu, wd = (np.asarray(t, np.float64) for t in (X, Wg, Wu, Wd))
    g = x @ wg
    hidden = g / (1.0 + np.exp(-g)) * (x @ wu)
    return {"Y": hidden @ wd}
