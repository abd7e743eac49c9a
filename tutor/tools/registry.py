"""One registry of reference implementations: typed functions, a JSON schema derived from each signature,
validated calls that raise ToolError (never a NumPy traceback), and ToolSpecs for the chat model."""

from __future__ import annotations

import inspect
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ValidationError, create_model
from pydantic_core import ErrorDetails

from tutor.backends.base import ToolSpec
from tutor.errors import ToolError

if TYPE_CHECKING:
    import numpy as np

MAX_ELEMENTS = 20_000  # no single argument array may be larger than this


@dataclass(frozen=True)
class ToolInfo:
    name: str
    purpose: str
    schema: dict[str, Any]
    example: dict[str, Any]
    fn: Callable[..., dict[str, Any]]
    args_model: type[BaseModel]


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
        _TOOLS[fn.__name__] = ToolInfo(fn.__name__, purpose, schema, example, fn, model)
        return fn

    return register


def _load() -> None:
    """Importing the tool modules registers them (kept lazy so the CLI starts fast)."""
    if not _TOOLS:
        from tutor.tools import games, llm_math, metrics, neural, probabilistic  # noqa: F401


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
    """Validate ``args`` against the tool's schema, run it, and return its JSON-ready result.

    Every failure is a ToolError whose message starts with the tool's name, whichever check raised it.
    """
    info = get_tool(name)
    try:
        return _run(info, args)
    except ToolError as exc:
        message = str(exc)
        raise ToolError(message if message.startswith(f"{name}: ") else f"{name}: {message}", hint=exc.hint) from exc


def _run(info: ToolInfo, args: dict[str, Any]) -> dict[str, Any]:
    import numpy as np

    if not isinstance(args, dict):
        raise ToolError("arguments must be a JSON object")
    try:
        parsed = info.args_model(**args)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "arguments"
        raise ToolError(f"{where}: {_validation_message(info, first)}") from exc
    values = {k: getattr(parsed, k) for k in info.args_model.model_fields}
    _check_sizes(values)
    try:
        # Overflow and invalid operations are reported from the result (see _plain) rather than as RuntimeWarnings
        # on stderr, which would interleave with the CLI's output.
        with np.errstate(all="ignore"):
            result = info.fn(**values)
    except ToolError:
        raise
    except MemoryError as exc:  # the size caps should make this unreachable; never show the user a traceback
        raise ToolError("ran out of memory: use a smaller example") from exc
    except (ValueError, ArithmeticError, IndexError, KeyError) as exc:
        raise ToolError(str(exc)) from exc
    return _plain(result)


def _validation_message(info: ToolInfo, error: ErrorDetails) -> str:
    if error["type"] != "int_parsing_size":
        return error["msg"]
    # pydantic words an integer beyond 64 bits as a parse failure; state the argument's bound instead.
    prop = info.schema.get("properties", {}).get(str(error["loc"][0]), {})
    bounds = [p["maximum"] for p in (prop, *prop.get("anyOf", [])) if "maximum" in p]
    return f"Input should be less than or equal to {bounds[0]}" if bounds else "Input is too large"


def _check_sizes(values: dict[str, Any]) -> None:
    def count(v: Any) -> int:
        return sum(count(x) for x in v) if isinstance(v, list) else 1

    for key, value in values.items():
        if isinstance(value, list) and count(value) > MAX_ELEMENTS:
            raise ToolError(f"{key} has more than {MAX_ELEMENTS:,} numbers; use a smaller example")
        if isinstance(value, float) and not math.isfinite(value):
            raise ToolError(f"{key} must be a finite number")


def _plain(value: Any) -> Any:
    """numpy scalars and arrays -> Python numbers and lists; NaN and infinity are refused (not valid strict JSON)."""
    import numpy as np

    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, np.ndarray) and value.dtype.kind == "f":
        _require_finite(value)
        return value.tolist()  # whole-array check and conversion: a 256×256 matrix element by element is slow
    if isinstance(value, np.ndarray):
        return _plain(value.tolist())
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, (np.floating, float)):
        _require_finite(np.asarray(value))
        return float(value)
    if isinstance(value, np.bool_):
        return bool(value)
    return value


def _require_finite(a: np.ndarray) -> None:
    import numpy as np

    if np.isnan(a).any():
        raise ToolError(
            "the computation produced NaN (an undefined operation, often after an overflow): check the inputs"
        )
    if np.isinf(a).any():
        raise ToolError("the computation overflowed: a result is beyond ±1.8e308, so use smaller inputs")
