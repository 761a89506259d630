"""Numpy reference for `sumpool`: sum pooling, NHWC, no padding.

Called by xpiler.verify.spec with every argument and shape symbol by name; computes in float64 and returns
the outputs by name (the harness casts them to the output dtype).
"""

import numpy as np


def _windows(x, KH, KW, SH, SW):
    """[N, HO, WO, C, KH*KW]: every pooling window of an NHWC tensor (no padding)."""
    n, h, w, c = x.shape
    ho, wo = (h - KH) // SH + 1, (w - KW) // SW + 1
    taps = [
        x[:, kh : kh + SH * (ho - 1) + 1 : SH, kw : kw + SW * (wo - 1) + 1 : SW, :]
        for kh in range(KH)
        for kw in range(KW)
    ]
    return np.stack(taps, axis=-1)


def sumpool(*, X, KH, KW, SH, SW, **_):
    return {"Y": _windows(np.asarray(X, np.float64), KH, KW, SH, SW).sum(axis=-1)}
