"""Numpy reference for `mha`: multi-head attention, [B, H, S, D], no mask.

Called by xpiler.verify.spec with every argument and shape symbol by name; computes in float64 and returns
the outputs by name (the harness casts them to the output dtype).
"""

import numpy as np


def _attention(q, k, v):
    """softmax(q @ k^T / sqrt(d)) @ v over the last two axes."""
    s = q @ np.swapaxes(k, -1, -2) / np.sqrt(q.shape[-1])
    p = np.exp(s - s.max(axis=-1, keepdims=True))
    p /= p.sum(axis=-1, keepdims=True)
    return p @ v


def mha(*, Q, K, V, **_):
    q, k, v = (np.asarray(t, np.float64) for t in (Q, K, V))
    return {"O": _attention(q, k, v)}
