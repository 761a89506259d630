"""Numpy reference for `conv1d`: NCL convolution, no padding, stride S.

Called by xpiler.verify.spec with every argument and shape symbol by name; computes in float64 and returns
the outputs by name (the harness casts them to the output dtype).
"""

import numpy as np


def conv1d(*, X, W, KW, S, **_):
    x, w = np.asarray(X, np.float64), np.asarray(W, np.float64)
    lo = (x.shape[2] - KW) // S + 1
    y = np.zeros((x.shape[0], w.shape[0], lo))
    for k in range(KW):
        window = x[:, :, k : k + S * (lo - 1) + 1 : S]  # [N, CI, LO]
        y += np.einsum("ncl,oc->nol", window, w[:, :, k])
    return {"Y": y}
