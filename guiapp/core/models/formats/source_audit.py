"""Audit the module source stored in an NVIDIA network pickle, without running it.

NVIDIA's ``torch_utils.persistence`` stores each network's Python module source in the
pickle and its loader executes it. guiapp never executes it (our own network code receives
the weights), so a stored source cannot do harm here. A source that imports system
modules or calls code-execution built-ins is nevertheless a sign of a hostile file, and
the file is refused with a clear message. The check parses the text with :mod:`ast`
(parsing does not execute anything) and looks for:

- imports of modules outside what network definitions use (numpy, torch, scipy, NVIDIA's
  ``torch_utils`` and ``dnnlib``, and a few harmless standard modules);
- calls to ``eval``, ``exec``, ``compile``, ``__import__``, ``open``, ``breakpoint``,
  ``globals``;
- attributes that reach processes or interpreter internals (``system``, ``popen``,
  ``__subclasses__``, ``__globals__``, ``__builtins__``, ...).

The official sources (stylegan2-ada-pytorch ``training/networks.py`` and
``training/augment.py``; stylegan3 ``networks_stylegan2.py`` / ``networks_stylegan3.py``)
pass.
"""

from __future__ import annotations

import ast
import functools

ALLOWED_IMPORTS = frozenset(
    {
        "numpy", "torch", "scipy", "torch_utils", "dnnlib", "math", "copy", "typing",
        "functools", "collections", "warnings", "re", "abc", "dataclasses", "enum",
        "itertools", "numbers", "contextlib", "__future__",
    }
)  # fmt: skip
MAX_SOURCE_CHARS = 4_000_000
BLOCKED_CALLS = frozenset(
    {"eval", "exec", "compile", "__import__", "open", "breakpoint", "globals"}
)
BLOCKED_ATTRIBUTES = frozenset(
    {
        "system", "popen", "Popen", "spawnl", "spawnv", "spawnve", "execv", "execve",
        "execl", "execvp", "fork", "forkpty", "check_output", "check_call", "getoutput",
        "rmtree", "unlink", "remove", "__subclasses__", "__globals__", "__builtins__",
        "__code__", "__loader__", "__getattribute__",
    }
)  # fmt: skip


@functools.lru_cache(maxsize=16)
def audit_source(src: str) -> str | None:
    """Why ``src`` looks hostile, in a few words, or None when it looks like a network.

    Parameters
    ----------
    src
        The module source text recorded in a network pickle (never executed).
    """
    if not src:
        return None
    if len(src) > MAX_SOURCE_CHARS:
        return "is unusually large"
    try:
        tree = ast.parse(src.lstrip("\ufeff"))
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return "is not valid Python"
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            names = [node.module or ""] if node.level == 0 else []
        else:
            names = []
        for name in names:
            if name.split(".")[0] not in ALLOWED_IMPORTS:
                return f"imports {name}"
        func = node.func if isinstance(node, ast.Call) else None
        if isinstance(func, ast.Name) and func.id in BLOCKED_CALLS:
            return f"calls {func.id}()"
        if isinstance(node, ast.Attribute) and node.attr in BLOCKED_ATTRIBUTES:
            return f"uses .{node.attr}"
        if isinstance(node, ast.Name) and node.id == "__builtins__":
            return "uses __builtins__"
    return None
