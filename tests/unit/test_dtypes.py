import re

import numpy as np

from xpiler import dtypes
from xpiler.exec.build import NATIVE_DIR


def test_codes_match_native_header():
    text = (NATIVE_DIR / "xp_rt.h").read_text()
    native = {m.group(1): int(m.group(2)) for m in re.finditer(r"XP_(\w+) = (\d+),", text)}
    names = {"VOID": "void", "F16": "float16", "BF16": "bfloat16", "F32": "float32", "F64": "float64",
             "I8": "int8", "U8": "uint8", "I16": "int16", "U16": "uint16", "I32": "int32", "U32": "uint32",
             "I64": "int64", "U64": "uint64", "BOOL": "bool"}
    for key, name in names.items():
        assert native[key] == dtypes.code_of(name), key
    assert native["OTHER"] == dtypes.OTHER_CODE


def test_compatibility():
    assert dtypes.compatible(dtypes.code_of("float32"), np.float32)
    assert not dtypes.compatible(dtypes.code_of("float32"), np.float64)
    assert dtypes.compatible(0, np.int8)  # void*
    assert dtypes.compatible(dtypes.code_of("bfloat16"), np.uint16)
