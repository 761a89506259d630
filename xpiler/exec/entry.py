"""The entry a user means: one rule, used by the executors (on a text scan) and by the pass chain (on the IR).

Both describe the file's function definitions as `Candidate`s (name, kind, linkage, which kernels and which
other functions each one launches or calls) and ask `choose_entry`:

1. `--entry NAME` / `entry=` wins.
2. A host function that launches a kernel (`k<<<...>>>`, `hipLaunchKernelGGL(k, ...)`, or a kernel pointer
   `kernel<<<...>>>` chosen at run time) is a *launcher*;
   so is a host function that calls a launcher. The entry is the launcher no other function calls (the
   top of the host code), `main` aside: with exactly one such launcher it is the entry, whatever its name
   and linkage (unless it takes the command line, `runTest(int argc, char **argv)`, from main: then the whole
   program is meant and main is the entry); with several, the one `extern "C"` among them, else the choice is ambiguous.
3. A file with `main()` is a program. When `main` is the only host code that launches kernels, the file is
   a whole program and `main` is the entry: it takes nothing, and what it prints and returns is its result.
   So it is when nothing else qualifies (step 4): a main whose kernels come from the program's headers.
4. Without launchers: the only `extern "C"` function, else the only device kernel (a bare kernel, launched
   with `--launch`), else the only host function other than `main` that no other function calls.
Device helpers (`__device__`, `__mlu_func__`) are never chosen automatically. When a step finds several
candidates the answer is BadInput listing them (choose with --entry).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from xpiler.errors import BadInput


@dataclass(frozen=True)
class Candidate:
    name: str
    kernel: bool = False  # a device kernel (needs a launch)
    device: bool = False  # a device-only helper
    extern_c: bool = False
    static: bool = False
    launches: frozenset = field(default_factory=frozenset)  # kernels launched directly
    calls: frozenset = field(default_factory=frozenset)  # other functions of the file it calls
    line: int = 0
    argv: bool = False  # takes a `char **` / `char *[]` parameter: the program's command line

    @property
    def host(self) -> bool:
        return not self.kernel and not self.device


def _describe(cands) -> str:
    return ", ".join(f"{c.name} (line {c.line})" if c.line else c.name for c in cands)


def choose_entry(cands: list[Candidate], entry: str | None, filename: str, *, what: str = "translate") -> Candidate:
    """The entry by the rule of the module docstring; BadInput when there is none or it is ambiguous."""
    if entry is not None:
        for c in cands:
            if c.name == entry:
                return c
        names = ", ".join(c.name for c in cands) or "none"
        raise BadInput(f"no function named {entry!r}; functions defined: {names}", file=filename)
    by_name = {c.name: c for c in cands}
    host = [c for c in cands if c.host]
    # launchers: host functions that launch a kernel, directly or through other host functions
    launchers = {c.name for c in host if c.launches}
    changed = True
    while changed:
        changed = False
        for c in host:
            if c.name not in launchers and any(n in launchers for n in c.calls if n != c.name):
                launchers.add(c.name)
                changed = True
    called = {n for c in cands if c.name != "main" for n in c.calls if n != c.name}  # main calls the top
    main = by_name.get("main")
    tops = [by_name[n] for n in launchers if n != "main" and n not in called]
    tops.sort(key=lambda c: c.line)
    if len(tops) == 1:
        if tops[0].argv and main is not None and main.host and tops[0].name in main.calls:
            return main  # `runTest(argc, argv)` called by main: the whole program is what the user means
        return tops[0]
    if len(tops) > 1:
        ext = [c for c in tops if c.extern_c]
        if len(ext) == 1:
            return ext[0]
        raise BadInput(f"several host functions launch kernels ({_describe(tops)}); choose the entry with --entry",
                       file=filename)
    if main is not None and main.host and "main" in launchers:
        return main  # a whole program: what it prints and returns is its result
    for pool in ([c for c in cands if c.extern_c and not c.device],
                 [c for c in cands if c.kernel],
                 [c for c in host if not c.static and c.name != "main" and c.name not in called]):
        if len(pool) == 1:
            return pool[0]
        if len(pool) > 1:
            raise BadInput(f"several candidate entry functions ({_describe(pool)}); choose one with --entry",
                           file=filename)
    if main is not None and main.host:
        return main  # a program whose kernels (if any) come from its headers: what it prints is its result
    raise BadInput(f"no function definition found (nothing to {what})", file=filename)


# -- the executors' view: a text scan ---------------------------------------------------------------------

_GGL = re.compile(r"\bhipLaunchKernelGGL\s*\(\s*(?:HIP_KERNEL_NAME\s*\()?\s*\(?\s*([A-Za-z_]\w*)")
_CUDA_LAUNCH = re.compile(r"\b(?:cudaLaunchKernel|hipLaunchKernel|cudaLaunchCooperativeKernel)\s*\(\s*"
                          r"(?:\(\s*(?:const\s+)?void\s*\*\s*\)\s*)?&?\s*([A-Za-z_]\w*)")


_ARGV = re.compile(r"\bchar\s*(?:const\s*)?\*\s*(?:const\s*)?(?:\*|\w+\s*\[\s*\])")


def candidates_from_text(source: str, functions, is_kernel, is_device) -> list[Candidate]:
    """Candidates for the functions the scan found (`xpiler.exec.scan.find_functions`)."""
    from xpiler.exec.scan import blank_comments_and_strings

    masked = blank_comments_and_strings(source)
    kernels = {f.name for f in functions if is_kernel(f)}
    names = {f.name for f in functions}
    out = []
    for f in functions:
        body = masked[f.body_open:f.body_close]
        launched = set()
        for m in re.finditer(r"([A-Za-z_]\w*)\s*(?:<[^<>;{}()]*>)?\s*<<<", body):
            launched.add(m.group(1))
        for pat in (_GGL, _CUDA_LAUNCH):
            launched |= {m.group(1) for m in pat.finditer(body)}
        calls = {m.group(1) for m in re.finditer(r"(?<![\w.>:])([A-Za-z_]\w*)\s*\(", body)} & names
        kern = is_kernel(f)
        out.append(Candidate(f.name, kernel=kern, device=(not kern and is_device(f)), extern_c=f.extern_c,
                             static=f.static,
                             launches=frozenset((launched & kernels) | (launched - names)),  # a pointer too
                             calls=frozenset(calls - kernels),
                             line=f.line, argv=bool(_ARGV.search(f.params))))
    return out
