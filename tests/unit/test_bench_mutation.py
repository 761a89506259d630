"""The mutation benchmark's generator and renamer (benchmarks/bench_mutation.py): each operator plants one
fault of its kind, the choice is deterministic, and a renamed copy is consistent and still runs the same."""

from __future__ import annotations

import difflib
import re

import numpy as np
import pytest

from benchmarks.bench_mutation import OPERATORS, make_mutants, rename_locals

SNIPPET = """\
#include <math.h>
#define M 4
#define N 8

extern "C" void k(const float* X, float* Y, float* Z) {
  for (int m = 0; m < M; ++m) {
    float acc = 0.0f;
    float best = -INFINITY;
    for (int n = 0; n < N; ++n) {
      acc += X[m * N + n] * 2.0f;
      best = fmaxf(best, X[m * N + n]);
    }
    Y[m] = acc - 1.0f;
    Z[m] = best;
  }
}
"""

_TOKEN = re.compile(r"[A-Za-z_]\w*|\d+\.?\d*[fFuUlL]*|\.\d+[fF]?|<<=|>>=|<=|>=|==|!=|\+=|-=|\*=|/=|\+\+|--|->|&&"
                    r"|\|\||\S")


def tokens(text: str) -> list[str]:
    """C tokens of `text` without comments (a coarse lexer, enough for the snippet)."""
    text = re.sub(r"//[^\n]*", "", text)
    return _TOKEN.findall(text)


def hunks(a: str, b: str) -> list[tuple[list[str], list[str]]]:
    """The differing token runs between two texts: [(old tokens, new tokens)]."""
    ta, tb = tokens(a), tokens(b)
    sm = difflib.SequenceMatcher(a=ta, b=tb, autojunk=False)
    return [(ta[i1:i2], tb[j1:j2]) for tag, i1, i2, j1, j2 in sm.get_opcodes() if tag != "equal"]


def mutants_of(op: str):
    ms = make_mutants(SNIPPET, "c", seed=3, per_file=100, operators=(op,))
    assert ms, f"operator {op} found nothing to mutate in the snippet"
    assert all(m.operator == op for m in ms)
    assert all(m.text != SNIPPET for m in ms)
    return ms


@pytest.mark.parametrize("op", ["const", "relop", "arith", "intrinsic"])
def test_single_token_operators_change_exactly_one_token(op):
    for m in mutants_of(op):
        h = hunks(SNIPPET, m.text)
        assert len(h) == 1 and len(h[0][0]) == 1 and len(h[0][1]) == 1, (op, m.before, m.after, h)


def test_operators_make_the_documented_changes():
    changed = {op: {(tuple(o), tuple(n)) for m in mutants_of(op) for o, n in hunks(SNIPPET, m.text)}
               for op in ("const", "relop", "arith", "intrinsic")}
    assert (("<",), ("<=",)) in changed["relop"]
    assert (("+=",), ("-=",)) in changed["arith"] and (("*",), ("+",)) in changed["arith"]
    assert (("fmaxf",), ("fminf",)) in changed["intrinsic"]
    assert all(int(n[0]) in (int(o[0]) + 1, int(o[0]) - 1) for o, n in changed["const"])
    # loop bounds and subscripts only: the 2.0f / 1.0f of the arithmetic are not "const" targets
    assert not any("." in o[0] for o, _ in changed["const"])


def test_init_changes_one_initializer():
    seen = set()
    for m in mutants_of("init"):
        h = hunks(SNIPPET, m.text)
        assert len(h) == 1, h
        old, new = h[0]
        seen.add((tuple(old), tuple(new)))
    assert (("0.0f",), ("1.0f",)) in seen  # float acc = 0.0f
    assert (("-", "INFINITY"), ("0",)) in seen  # float best = -INFINITY (one initializer value)
    assert not any(o == ("0",) for o, _ in seen), "a loop counter's `= 0` is a bound, not an initializer"


def test_swap_exchanges_two_index_variables():
    for m in mutants_of("swap"):
        h = hunks(SNIPPET, m.text)
        old = [t for o, _ in h for t in o]
        new = [t for _, n in h for t in n]
        assert sorted(old) == sorted(new) == ["m", "n"], h
        assert m.before == "[m * N + n]" and m.after == "[n * N + m]"


def test_drop_removes_exactly_one_statement():
    ms = mutants_of("drop")
    assert {m.before for m in ms} >= {"acc += X[m * N + n] * 2.0f;", "Y[m] = acc - 1.0f;", "Z[m] = best;"}
    for m in ms:
        h = hunks(SNIPPET, m.text)
        assert len(h) == 1 and h[0][1] in ([], [";"]), h
        assert "".join(h[0][0]) in ("".join(tokens(m.before)), "".join(tokens(m.before))[:-1])


def test_generator_is_deterministic_bounded_and_spread():
    a = make_mutants(SNIPPET, "c", seed=1, per_file=6)
    b = make_mutants(SNIPPET, "c", seed=1, per_file=6)
    assert [m.text for m in a] == [m.text for m in b]
    assert len(a) == 6 and len({m.text for m in a}) == 6
    assert len({m.operator for m in a}) == 6  # round-robin: six operators before any repeats
    c = make_mutants(SNIPPET, "c", seed=2, per_file=6)
    assert [m.text for m in c] != [m.text for m in a]
    assert set(OPERATORS) >= {m.operator for m in a}


def test_renamed_copy_is_consistent_and_runs_the_same():
    from xpiler import run_kernel

    renamed, mapping = rename_locals(SNIPPET, "c")
    assert set(mapping) == {"X", "Y", "Z", "m", "acc", "best", "n"}
    assert len(set(mapping.values())) == len(mapping)
    old, new = tokens(SNIPPET), tokens(renamed)
    assert len(old) == len(new)
    for a, b in zip(old, new):  # token by token: a renamed name always maps the same way, nothing else changes
        assert b == mapping.get(a, a), (a, b)
    assert "void k(" in renamed and "#define N 8" in renamed

    rng = np.random.default_rng(0)
    x = rng.standard_normal(32).astype(np.float32)
    outs = []
    for text in (SNIPPET, renamed):
        res = run_kernel(text, "c", args=[x.copy(), np.zeros(4, np.float32), np.zeros(4, np.float32)])
        outs.append(res.outputs)
    np.testing.assert_array_equal(outs[0][1], outs[1][1])
    np.testing.assert_array_equal(outs[0][2], outs[1][2])
    np.testing.assert_allclose(outs[1][2], x.reshape(4, 8).max(axis=1))


def test_generated_tier_files_are_observed_against_their_reference():
    from pathlib import Path

    from benchmarks.bench_mutation import _observe_tier, make_mutants
    from benchmarks.generated.tier import load_manifest

    case = next(c for c in load_manifest(Path("benchmarks/generated/tvm")) if c["id"] == "add_sym_c")
    text = Path(case["path"]).read_text()
    assert _observe_tier(case, text)[0] == "match"
    seen = {_observe_tier(case, m.text)[0] for m in make_mutants(text, "c", seed=0, per_file=6)}
    assert seen & {"wrong", "fault"}
