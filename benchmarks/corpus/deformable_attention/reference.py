"""Numpy reference for `deformable_attention`: single-scale deformable attention (bilinear sampling, zero padding).

Called by xpiler.verify.spec with every argument and shape symbol by name; computes in float64 and returns
the outputs by name (the harness casts them to the output dtype).
"""

import numpy as np


def deformable_attention(*, value, loc, attn, HV, WV, **_):
    val = np.asarray(value, np.float64)  # [B, HV*WV, NH, DH]
    loc = np.asarray(loc, np.float64)  # [B, LQ, NH, P, 2] normalized (x, y)
    att = np.asarray(attn, np.float64)  # [B, LQ, NH, P]
    nb, _, nh, dh = val.shape
    lq, npts = loc.shape[1], loc.shape[3]
    x = loc[..., 0] * WV - 0.5
    y = loc[..., 1] * HV - 0.5
    x0, y0 = np.floor(x), np.floor(y)
    out = np.zeros((nb, lq, nh, dh))
    b_idx = np.arange(nb)[:, None, None, None]
    h_idx = np.arange(nh)[None, None, :, None]
    for dy in (0, 1):
        for dx in (0, 1):
            cx, cy = x0 + dx, y0 + dy
            wgt = (1.0 - np.abs(x - cx)) * (1.0 - np.abs(y - cy))  # bilinear weight of this corner
            inside = (cx >= 0) & (cx < WV) & (cy >= 0) & (cy < HV)
            pix = (np.clip(cy, 0, HV - 1) * WV + np.clip(cx, 0, WV - 1)).astype(np.int64)
            sample = val[b_idx, pix, h_idx]  # [B, LQ, NH, P, DH]
            coef = np.where(inside, wgt, 0.0) * att
            out += np.einsum("bqhp,bqhpd->bqhd", coef, sample)
    return {"out": out.reshape(nb, lq, nh * dh)}
