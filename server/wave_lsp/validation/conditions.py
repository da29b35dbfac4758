"""Rule conditions: CEL expressions (the `common-expression-language` package), behind this one
small interface. The variables an expression may use are fixed and checked when it compiles, so
a typo is an error when the rule loads, not a silent false at run time."""

from __future__ import annotations

import importlib.machinery
import importlib.util
import math
import re
import sys
from collections import Counter
from collections.abc import Callable, Mapping
from types import ModuleType
from typing import Any


def _load_cel() -> ModuleType:
    """The CEL extension module. The `cel` package's __init__ also imports its command-line
    interface (prompt_toolkit and more: ~170 ms here); load only the compiled core when the
    package layout allows it, else import the package as usual."""
    if "cel" in sys.modules:
        return sys.modules["cel"]
    try:
        package = importlib.util.find_spec("cel")
        locations = package.submodule_search_locations if package else None
        spec = importlib.machinery.PathFinder.find_spec("cel", list(locations or []))
        if (
            spec is None
            or spec.loader is None
            or not isinstance(spec.loader, importlib.machinery.ExtensionFileLoader)
        ):
            raise ImportError("no compiled cel core")
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        if not hasattr(module, "compile"):
            raise ImportError("unexpected cel core")
        return module
    except ImportError:
        import cel

        return cel


cel = _load_cel()

VARIABLES = frozenset({"file", "match", "persona", "parameters"})
"""`file` (path, language, size, line_count, head), `match` (text, line, column, lines,
captures), `persona` (name, permissions), `parameters` (the rule's)."""


def entropy(text: str) -> float:
    """Shannon entropy in bits per character (high for random keys, low for words)."""
    if not text:
        return 0.0
    counts = Counter(text)
    size = len(text)
    return -sum(n / size * math.log2(n / size) for n in counts.values())


FUNCTIONS: dict[str, Callable[..., Any]] = {"entropy": entropy}


class ConditionError(ValueError):
    """A condition that does not compile, uses an unknown variable, or fails to evaluate."""


class Condition:
    def __init__(self, expression: str) -> None:
        self.expression = expression
        try:
            self._program = cel.compile(expression)
        except ValueError as error:
            first = str(error).splitlines()[0]
            raise ConditionError(f"condition does not compile: {first}") from error
        self.variables = frozenset(self._program.variables())
        fields = set(re.findall(r"\bmatch\.(\w+)", expression))
        # Fields of `match` the expression reads (all, when it uses `match` other than as
        # `match.NAME`): the engine builds only those, and results repeat for equal inputs.
        self.match_fields: frozenset[str] | None = (
            frozenset(fields)
            if len(re.findall(r"\bmatch\b", expression))
            == len(re.findall(r"\bmatch\.\w", expression))
            else None
        )
        self._functions = {
            name: FUNCTIONS[name] for name in self._program.functions() if name in FUNCTIONS
        }
        unknown = sorted(self.variables - VARIABLES)
        if unknown:
            raise ConditionError(
                f"condition uses unknown variable{'s' * (len(unknown) > 1)} "
                f"{', '.join(repr(v) for v in unknown)}: the known ones are "
                + ", ".join(sorted(VARIABLES))
            )

    def evaluate(self, variables: Mapping[str, Any]) -> bool:
        try:
            result = self._program.execute(
                cel.Context(variables=dict(variables), functions=FUNCTIONS)
            )
        except Exception as error:  # the CEL runtime raises several types; all mean "failed"
            raise ConditionError(f"condition failed: {type(error).__name__}: {error}") from error
        if not isinstance(result, bool):
            raise ConditionError(
                f"condition must be true or false, got {type(result).__name__} {result!r}"
            )
        return result
