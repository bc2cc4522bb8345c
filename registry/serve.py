"""The swap: serve a registered model as an OpenAI-compatible chat endpoint on localhost.

`flywheel serve --alias champion` downloads the version behind the alias (checksums
verified), loads it, and answers `POST /v1/chat/completions` and `GET /v1/models`, so IDE
assistants that speak the OpenAI API (Continue, Cline, aider ...) can point at it. `stream:
true` is answered as server-sent events with the whole answer in one chunk. One request is
generated at a time; the server binds to 127.0.0.1 unless told otherwise.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

MAX_BODY = 1 << 20


class ChatModel:
    """A loaded causal LM with a chat template, generating one request at a time."""

    def __init__(self, model, tokenizer, name: str) -> None:
        self.model = model
        self.tokenizer = tokenizer
        self.name = name
        self._lock = threading.Lock()

    def complete(self, messages: list[dict[str, str]], max_tokens: int, temperature: float):
        # deferred: torch takes seconds to import
        import torch

        rendered = self.tokenizer.apply_chat_template(
            messages, tokenize=False, add_generation_prompt=True
        )
        encoded = self.tokenizer(rendered, return_tensors="pt", add_special_tokens=False)
        encoded = encoded.to(next(self.model.parameters()).device)
        # temperature 0 means greedy, as in the OpenAI API
        sampling = (
            {"do_sample": True, "temperature": temperature}
            if temperature > 0
            else {"do_sample": False}
        )
        with self._lock, torch.no_grad():
            output = self.model.generate(
                **encoded,
                max_new_tokens=max_tokens,
                pad_token_id=self.tokenizer.pad_token_id,
                **sampling,
            )
        prompt_tokens = encoded["input_ids"].shape[1]
        new = output[0][prompt_tokens:]
        text = self.tokenizer.decode(new, skip_special_tokens=True)
        finished = len(new) < max_tokens
        return text, prompt_tokens, len(new), "stop" if finished else "length"


class RequestError(ValueError):
    pass


def _validate(body: dict[str, Any]) -> tuple[list[dict[str, str]], int, float, bool]:
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        raise RequestError("messages: a non-empty list of {role, content} is required")
    clean = []
    for index, message in enumerate(messages):
        if not isinstance(message, dict) or message.get("role") not in (
            "system",
            "user",
            "assistant",
        ):
            raise RequestError(f"messages[{index}]: role must be system, user or assistant")
        content = message.get("content")
        if isinstance(content, list):  # OpenAI content parts: keep the text ones
            content = "".join(p.get("text", "") for p in content if isinstance(p, dict))
        if not isinstance(content, str):
            raise RequestError(f"messages[{index}].content: text is required")
        clean.append({"role": message["role"], "content": content})
    max_tokens = body.get("max_tokens") or body.get("max_completion_tokens") or 256
    temperature = body.get("temperature", 0.7)
    if not isinstance(max_tokens, int) or not 1 <= max_tokens <= 4096:
        raise RequestError("max_tokens: an integer from 1 to 4096")
    if not isinstance(temperature, int | float) or not 0 <= temperature <= 2:
        raise RequestError("temperature: a number from 0 to 2")
    return clean, max_tokens, float(temperature), bool(body.get("stream"))


def make_server(chat: ChatModel, host: str = "127.0.0.1", port: int = 8008) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        server_version = "flywheel-serve"

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib name
            pass

        def _json(self, status: int, payload: dict[str, Any]) -> None:
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _error(self, status: int, message: str) -> None:
            self._json(status, {"error": {"message": message, "type": "invalid_request_error"}})

        def do_GET(self) -> None:  # noqa: N802 - stdlib name
            if self.path.rstrip("/") == "/v1/models":
                self._json(
                    200,
                    {
                        "object": "list",
                        "data": [{"id": chat.name, "object": "model", "owned_by": "flywheel"}],
                    },
                )
            elif self.path.rstrip("/") == "/health":
                self._json(200, {"status": "ok", "model": chat.name})
            else:
                self._error(404, f"{self.path}: not found")

        def do_POST(self) -> None:  # noqa: N802 - stdlib name
            if self.path.rstrip("/") != "/v1/chat/completions":
                return self._error(404, f"{self.path}: not found")
            length = int(self.headers.get("Content-Length") or 0)
            if length > MAX_BODY:
                return self._error(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, "request body over 1 MiB")
            try:
                body = json.loads(self.rfile.read(length) or b"null")
                if not isinstance(body, dict):
                    raise RequestError("the body must be a JSON object")
                messages, max_tokens, temperature, stream = _validate(body)
            except (ValueError, RequestError) as error:
                return self._error(400, str(error))
            text, prompt_tokens, completion_tokens, finish = chat.complete(
                messages, max_tokens, temperature
            )
            ident, created = f"chatcmpl-{uuid.uuid4().hex}", int(time.time())
            if stream:
                return self._stream(ident, created, text, finish)
            self._json(
                200,
                {
                    "id": ident,
                    "object": "chat.completion",
                    "created": created,
                    "model": chat.name,
                    "choices": [
                        {
                            "index": 0,
                            "message": {"role": "assistant", "content": text},
                            "finish_reason": finish,
                        }
                    ],
                    "usage": {
                        "prompt_tokens": prompt_tokens,
                        "completion_tokens": completion_tokens,
                        "total_tokens": prompt_tokens + completion_tokens,
                    },
                },
            )

        def _stream(self, ident: str, created: int, text: str, finish: str) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.send_header("Cache-Control", "no-cache")
            self.end_headers()
            base = {"id": ident, "object": "chat.completion.chunk", "created": created}
            chunks = [
                {
                    "index": 0,
                    "delta": {"role": "assistant", "content": text},
                    "finish_reason": None,
                },
                {"index": 0, "delta": {}, "finish_reason": finish},
            ]
            for choice in chunks:
                payload = {**base, "model": chat.name, "choices": [choice]}
                self.wfile.write(f"data: {json.dumps(payload)}\n\n".encode())
            self.wfile.write(b"data: [DONE]\n\n")

    return ThreadingHTTPServer((host, port), Handler)
