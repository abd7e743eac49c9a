"""One registry of reference implementations: typed functions, a JSON schema derived from each signature,
validated calls that raise ToolError (never a NumPy traceback), and ToolSpecs for the chat model."""

from __future__ import annotations

import inspect
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError, create_model

from tutor.backends.base import ToolSpec
from tutor.errors import ToolError

MAX_ELEMENTS = 20_000  # no single argument array may be larger than this


@dataclass(frozen=True)
class ToolInfo:
    name: str
    purpose: str
    schema: dict[str, Any]
    example: dict[str, Any]
    fn: Callable[..., dict[str, Any]]


_TOOLS: dict[str, ToolInfo] = {}


def tool(example: dict[str, Any]) -> Callable[[Callable[..., dict[str, Any]]], Callable[..., dict[str, Any]]]:
    """Register a function as a tool; its docstring's first line is the purpose."""

    def register(fn: Callable[..., dict[str, Any]]) -> Callable[..., dict[str, Any]]:
        sig = inspect.signature(fn)
        hints = inspect.get_annotations(fn, eval_str=True)
        fields = {
            name: (hints[name], ... if p.default is inspect.Parameter.empty else p.default)
            for name, p in sig.parameters.items()
        }
        model = create_model(f"{fn.__name__}_args", **fields)  # type: ignore[call-overload]
        schema = model.model_json_schema()
        schema.pop("title", None)
        purpose = (fn.__doc__ or fn.__name__).strip().splitlines()[0]
        info = ToolInfo(fn.__name__, purpose, schema, example, fn)
        _TOOLS[fn.__name__] = info
        fn.args_model = model  # type: ignore[attr-defined]
        return fn

    return register


def _load() -> None:
    """Importing the tool modules registers them (kept lazy so the CLI starts fast)."""
    if not _TOOLS:
        from tutor.tools import games, llm_math, neural, probabilistic  # noqa: F401


def list_tools() -> list[ToolInfo]:
    _load()
    return list(_TOOLS.values())


def get_tool(name: str) -> ToolInfo:
    _load()
    if name not in _TOOLS:
        raise ToolError(f"unknown tool {name!r}; known: {', '.join(sorted(_TOOLS))}")
    return _TOOLS[name]


def tool_specs() -> list[ToolSpec]:
    return [ToolSpec(t.name, t.purpose, t.schema) for t in list_tools()]


def run_tool(name: str, args: dict[str, Any]) -> dict[str, Any]:
    """Validate ``args`` against the tool's schema, run it, and return its JSON-ready result."""
    info = get_tool(name)
    if not isinstance(args, dict):
        raise ToolError(f"{name}: arguments must be a JSON object")
    try:
        parsed = info.fn.args_model(**args)  # type: ignore[attr-defined]
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "arguments"
        raise ToolError(f"{name}: {where}: {first['msg']}") from exc
    values = {k: getattr(parsed, k) for k in info.fn.args_model.model_fields}  # type: ignore[attr-defined]
    _check_sizes(name, values)
    try:
        result = info.fn(**values)
    except ToolError:
        raise
    except (ValueError, ArithmeticError, IndexError, KeyError) as exc:
        raise ToolError(f"{name}: {exc}") from exc
    return _plain(result)


def _check_sizes(name: str, values: dict[str, Any]) -> None:
    def count(v: Any) -> int:
        return sum(count(x) for x in v) if isinstance(v, list) else 1

    for key, value in values.items():
        if isinstance(value, list) and count(value) > MAX_ELEMENTS:
            raise ToolError(f"{name}: {key} has more than {MAX_ELEMENTS:,} numbers; use a smaller example")
        if isinstance(value, float) and not math.isfinite(value):
            raise ToolError(f"{name}: {key} must be a finite number")


def _plain(value: Any) -> Any:
    """numpy scalars and arrays -> Python numbers and lists; NaN is refused (a tool must not return it)."""
    import numpy as np

    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, np.ndarray):
        return _plain(value.tolist())
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, (np.floating, float)):
        f = float(value)
        if math.isnan(f):
            raise ToolError("the computation produced NaN: check the inputs")
        return f
    if isinstance(value, np.bool_):
        return bool(value)
    return value
