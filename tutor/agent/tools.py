"""Turning a compute request into a validated reference-implementation call.

Rules first (the current question's bound tool; a tool named in the text with ``name=value`` arguments), then the
model under a JSON grammar, with one repair attempt when its arguments fail validation.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from tutor.backends.base import ChatBackend, ChatMessage, request_tool_call
from tutor.corpus.model import Question
from tutor.errors import BackendError, ToolError
from tutor.tools import registry

NUMBER = r"-?\d+(?:\.\d+)?(?:e-?\d+)?"


@dataclass
class ToolOutcome:
    name: str
    args: dict[str, Any]
    result: dict[str, Any] | None
    error: str | None = None


def _normalise(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", " ", text.lower()).strip()


def find_named_tool(text: str) -> str | None:
    """The registered tool whose name (underscores read as spaces) appears in the text, longest name first."""
    norm = f" {_normalise(text)} "
    names = sorted((t.name for t in registry.list_tools()), key=len, reverse=True)
    for name in names:
        if f" {_normalise(name)} " in norm:
            return name
    return None


def extract_args(text: str, tool: str) -> dict[str, Any]:
    """Arguments written as JSON or as ``name=value`` / ``name: value`` / ``name value`` pairs."""
    brace = text.find("{")
    if brace >= 0:
        try:
            value = json.loads(text[brace : text.rfind("}") + 1])
            if isinstance(value, dict):
                return value
        except json.JSONDecodeError:
            pass
    info = next(t for t in registry.list_tools() if t.name == tool)
    args: dict[str, Any] = {}
    for param in info.schema.get("properties", {}):
        m = re.search(rf"\b{re.escape(param)}\s*(?:=|:|\s)\s*({NUMBER})\b", text, re.I)
        if m:
            raw = m.group(1)
            args[param] = float(raw) if any(c in raw for c in ".e") else int(raw)
    return args


def run_compute(text: str, question: Question | None, backend: ChatBackend | None, system: str) -> ToolOutcome:
    """Pick the tool and arguments for ``text``, run it, and never let a malformed call escape as a traceback."""
    named = find_named_tool(text)
    if named is None and question is not None and question.tool is not None:
        return _run(question.tool.name, dict(question.tool.args))
    if named is not None:
        args = extract_args(text, named)
        required = next(t for t in registry.list_tools() if t.name == named).schema.get("required", [])
        if all(r in args for r in required):
            return _run(named, args)
    if backend is None:
        return ToolOutcome(
            named or "?",
            {},
            None,
            "the model is still loading; name the tool and its arguments, "
            "e.g. `compute lora_params d_in=4096 d_out=4096 rank=8`",
        )
    return _ask_model(text, backend, system, question)


def _run(name: str, args: dict[str, Any]) -> ToolOutcome:
    try:
        return ToolOutcome(name, args, registry.run_tool(name, args))
    except ToolError as exc:
        return ToolOutcome(name, args, None, str(exc))


# Every tool's schema together is ~7,500 tokens, beyond the 4,096-token context; the model chooses among a few.
SHORTLIST = 4
_STOPWORDS = frozenset(
    "a an the of for and or to in on with what how is are this that me it by from at as be".split()  # noqa: SIM905
)


def _words(text: str) -> set[str]:
    return {w for w in _normalise(text).split() if w not in _STOPWORDS and len(w) > 1}


def shortlist_tools(text: str, question: Question | None, k: int = SHORTLIST) -> list[str]:
    """The tools most likely meant: named or bound ones first, then by words shared with their name and purpose."""
    wanted = _words(text) | (_words(question.question) if question else set())
    ranked = sorted(
        registry.list_tools(),
        key=lambda t: (-len(wanted & (_words(t.name) | _words(t.purpose))), t.name),
    )
    first = [n for n in (find_named_tool(text), question.tool.name if question and question.tool else None) if n]
    return list(dict.fromkeys([*first, *(t.name for t in ranked)]))[:k]


def _ask_model(text: str, backend: ChatBackend, system: str, question: Question | None = None) -> ToolOutcome:
    messages: list[ChatMessage] = [{"role": "system", "content": system}, {"role": "user", "content": text}]
    names = set(shortlist_tools(text, question))
    specs = [spec for spec in registry.tool_specs() if spec.name in names]
    last_error = "the model did not produce a tool call"
    for _attempt in range(2):  # the first try plus one repair attempt
        try:
            call = request_tool_call(backend, messages, specs)
        except BackendError as exc:
            last_error = str(exc)
            messages.append({"role": "user", "content": f"That was not a valid tool call ({exc}). Try again."})
            continue
        outcome = _run(call.name, call.arguments)
        if outcome.error is None:
            return outcome
        last_error = outcome.error
        messages.append(
            {
                "role": "user",
                "content": f"The call {call.name}({json.dumps(call.arguments)}) failed: {outcome.error}. "
                "Fix the arguments.",
            }
        )
    return ToolOutcome(
        "?",
        {},
        None,
        f"could not compute that: {last_error}. Try `/compute TOOL {{json args}}`; "
        "`tutor tool list` shows every tool and an example.",
    )
