"""The one protocol every chat model backend speaks; the agent depends on this, never on llama_cpp."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol, TypedDict, runtime_checkable

from tutor.errors import BackendError


class ChatMessage(TypedDict):
    role: Literal["system", "user", "assistant", "tool"]
    content: str


@dataclass(frozen=True)
class ToolSpec:
    """A tool the model may ask for: name, one-line purpose and JSON schema of its arguments."""

    name: str
    description: str
    parameters: dict[str, Any]


@dataclass(frozen=True)
class ToolCallRequest:
    name: str
    arguments: dict[str, Any]


@dataclass
class Completion:
    text: str
    tool_calls: list[ToolCallRequest] = field(default_factory=list)
    prompt_tokens: int = 0
    completion_tokens: int = 0
    finish_reason: str = "stop"


@runtime_checkable
class ChatBackend(Protocol):
    name: str

    def stream(
        self,
        messages: Sequence[ChatMessage],
        *,
        max_tokens: int = 256,
        temperature: float = 0.2,
        stop: Sequence[str] = (),
    ) -> Iterator[str]:
        """Yield the reply text piece by piece as the model writes it."""
        ...

    def complete_json(
        self,
        messages: Sequence[ChatMessage],
        schema: dict[str, Any],
        *,
        max_tokens: int = 256,
        temperature: float = 0.0,
    ) -> dict[str, Any]:
        """Return an object that satisfies ``schema`` (grammar-constrained where the backend can)."""
        ...


def complete(backend: ChatBackend, messages: Sequence[ChatMessage], **kwargs: Any) -> str:
    """The whole reply as one string."""
    return "".join(backend.stream(messages, **kwargs))


def tool_call_schema(tools: Sequence[ToolSpec]) -> dict[str, Any]:
    """JSON schema for one tool call: ``{"tool": <name>, "arguments": {...}}`` (the model picks a tool)."""
    return {
        "type": "object",
        "properties": {
            "tool": {"type": "string", "enum": [t.name for t in tools]},
            "arguments": {"type": "object"},
        },
        "required": ["tool", "arguments"],
    }


def request_tool_call(
    backend: ChatBackend, messages: Sequence[ChatMessage], tools: Sequence[ToolSpec], *, max_tokens: int = 256
) -> ToolCallRequest:
    """Ask the model for one tool call under a JSON grammar; the caller validates the arguments."""
    listing = "\n".join(f"- {t.name}: {t.description} args schema: {json.dumps(t.parameters)}" for t in tools)
    prompt: list[ChatMessage] = [
        *messages,
        {
            "role": "user",
            "content": f"Choose one tool and its arguments. Tools:\n{listing}\nReply with JSON only.",
        },
    ]
    obj = backend.complete_json(prompt, tool_call_schema(tools), max_tokens=max_tokens)
    name, args = obj.get("tool"), obj.get("arguments")
    if not isinstance(name, str) or not isinstance(args, dict):
        raise BackendError(f"model returned a malformed tool call: {json.dumps(obj)[:200]}")
    return ToolCallRequest(name, args)


def parse_json_reply(text: str) -> dict[str, Any]:
    """Parse a JSON object from model output, tolerating a code fence or text around it."""
    start, end = text.find("{"), text.rfind("}")
    if start < 0 or end <= start:
        raise BackendError(f"model reply is not JSON: {text[:120]!r}")
    try:
        value = json.loads(text[start : end + 1])
    except json.JSONDecodeError as exc:
        raise BackendError(f"model reply is not valid JSON ({exc.msg}): {text[:120]!r}") from exc
    if not isinstance(value, dict):
        raise BackendError("model reply is JSON but not an object")
    return value
