"""Property: for random loop nests, print -> parse is the identity (up to alpha-equivalence), printing is
stable, and the printed program computes on the native executor what the reference interpreter computes.

Cost: every example compiles one program per dialect. CI runs a few derandomized examples per dialect;
set XPILER_HYPOTHESIS_EXAMPLES=25 (say) to search further locally.
"""

import os

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings

from xpiler.ir import interp
from xpiler.ir.dump import dump
from xpiler.ir.equal import structural_diff
from xpiler.ir.gen import EXTENSION, Example, kernels

DIALECTS = ("c", "vnni", "cuda", "hip", "bang")
EXAMPLES = int(os.environ.get("XPILER_HYPOTHESIS_EXAMPLES", "6"))


def check_roundtrip_and_run(ex: Example, dialect: str) -> None:
    from xpiler.exec import run_kernel
    from xpiler.lang import emit, parse

    module = ex.module(dialect)
    text = emit(module, dialect)
    where = f"\n--- IR ---\n{dump(module)}\n--- {dialect} ---\n{text}"
    parsed = parse(text, dialect)
    funcs = [f for f in parsed.funcs() if not f.is_declaration]
    assert len(funcs) == 1, f"parse gave {len(funcs)} functions{where}"
    diff = structural_diff(module.func(ex.name), funcs[0])
    assert diff is None, f"parse(emit(f)) != f: {diff}{where}"
    assert emit(parsed, dialect) == text, f"printing the parsed module changed the text{where}"

    args = ex.make_args(seed=1)
    want = [a.copy() if isinstance(a, np.ndarray) else a for a in args]
    interp.run_func(module.func(ex.name), want)
    got = run_kernel(text, dialect, args=args, filename=f"prop.{EXTENSION[dialect]}")
    for k, (w, g) in enumerate(zip(want, got.outputs)):
        if isinstance(w, np.ndarray):
            np.testing.assert_allclose(g, w, rtol=1e-5, atol=1e-5,
                                       err_msg=f"argument {k} ({ex.params[k].sym.name}){where}")


def _property(dialect: str, unroll: bool) -> None:
    @settings(max_examples=EXAMPLES, deadline=None, derandomize=True,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    @given(kernels(unroll=unroll))
    def prop(ex):
        check_roundtrip_and_run(ex, dialect)

    prop()


@pytest.mark.parametrize("dialect", DIALECTS)
def test_print_parse_run_agree(dialect):
    _property(dialect, unroll=False)


@pytest.mark.parametrize("dialect", DIALECTS)
def test_print_parse_run_agree_with_unrolled_loops(dialect):
    """The same with `#pragma unroll` loops mixed in (kept apart: pragma handling is its own concern)."""
    _property(dialect, unroll=True)


@settings(max_examples=50, deadline=None, derandomize=True)
@given(kernels())
def test_generated_kernels_are_in_bounds_for_the_interpreter(ex):
    """The generator's own contract: every access is in bounds (interp raises IndexError otherwise)."""
    args = ex.make_args()
    interp.run_func(ex.func("c"), args)
    assert all(np.isfinite(a).all() for a in args if isinstance(a, np.ndarray))
