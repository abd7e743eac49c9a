"""One registry of reference implementations: typed functions, a JSON schema derived from each signature,
validated calls that raise ToolError (never a NumPy traceback), and ToolSpecs for the chat model."""

from __future__ import annotations

import difflib
import functools
import inspect
import json
import math
import numbers
import operator
from collections.abc import Callable
from dataclasses import dataclass
from types import UnionType
from typing import TYPE_CHECKING, Annotated, Any, Union, get_args, get_origin

from pydantic import BaseModel, BeforeValidator, ConfigDict, ValidationError, create_model
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

# Strict: "4096" is not a number and true is not 1, so a wrong call fails instead of computing something else; and an
# argument a tool does not have (a misspelling) is an error rather than silently replaced by its default.
_STRICT = ConfigDict(strict=True, extra="forbid")


def _whole_number(value: Any) -> Any:
    """JSON has one number type, so 4096.0 and 1e20 are whole numbers an integer argument accepts (and NumPy integers
    are integers); booleans and fractions are left for strict validation to refuse."""
    if isinstance(value, bool):
        return value
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, numbers.Real) and float(value).is_integer():
        return int(value)
    return value


def _json_numbers(annotation: Any) -> Any:
    """``annotation`` with every ``int`` in it (inside lists, unions and Annotated) accepting whole-valued floats.

    Strict ``float`` already accepts integers, so together they keep JSON's single number type without the lax
    coercions (strings, booleans) strict mode exists to refuse.
    """
    whole = BeforeValidator(_whole_number)
    if annotation is int:
        return Annotated[int, whole]
    origin, args = get_origin(annotation), get_args(annotation)
    if origin is Annotated:
        # Flat, not nested: pydantic shows Field bounds inside a nested Annotated as unknown schema keys.
        base, meta = args[0], annotation.__metadata__
        return Annotated[(int, *meta, whole)] if base is int else Annotated[(_json_numbers(base), *meta)]
    if origin is list:
        return list[_json_numbers(args[0])]  # type: ignore[misc]
    if origin in (Union, UnionType):
        return functools.reduce(operator.or_, (_json_numbers(a) for a in args))
    return annotation


def tool(example: dict[str, Any]) -> Callable[[Callable[..., dict[str, Any]]], Callable[..., dict[str, Any]]]:
    """Register a function as a tool; its docstring's first line is the purpose."""

    def register(fn: Callable[..., dict[str, Any]]) -> Callable[..., dict[str, Any]]:
        sig = inspect.signature(fn)
        hints = inspect.get_annotations(fn, eval_str=True)
        fields = {
            name: (_json_numbers(hints[name]), ... if p.default is inspect.Parameter.empty else p.default)
            for name, p in sig.parameters.items()
        }
        model = create_model(f"{fn.__name__}_args", __config__=_STRICT, **fields)  # type: ignore[call-overload]
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
        parsed = info.args_model.model_validate(args)
    except ValidationError as exc:
        errors = exc.errors()
        # A misspelt name also makes its intended argument "missing" or defaulted: the unknown name is the cause.
        # Otherwise the deepest error: for a union such as list[float] | list[list[float]], the branch that got
        # furthest into the value names the bad element, where the first branch only says it is not a flat list.
        extra = [e for e in errors if e["type"] == "extra_forbidden"]
        first = extra[0] if extra else max(errors, key=lambda e: len(e["loc"]))
        # The location is the argument and list indices; the names of union branches pydantic adds are noise.
        loc = first["loc"]
        where = f"{loc[0]}{''.join(f'[{p}]' for p in loc[1:] if isinstance(p, int))}" if loc else "arguments"
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
    names = list(info.args_model.model_fields)
    if error["type"] == "extra_forbidden":
        close = difflib.get_close_matches(str(error["loc"][0]), names, n=1)
        guess = f"did you mean {close[0]}? " if close else ""
        return f"unknown argument; {guess}arguments: {', '.join(names)}"
    value = error.get("input")
    if error["type"] != "missing" and (value is None or isinstance(value, (str, int, float))):
        # Name the offending value: "Input should be a valid integer" alone hides that "4096" was a string.
        shown = json.dumps(value)
        return f"{error['msg']}, got {shown if len(shown) <= 60 else shown[:59] + '…'}"
    return error["msg"]


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
        if not math.isfinite(value):  # math, not an array per number: results can hold 65,536 Python floats
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
