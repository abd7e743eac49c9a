"""A scripted backend for unit tests: enqueue replies, then inspect what the code under test sent.

Not used outside tests; the CLI refuses ``backend = "fake"`` unless TUTOR_ALLOW_FAKE=1 (set by the test suite).
"""

from __future__ import annotations

import json
from collections import deque
from collections.abc import Iterator, Sequence
from typing import Any

from tutor.backends.base import ChatMessage
from tutor.errors import BackendError


class FakeBackend:
    name = "fake"

    def __init__(self, replies: Sequence[str | dict[str, Any]] = (), *, default: str | None = None) -> None:
        self.replies: deque[str | dict[str, Any]] = deque(replies)
        self.default = default
        self.calls: list[list[ChatMessage]] = []

    def enqueue(self, *replies: str | dict[str, Any]) -> None:
        self.replies.extend(replies)

    def _next(self, messages: Sequence[ChatMessage]) -> str | dict[str, Any]:
        self.calls.append(list(messages))
        if self.replies:
            return self.replies.popleft()
        if self.default is not None:
            return self.default
        raise BackendError("FakeBackend has no reply queued")

    def stream(
        self,
        messages: Sequence[ChatMessage],
        *,
        max_tokens: int = 256,
        temperature: float = 0.2,
        stop: Sequence[str] = (),
    ) -> Iterator[str]:
        reply = self._next(messages)
        text = reply if isinstance(reply, str) else json.dumps(reply)
        # Word-sized pieces so consumers see real streaming.
        for i, word in enumerate(text.split(" ")):
            yield word if i == 0 else " " + word

    def complete_json(
        self,
        messages: Sequence[ChatMessage],
        schema: dict[str, Any],
        *,
        max_tokens: int = 256,
        temperature: float = 0.0,
    ) -> dict[str, Any]:
        reply = self._next(messages)
        if isinstance(reply, dict):
            return reply
        from tutor.backends.base import parse_json_reply

        return parse_json_reply(reply)
