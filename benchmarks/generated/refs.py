"""Numpy references of the generated tier (importable without TVM).

Every function takes the case's input arrays (in argument order) and its size values as keywords, and returns
the list of output arrays (in argument order). The names are the `reference` field of the manifest.
"""

from __future__ import annotations

import math

import numpy as np

F32 = np.float32


def _f(x):
    return np.asarray(x, dtype=F32)


# ---- element-wise -----------------------------------------------------------------------------------------

def add(a, b, **_):
    return [_f(a + b)]


def sub(a, b, **_):
    return [_f(a - b)]


def mul(a, b, **_):
    return [_f(a * b)]


def div(a, b, **_):
    return [_f(a / b)]


def relu(a, **_):
    return [_f(np.maximum(a, 0))]


def leaky_relu(a, **_):
    return [_f(np.where(a > 0, a, a * F32(0.1)))]


def gelu(a, **_):
    erf = np.vectorize(math.erf)
    x = a.astype(np.float64)
    return [_f(0.5 * x * (1.0 + erf(x / math.sqrt(2.0))))]


def sigmoid(a, **_):
    return [_f(1.0 / (1.0 + np.exp(-a.astype(np.float64))))]


def tanh(a, **_):
    return [_f(np.tanh(a))]


def exp(a, **_):
    return [_f(np.exp(a))]


def silu(a, **_):
    x = a.astype(np.float64)
    return [_f(x / (1.0 + np.exp(-x)))]


def abs_(a, **_):
    return [_f(np.abs(a))]


def sqrt(a, **_):
    return [_f(np.sqrt(a))]


def rsqrt(a, **_):
    return [_f(1.0 / np.sqrt(a.astype(np.float64)))]


def clip(a, **_):
    return [_f(np.clip(a, -0.5, 0.5))]


def sign(a, **_):
    return [_f(np.sign(a))]


def sin(a, **_):
    return [_f(np.sin(a))]


def square(a, **_):
    return [_f(a * a)]


def where(c, a, b, **_):
    return [_f(np.where(c > 0, a, b))]


def cast_int(a, **_):
    return [np.trunc(a).astype(np.int32)]


def scale_bias(a, bias, **_):
    return [_f(a * F32(2.5) + bias[None, :])]


def bias_add_row(a, bias, **_):
    return [_f(a + bias[None, :])]


# ---- rows ----------------------------------------------------------------------------------------------------

def softmax(a, **_):
    x = a.astype(np.float64)
    e = np.exp(x - x.max(axis=1, keepdims=True))
    return [_f(e / e.sum(axis=1, keepdims=True))]


def log_softmax(a, **_):
    x = a.astype(np.float64)
    m = x.max(axis=1, keepdims=True)
    return [_f(x - m - np.log(np.exp(x - m).sum(axis=1, keepdims=True)))]


def layernorm(a, g, b, **_):
    x = a.astype(np.float64)
    mu = x.mean(axis=1, keepdims=True)
    var = x.var(axis=1, keepdims=True)
    return [_f((x - mu) / np.sqrt(var + 1e-5) * g[None, :] + b[None, :])]


def rmsnorm(a, g, **_):
    x = a.astype(np.float64)
    return [_f(x / np.sqrt((x * x).mean(axis=1, keepdims=True) + 1e-5) * g[None, :])]


def row_sum(a, **_):
    return [_f(a.astype(np.float64).sum(axis=1))]


def row_max(a, **_):
    return [_f(a.max(axis=1))]


def row_min(a, **_):
    return [_f(a.min(axis=1))]


def row_mean(a, **_):
    return [_f(a.astype(np.float64).mean(axis=1))]


def row_argmax(a, **_):
    return [a.argmax(axis=1).astype(np.int32)]


def cumsum(a, **_):
    return [_f(np.cumsum(a.astype(np.float64), axis=1))]


def transpose(a, **_):
    return [_f(a.T)]


def concat(a, b, **_):
    return [_f(np.concatenate([a, b], axis=1))]


def pad(a, **_):
    return [_f(np.pad(a, ((1, 1), (2, 2))))]


def total_sum(a, **_):
    return [_f([a.astype(np.float64).sum()])]


# ---- matrices ------------------------------------------------------------------------------------------------

def gemm(a, b, **_):
    return [_f(a.astype(np.float64) @ b.astype(np.float64))]


def bmm(a, b, **_):
    return [_f(np.matmul(a.astype(np.float64), b.astype(np.float64)))]


def gemv(a, x, **_):
    return [_f(a.astype(np.float64) @ x.astype(np.float64))]


def dense(a, w, **_):
    return [_f(a.astype(np.float64) @ w.astype(np.float64).T)]


# ---- convolution and pooling (NCHW) --------------------------------------------------------------------------

def _pad_hw(x, p):
    return np.pad(x, ((0, 0), (0, 0), (p, p), (p, p)))


def conv2d(x, wt, **_):
    x = _pad_hw(x.astype(np.float64), 1)
    n, c, h, wd = x.shape
    k, _, r, s = wt.shape
    ho, wo = h - r + 1, wd - s + 1
    out = np.zeros((n, k, ho, wo))
    for i in range(r):
        for j in range(s):
            out += np.einsum("nchw,kc->nkhw", x[:, :, i:i + ho, j:j + wo], wt[:, :, i, j].astype(np.float64))
    return [_f(out)]


def depthwise_conv2d(x, wt, **_):
    x = _pad_hw(x.astype(np.float64), 1)
    n, c, h, wd = x.shape
    _, _, r, s = wt.shape
    ho, wo = h - r + 1, wd - s + 1
    out = np.zeros((n, c, ho, wo))
    for i in range(r):
        for j in range(s):
            out += x[:, :, i:i + ho, j:j + wo] * wt[None, :, 0, i, j, None, None]
    return [_f(out)]


def _windows(x, k, s):
    n, c, h, w = x.shape
    ho, wo = (h - k) // s + 1, (w - k) // s + 1
    return np.stack([x[:, :, i:i + s * ho:s, j:j + s * wo:s] for i in range(k) for j in range(k)], axis=0)


def avgpool(x, **_):
    return [_f(_windows(x.astype(np.float64), 2, 2).mean(axis=0))]


def maxpool(x, **_):
    return [_f(_windows(x, 3, 2).max(axis=0))]
