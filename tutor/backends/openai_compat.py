"""Backend for any OpenAI-compatible server (llama.cpp server, vLLM, Ollama) reached by base URL."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from typing import Any

import httpx

from tutor.backends.base import ChatMessage, parse_json_reply
from tutor.errors import BackendError


class OpenAICompatBackend:
    name = "openai"

    def __init__(self, base_url: str, *, model: str = "local", api_key: str = "", timeout: float = 120.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.model = model
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self.client = httpx.Client(base_url=self.base_url, headers=headers, timeout=timeout)

    def _payload(self, messages: Sequence[ChatMessage], **kwargs: Any) -> dict[str, Any]:
        return {
            "model": self.model,
            "messages": list(messages),
            **{k: v for k, v in kwargs.items() if v is not None},
        }

    def stream(
        self,
        messages: Sequence[ChatMessage],
        *,
        max_tokens: int = 256,
        temperature: float = 0.2,
        stop: Sequence[str] = (),
    ) -> Iterator[str]:
        payload = self._payload(
            messages, max_tokens=max_tokens, temperature=temperature, stop=list(stop) or None, stream=True
        )
        try:
            with self.client.stream("POST", "/chat/completions", json=payload) as resp:
                if resp.status_code != 200:
                    resp.read()
                    raise BackendError(f"{self.base_url} answered HTTP {resp.status_code}: {resp.text[:200]}")
                for line in resp.iter_lines():
                    if not line.startswith("data:"):
                        continue
                    data = line[5:].strip()
                    if data == "[DONE]":
                        break
                    piece = json.loads(data)["choices"][0].get("delta", {}).get("content")
                    if piece:
                        yield piece
        except httpx.HTTPError as exc:
            raise BackendError(
                f"cannot reach {self.base_url}: {exc}", hint="start the server or fix TUTOR_OPENAI_BASE_URL"
            ) from exc

    def complete_json(
        self,
        messages: Sequence[ChatMessage],
        schema: dict[str, Any],
        *,
        max_tokens: int = 256,
        temperature: float = 0.0,
    ) -> dict[str, Any]:
        payload = self._payload(
            messages,
            max_tokens=max_tokens,
            temperature=temperature,
            response_format={"type": "json_object", "schema": schema},
        )
        try:
            resp = self.client.post("/chat/completions", json=payload)
        except httpx.HTTPError as exc:
            raise BackendError(
                f"cannot reach {self.base_url}: {exc}", hint="start the server or fix TUTOR_OPENAI_BASE_URL"
            ) from exc
        if resp.status_code != 200:
            raise BackendError(f"{self.base_url} answered HTTP {resp.status_code}: {resp.text[:200]}")
        return parse_json_reply(resp.json()["choices"][0]["message"]["content"] or "")
