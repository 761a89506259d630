"""Numpy reference for `depthwise_conv`: NHWC depthwise convolution, filter [KH, KW, C], no padding, stride S.

Called by xpiler.verify.spec with every argument and shape symbol by name; computes in float64 and returns
the outputs by name (the harness casts them to the output dtype).
"""

import numpy as np


def depthwise_conv(*, X, Wt, KH, KW, S, **_):
    x, w = np.asarray(X, np.float64), np.asarray(Wt, np.float64)
    n, h, wd, c = x.shape
    ho, wo = (h - KH) // S + 1, (wd - KW) // S + 1
    y = np.zeros((n, ho, wo, c))
    for kh in range(KH):
        for kw in range(KW):
            y += x[:, kh : kh + S * (ho - 1) + 1 : S, kw : kw + S * (wo - 1) + 1 : S, :] * w[kh, kw, :]
    return {"Y": y}
