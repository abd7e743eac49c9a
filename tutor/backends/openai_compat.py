"""Backend for any OpenAI-compatible server (llama.cpp server, vLLM, Ollama) reached by base URL."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from typing import Any

import httpx

from tutor.backends.base import ChatMessage, parse_json_reply
from tutor.errors import BackendError

UNREACHABLE_HINT = "start the server or fix TUTOR_OPENAI_BASE_URL"


def json_schema_format(schema: dict[str, Any]) -> dict[str, Any]:
    """The standard structured-output request, understood by OpenAI, vLLM, Ollama and llama.cpp's llama-server.

    Not ``strict``: OpenAI's strict mode rejects any schema with an open object (such as a tool call's free-form
    ``arguments``), while the local servers constrain decoding to the schema either way.
    """
    return {"type": "json_schema", "json_schema": {"name": "reply", "schema": schema, "strict": False}}


def json_object_format(schema: dict[str, Any]) -> dict[str, Any]:
    """llama-cpp-python's server (``python -m llama_cpp.server``) accepts only this extension of JSON mode."""
    return {"type": "json_object", "schema": schema}


class OpenAICompatBackend:
    name = "openai"

    def __init__(self, base_url: str, *, model: str = "local", api_key: str = "", timeout: float = 120.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.model = model
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self.client = httpx.Client(base_url=self.base_url, headers=headers, timeout=timeout)
        # Switched to the json_object form for good once this server has refused json_schema.
        self._schema_format = json_schema_format

    def _payload(self, messages: Sequence[ChatMessage], **kwargs: Any) -> dict[str, Any]:
        return {
            "model": self.model,
            "messages": list(messages),
            **{k: v for k, v in kwargs.items() if v is not None},
        }

    def _content(self, body: str, key: str) -> str | None:
        """The text of one completion object: under ``delta`` for a stream event, under ``message`` otherwise."""
        try:
            obj = json.loads(body)
            if "error" in obj:  # servers report failures mid-stream as an event
                raise BackendError(f"{self.base_url} reported an error: {json.dumps(obj['error'])[:200]}")
            choices = obj["choices"]
            content = (choices[0].get(key) or {}).get("content") if choices else None
        except (ValueError, LookupError, TypeError, AttributeError) as exc:
            raise BackendError(f"{self.base_url} sent a malformed response: {body[:200]!r}") from exc
        if content is not None and not isinstance(content, str):
            raise BackendError(f"{self.base_url} sent non-text content: {body[:200]!r}")
        return content

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
                    piece = self._content(data, "delta")
                    if piece:
                        yield piece
        except httpx.HTTPError as exc:
            raise BackendError(f"cannot reach {self.base_url}: {exc}", hint=UNREACHABLE_HINT) from exc

    def _post(self, payload: dict[str, Any]) -> httpx.Response:
        try:
            return self.client.post("/chat/completions", json=payload)
        except httpx.HTTPError as exc:
            raise BackendError(f"cannot reach {self.base_url}: {exc}", hint=UNREACHABLE_HINT) from exc

    def complete_json(
        self,
        messages: Sequence[ChatMessage],
        schema: dict[str, Any],
        *,
        max_tokens: int = 256,
        temperature: float = 0.0,
    ) -> dict[str, Any]:
        payload = self._payload(messages, max_tokens=max_tokens, temperature=temperature)
        resp = self._post({**payload, "response_format": self._schema_format(schema)})
        # llama-cpp-python's server (0.3.x) validates response_format.type against text/json_object and reports the
        # failure as HTTP 500 naming response_format; others may say 400 or 422. Retry once in its dialect, and keep
        # using that with this server. An error about anything else (a prompt too long) is not retried.
        refused = resp.status_code >= 400 and ("response_format" in resp.text or "json_schema" in resp.text)
        if refused and self._schema_format is json_schema_format:
            fallback = self._post({**payload, "response_format": json_object_format(schema)})
            if fallback.status_code == 200:
                self._schema_format = json_object_format
            resp = fallback
        if resp.status_code != 200:
            raise BackendError(f"{self.base_url} answered HTTP {resp.status_code}: {resp.text[:200]}")
        return parse_json_reply(self._content(resp.text, "message") or "")
