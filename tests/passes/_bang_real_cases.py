"""Bare BANG kernels in the style of shipped operator libraries (tests/passes/bang_real/*.mlu): their launch,
arguments and numpy reference. Shared by test_bang_real.py and by hand runs (`python3 tests/passes/_bang_real_cases.py [names] [targets]`)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np

HERE = Path(__file__).parent / "bang_real"
f32, f16 = np.float32, np.float16


@dataclass
class Case:
    name: str
    launch: str | None  # None: the file's `// xpiler:launch` line
    args: Callable  # rng -> list of arguments
    ref: Callable  # args -> {position: expected}
    tol: float = 1e-5

    @property
    def path(self) -> Path:
        return HERE / f"{self.name}.mlu"

    def source(self) -> str:
        return self.path.read_text()


def _r(rng, n, dt=f32, lo=-2.0, hi=2.0):
    return rng.uniform(lo, hi, n).astype(dt)


def _sumpool(x, b):
    x = x.reshape(b, 8, 16, 64)
    return x.reshape(b, 4, 2, 8, 2, 64).sum(axis=(2, 4)).reshape(-1)


def _maxpool(x, b):
    x = x.reshape(b, 6, 6, 64)
    o = np.full((b, 4, 4, 64), -np.inf, f16)
    for i in range(3):
        for j in range(3):
            o = np.maximum(o, x[:, i:i + 4, j:j + 4])
    return o.reshape(-1)


def _sig16(x):
    y = 1 / (1 + np.exp(-x.astype(np.float64)))
    return y.astype(f16)


CASES = [
    Case("binary_add", None, lambda g: [_r(g, 10007), _r(g, 10007), np.zeros(10007, f32), np.int32(10007)],
         lambda a: {2: a[0] + a[1]}),
    Case("relu_half", "tasks=4 clusters=1 cores=4 type=block",
         lambda g: [_r(g, 5003, f16), np.zeros(5003, f16), np.int32(5003)],
         lambda a: {1: np.maximum(a[0], 0)}, 1e-3),
    Case("scale_shift", "tasks=8 clusters=2 cores=4 type=union2",
         lambda g: [_r(g, 3001), np.zeros(3001, f32), f32(1.5), f32(-0.25), np.int32(3001)],
         lambda a: {1: a[0] * a[2] + a[3]}),
    Case("div5", "tasks=4 clusters=1 cores=4 type=union1",
         lambda g: [_r(g, 2500), _r(g, 2500, lo=0.5, hi=3.0), np.zeros(2500, f32), np.int32(2500)],
         lambda a: {2: a[0] / a[1]}),
    Case("reduce_sum", "tasks=4 clusters=1 cores=4 type=block",
         lambda g: [_r(g, 4 * 8192 * 2), np.zeros(4, f32), np.int32(4 * 8192 * 2)],
         lambda a: {1: a[0].reshape(4, -1).astype(np.float64).sum(axis=1).astype(f32)}, 1e-3),
    Case("sumpool_carve", "tasks=4 clusters=1 cores=4 type=union1",
         lambda g: [_r(g, 6 * 8 * 16 * 64), np.zeros(6 * 4 * 8 * 64, f32), np.int32(6)],
         lambda a: {1: _sumpool(a[0], 6)}, 1e-4),
    Case("bias_cycle", "tasks=4 clusters=1 cores=4 type=union1",
         lambda g: [_r(g, 37 * 64), _r(g, 64), np.zeros(37 * 64, f32), np.int32(37)],
         lambda a: {2: np.maximum(a[0].reshape(37, 64) + a[1], 0).reshape(-1)}),
    Case("clip", "tasks=4 clusters=1 cores=4 type=union1",
         lambda g: [_r(g, 999), np.zeros(999, f32), f32(-0.5), f32(0.75), np.int32(999)],
         lambda a: {1: np.clip(a[0], a[2], a[3])}),
    Case("column_stride", "tasks=4 clusters=1 cores=4 type=block",
         lambda g: [_r(g, 40 * 256), np.zeros(40 * 256, f32), f32(3.0), np.int32(40)],
         lambda a: {1: a[0] * a[2]}),
    Case("sram_broadcast", None,
         lambda g: [_r(g, 1024), _r(g, 11 * 1024), np.zeros(11 * 1024, f32), np.int32(11)],
         lambda a: {2: (a[1].reshape(11, 1024) * a[0]).reshape(-1)}),
    Case("sigmoid_half", None,
         lambda g: [_r(g, 5 * 64 * 128, f16), np.zeros(5 * 64 * 128, f16), np.int32(5)],
         lambda a: {1: _sig16(a[0])}, 2e-3),
    Case("maxpool_half", None,
         lambda g: [_r(g, 7 * 6 * 6 * 64, f16), np.zeros(7 * 4 * 4 * 64, f16), np.int32(7)],
         lambda a: {1: _maxpool(a[0], 7)}),
    Case("threshold_func", "tasks=8 clusters=2 cores=4 type=union2",
         lambda g: [_r(g, 4099), np.zeros(4099, f32), f32(0.25), np.uint64(4099)],
         lambda a: {1: np.where(a[0] >= a[2], a[0], 0).astype(f32)}),
    Case("avg_rows", "tasks=4 clusters=1 cores=4 type=union1",
         lambda g: [_r(g, 9 * 128), np.zeros(9, f32), np.int32(9)],
         lambda a: {1: a[0].reshape(9, 128).mean(axis=1)}, 1e-4),
]
BY_NAME = {c.name: c for c in CASES}


def run_case(case: Case, code: str | None = None, dialect: str = "bang", launch: str | None = None, seed: int = 0):
    """Run `code` (default: the case's source) on the executor; the largest error against the reference."""
    from xpiler.exec import run_kernel

    args = case.args(np.random.default_rng(seed))
    res = run_kernel(code or case.source(), dialect, args=[a.copy() if isinstance(a, np.ndarray) else a for a in args],
                     launch=launch if launch is not None else (case.launch if code is None else None))
    errs = {}
    for k, want in case.ref(args).items():
        got = np.asarray(res.outputs[k], np.float64)
        errs[k] = float(np.max(np.abs(got - np.asarray(want, np.float64))))
    return errs


if __name__ == "__main__":
    import sys
    import time

    from xpiler import transcompile

    names = [n for n in sys.argv[1:] if n in BY_NAME] or [c.name for c in CASES]
    targets = [t for t in ("c", "cuda", "hip", "vnni") if t in sys.argv[1:]] or ["c", "cuda"]
    for n in names:
        c = BY_NAME[n]
        try:
            print(n, "emu", run_case(c), flush=True)
        except Exception as e:  # noqa: BLE001
            print(n, "emu FAIL", str(e)[:300], flush=True)
            continue
        for t in targets:
            t0 = time.time()
            try:
                r = transcompile(c.source(), "bang", t, launch=c.launch, path=str(c.path))
                print(n, t, "verified" if r.verified else "NOT verified: " + str(r.report.reason)[:300],
                      f"{time.time() - t0:.1f}s", flush=True)
            except Exception as e:  # noqa: BLE001
                print(n, t, "FAIL", type(e).__name__, str(e)[:600].replace("\n", " | "), flush=True)
