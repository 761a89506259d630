"""Element types: the one table mapping dtype names, numpy dtypes and the native runtime's codes.

The codes mirror `enum xp_dtype` in `xpiler/exec/native/xp_rt.h` (a unit test keeps them equal).
"""

from __future__ import annotations

import numpy as np

# name -> (native code, numpy dtype or None when numpy has no such type)
_TABLE: dict[str, tuple[int, np.dtype | None]] = {
    "void": (0, None),
    "float16": (1, np.dtype(np.float16)),
    "bfloat16": (2, None),  # carried as raw uint16 bits on the numpy side
    "float32": (3, np.dtype(np.float32)),
    "float64": (4, np.dtype(np.float64)),
    "int8": (5, np.dtype(np.int8)),
    "uint8": (6, np.dtype(np.uint8)),
    "int16": (7, np.dtype(np.int16)),
    "uint16": (8, np.dtype(np.uint16)),
    "int32": (9, np.dtype(np.int32)),
    "uint32": (10, np.dtype(np.uint32)),
    "int64": (11, np.dtype(np.int64)),
    "uint64": (12, np.dtype(np.uint64)),
    "bool": (13, np.dtype(np.bool_)),
}
OTHER_CODE = 99

CODE_TO_NAME = {code: name for name, (code, _) in _TABLE.items()}
NAMES = tuple(_TABLE)


_SIZES = {"void": 0, "bool": 1, "int8": 1, "uint8": 1, "int16": 2, "uint16": 2, "float16": 2, "bfloat16": 2,
          "int32": 4, "uint32": 4, "float32": 4, "int64": 8, "uint64": 8, "float64": 8,
          "size_t": 8, "ptrdiff_t": 8, "char": 1}


def itemsize(name: str) -> int:
    """Bytes per element of dtype `name` (also the C types size_t, ptrdiff_t, char of the IR)."""
    return _SIZES[name]


def code_of(name: str) -> int:
    return _TABLE[name][0]


def numpy_of(name: str) -> np.dtype:
    """The numpy dtype used to hold values of `name` (bfloat16 is held as uint16 bits)."""
    if name == "bfloat16":
        return np.dtype(np.uint16)
    dt = _TABLE[name][1]
    if dt is None:
        raise KeyError(f"dtype {name!r} has no numpy representation")
    return dt


def name_of_numpy(dt: np.dtype) -> str:
    dt = np.dtype(dt)
    for name, (_, d) in _TABLE.items():
        if d is not None and d == dt:
            return name
    raise KeyError(f"numpy dtype {dt} is not supported by the executors")


def compatible(code: int, dt: np.dtype) -> bool:
    """May an array of numpy dtype `dt` be passed where the native code `code` is expected?"""
    if code == 0:  # void*: any buffer
        return True
    name = CODE_TO_NAME.get(code)
    if name is None:
        return False
    if name == "bfloat16":
        return np.dtype(dt) in (np.dtype(np.uint16), np.dtype(np.int16))
    return np.dtype(dt) == _TABLE[name][1]
