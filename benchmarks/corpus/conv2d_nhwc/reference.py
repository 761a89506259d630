"""Numpy reference for `conv2d_nhwc`: NHWC input, OHWI filter, no padding, stride S.

Called by xpiler.verify.spec with every argument and shape symbol by name; computes in float64 and returns
the outputs by name (the harness casts them to the output dtype).
"""

import numpy as np


def conv2d_nhwc(*, X, Wt, KH, KW, S, **_):
    x, w = np.asarray(X, np.float64), np.asarray(Wt, np.float64)
    n, h, wd, _ci = x.shape
    ho, wo = (h - KH) // S + 1, (wd - KW) // S + 1
    y = np.zeros((n, ho, wo, w.shape[0]))
    for kh in range(KH):
        for kw in range(KW):
            window = x[:, kh : kh + S * (ho - 1) + 1 : S, kw : kw + S * (wo - 1) + 1 : S, :]  # [N, HO, WO, CI]
            y += np.einsum("nhwc,oc->nhwo", window, w[:, kh, kw, :])
    return {"Y": y}
