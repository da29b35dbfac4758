"""A real HTTP server on 127.0.0.1 that speaks the providers' wire protocols as their services do,
and injects faults on request. Tests drive our adapters through the real SDKs against it.

Protocols: OpenAI chat completions (JSON and SSE chunks with a usage chunk), Ollama ``/api/chat``
(JSON and NDJSON), fill-in-the-middle (OpenAI ``/v1/completions``, Ollama ``/api/generate``), Gemini ``generateContent`` / ``streamGenerateContent?alt=sse`` (API key) and the
same on Vertex AI paths (bearer token), plus an OAuth token endpoint for Vertex credentials files.

Faults are queued with :meth:`ProtocolServer.fail` and consumed one per request, in order.
"""

from __future__ import annotations

import json
import re
import socket
import struct
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlparse

from tests.providers.tool_wire import (
    ToolTurn,
    anthropic_messages,
    gemini_tools,
    ollama_tools,
    openai_tools,
)

ANSWER = "The quick brown fox jumps over the lazy dog. " * 3
MODELS = {
    "gpt-test",
    "llama3:8b",
    "gemini-test",
    "deepseek-chat",
    "qwen-plus",
    "claude-sonnet-4-5",
    "gpt-5.1",
}
TOKEN = "ya29.test-access-token"


@dataclass
class Fault:
    """What to do instead of (or while) answering one request."""

    status: int | None = None
    """Answer with this HTTP status and the protocol's error body."""
    retry_after: str | None = None
    stall: float = 0.0
    """Seconds to wait before answering (past the client's timeout: a stall)."""
    reset_after: int | None = None
    """Send this many answer pieces, then reset the connection."""
    malformed: bool = False
    """Send a body (or a stream piece) that is not JSON."""
    stream_error: bool = False
    """Send an error object inside the stream after the first piece."""
    html: bool = False
    """Answer 200 with an HTML page (a proxy's or a login page), not the protocol."""
    plain: bool = False
    """Answer a stream request with the non-streamed JSON body."""
    trickle: float = 0.0
    """Send a piece every this many seconds, without end (until the client goes, or 60 s)."""


@dataclass
class Recorded:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: Any


@dataclass
class State:
    answer: str = ANSWER
    answers: list[str | ToolTurn] = field(default_factory=list)
    """Scripted answers, one per request, before ``answer`` is used again (a :class:`ToolTurn`
    is sent as the protocol's tool calls)."""
    pieces: int = 12
    piece_delay: float = 0.0
    faults: list[Fault] = field(default_factory=list)
    active: int = 0
    peak: int = 0
    """Requests being answered at once, and the most there were."""
    disconnects: int = 0
    """Streams the client closed before the end (a cancelled request)."""
    claude_code: bool = False
    """Answer Anthropic requests without tools with "ok", off the script (Claude Code's side
    questions)."""
    requests: list[Recorded] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def next_fault(self) -> Fault:
        with self.lock:
            return self.faults.pop(0) if self.faults else Fault()

    def next_turn(self) -> ToolTurn | None:
        """The next scripted answer, when it is a tool turn (taken off the script)."""
        with self.lock:
            if self.answers and isinstance(self.answers[0], ToolTurn):
                turn = self.answers.pop(0)
                assert isinstance(turn, ToolTurn)
                return turn
        return None

    def next_answer(self) -> str | ToolTurn:
        with self.lock:
            return self.answers.pop(0) if self.answers else self.answer

    def split(self) -> list[str]:
        with self.lock:
            text = self.answers.pop(0) if self.answers else self.answer
        assert isinstance(text, str)
        size = max(1, -(-len(text) // self.pieces))
        return [text[i : i + size] for i in range(0, len(text), size)]


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # each piece goes at once, as a real server streams them
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:  # keep test output clean
        pass

    # -- plumbing ------------------------------------------------------------------------------

    def _body(self) -> Any:
        length = int(self.headers.get("content-length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            return json.loads(raw) if raw else None
        except json.JSONDecodeError:
            return raw.decode(errors="replace")

    def _send_json(self, status: int, payload: Any, headers: dict[str, str] | None = None) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def _send_raw(self, status: int, data: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("content-type", content_type)
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _start_stream(self, content_type: str) -> None:
        self.send_response(200)
        self.send_header("content-type", content_type)
        self.send_header("transfer-encoding", "chunked")
        self.send_header("cache-control", "no-cache")
        self.end_headers()

    def _chunk(self, data: bytes) -> None:
        self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
        self.wfile.flush()

    def _end_stream(self) -> None:
        self.wfile.write(b"0\r\n\r\n")
        self.wfile.flush()

    def _reset(self) -> None:
        """Abort the connection with a TCP RST, as a crashed server or proxy does."""
        self.wfile.flush()
        time.sleep(0.3)  # let the client read what was sent: an RST discards unread data
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.connection.close()
        self.close_connection = True

    def _pieces(self, fault: Fault) -> list[str]:
        return self.server.state.split()

    def _pause(self) -> None:
        if self.server.state.piece_delay:
            time.sleep(self.server.state.piece_delay)

    # -- dispatch ------------------------------------------------------------------------------

    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_POST(self) -> None:
        self._dispatch("POST")

    def _dispatch(self, method: str) -> None:
        url = urlparse(self.path)
        body = self._body() if method == "POST" else None
        state = self.server.state
        with state.lock:
            state.requests.append(
                Recorded(method, url.path, parse_qs(url.query), dict(self.headers.items()), body)
            )
        path = url.path
        if path == "/token":  # the OAuth endpoint takes no faults: they are for model calls
            self._send_json(
                200, {"access_token": TOKEN, "expires_in": 3599, "token_type": "Bearer"}
            )
            return
        with state.lock:
            state.active += 1
            state.peak = max(state.peak, state.active)
        try:
            self._answer(path, body, state)
        finally:
            with state.lock:
                state.active -= 1

    def _answer(self, path: str, body: Any, state: State) -> None:
        fault = state.next_fault()
        if fault.stall:
            time.sleep(fault.stall)
        try:
            if path == "/v1/messages":
                self._anthropic(body, fault, state)
                return
            turn = None if fault.status else state.next_turn()
            model = str((body or {}).get("model", ""))
            if turn is not None and path.endswith("/chat/completions"):
                openai_tools(self, model, turn)
            elif turn is not None and path == "/api/chat":
                ollama_tools(self, model, turn)
            elif turn is not None and "GenerateContent" in path:
                gemini_tools(self, path.rsplit("/", 1)[-1].split(":", maxsplit=1)[0], turn)
            elif path.endswith("/chat/completions"):
                self._openai(body, fault)
            elif path.endswith("/v1/completions") or path == "/api/generate":
                self._infill(path, body, fault)
            elif path == "/api/chat":
                self._ollama(body, fault)
            elif match := re.search(
                r"/models/([^/:]+):(generateContent|streamGenerateContent)$", path
            ):
                self._gemini(match.group(1), match.group(2) == "streamGenerateContent", body, fault)
            else:
                self._send_json(404, {"error": f"no route {path}"})
        except (BrokenPipeError, ConnectionResetError):
            with state.lock:
                state.disconnects += 1

    # -- Anthropic -----------------------------------------------------------------------------

    def _anthropic(self, body: dict[str, Any], fault: Fault, state: State) -> None:
        if fault.status:
            error = {
                "type": "error",
                "error": {"type": "api_error", "message": f"injected {fault.status}"},
            }
            self._send_json(fault.status, error)
            return
        if not (self.headers.get("x-api-key") or self.headers.get("authorization")):
            error = {"type": "authentication_error", "message": "x-api-key header is required"}
            self._send_json(401, {"type": "error", "error": error})
            return
        # Claude Code also asks small side questions (titles, topics) without tools: only
        # requests that offer tools take the scripted answers.
        scripted = bool(body.get("tools")) or not state.claude_code
        answer = state.next_answer() if scripted else "ok"
        anthropic_messages(self, body, answer)

    # -- OpenAI --------------------------------------------------------------------------------

    def _openai(self, body: dict[str, Any], fault: Fault) -> None:
        model = body.get("model", "")
        if fault.status:
            headers = {"retry-after": fault.retry_after} if fault.retry_after else {}
            kind = "rate_limit_exceeded" if fault.status == 429 else "server_error"
            self._send_json(
                fault.status,
                {"error": {"message": f"injected {fault.status}", "type": kind, "code": None}},
                headers,
            )
            return
        if model not in MODELS:
            self._send_json(
                404,
                {
                    "error": {
                        "message": f"The model `{model}` does not exist",
                        "type": "invalid_request_error",
                        "code": "model_not_found",
                    }
                },
            )
            return
        if fault.html:
            self._send_raw(200, b"<html><body><h1>Sign in</h1></body></html>", "text/html")
            return
        prompt_tokens = sum(len(str(m.get("content", "")).split()) for m in body["messages"])
        pieces = self._pieces(fault)
        usage = {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": len(pieces),
            "total_tokens": prompt_tokens + len(pieces),
        }
        base = {"id": "chatcmpl-1", "created": int(time.time()), "model": model}
        if not body.get("stream") or fault.plain:
            if fault.malformed:
                self._send_raw(200, b'{"id": "chatcmpl-1", "choices": [', "application/json")
                return
            self._send_json(
                200,
                {
                    **base,
                    "object": "chat.completion",
                    "choices": [
                        {
                            "index": 0,
                            "message": {"role": "assistant", "content": "".join(pieces)},
                            "finish_reason": "stop",
                        }
                    ],
                    "usage": usage,
                },
            )
            return
        self._start_stream("text/event-stream")

        def event(payload: Any) -> None:
            self._chunk(b"data: " + json.dumps(payload).encode() + b"\n\n")

        chunk = {**base, "object": "chat.completion.chunk"}
        event(
            {
                **chunk,
                "choices": [
                    {
                        "index": 0,
                        "delta": {"role": "assistant", "content": ""},
                        "finish_reason": None,
                    }
                ],
            }
        )
        if fault.trickle:
            began = time.monotonic()
            while time.monotonic() - began < 60:
                event({**chunk, "choices": [{"index": 0, "delta": {"content": "drip "},
                                             "finish_reason": None}]})  # fmt: skip
                time.sleep(fault.trickle)
            self._end_stream()
            return
        for number, piece in enumerate(pieces):
            if fault.reset_after is not None and number == fault.reset_after:
                self._reset()
                return
            if fault.malformed and number == 1:
                self._chunk(b"data: {not json\n\n")
            if fault.stream_error and number == 1:
                event({"error": {"message": "injected stream error", "type": "server_error"}})
                self._end_stream()
                return
            event(
                {
                    **chunk,
                    "choices": [{"index": 0, "delta": {"content": piece}, "finish_reason": None}],
                }
            )
            self._pause()
        event({**chunk, "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]})
        if (body.get("stream_options") or {}).get("include_usage"):
            event({**chunk, "choices": [], "usage": usage})
        self._chunk(b"data: [DONE]\n\n")
        self._end_stream()

    # -- fill-in-the-middle: OpenAI's legacy completions (SSE), Ollama's generate (NDJSON) -----

    def _infill(self, path: str, body: dict[str, Any], fault: Fault) -> None:
        model = body.get("model", "")
        ollama = path == "/api/generate"
        if fault.status or model not in MODELS:
            status = fault.status or 404
            message = f"injected {status}" if fault.status else f"model {model!r} not found"
            self._send_json(status, {"error": message if ollama else {"message": message}})
            return
        pieces = self._pieces(fault)
        self._start_stream("application/x-ndjson" if ollama else "text/event-stream")
        for piece in pieces:
            if ollama:
                line = {"model": model, "created_at": "2026-12-03T12:00:00Z",
                        "response": piece, "done": False}  # fmt: skip
                self._chunk(json.dumps(line).encode() + b"\n")
            else:
                chunk = {"id": "cmpl-1", "object": "text_completion", "created": 1,
                         "model": model, "choices": [{"index": 0, "text": piece,
                                                      "finish_reason": None}]}  # fmt: skip
                self._chunk(b"data: " + json.dumps(chunk).encode() + b"\n\n")
            self._pause()
        if ollama:
            done = {"model": model, "created_at": "2026-12-03T12:00:00Z", "response": "",
                    "done": True, "done_reason": "stop", "eval_count": len(pieces)}  # fmt: skip
            self._chunk(json.dumps(done).encode() + b"\n")
        else:
            end = {"id": "cmpl-1", "object": "text_completion", "created": 1, "model": model,
                   "choices": [{"index": 0, "text": "", "finish_reason": "stop"}]}  # fmt: skip
            self._chunk(b"data: " + json.dumps(end).encode() + b"\n\ndata: [DONE]\n\n")
        self._end_stream()

    # -- Ollama --------------------------------------------------------------------------------

    def _ollama(self, body: dict[str, Any], fault: Fault) -> None:
        model = body.get("model", "")
        if fault.status:
            headers = {"retry-after": fault.retry_after} if fault.retry_after else {}
            self._send_json(fault.status, {"error": f"injected {fault.status}"}, headers)
            return
        if model not in MODELS:
            self._send_json(404, {"error": f'model "{model}" not found, try pulling it first'})
            return
        pieces = self._pieces(fault)
        created = "2026-11-23T12:00:00.000000Z"
        final = {
            "model": model,
            "created_at": created,
            "message": {"role": "assistant", "content": ""},
            "done": True,
            "done_reason": "length"
            if len(pieces) >= (body.get("options") or {}).get("num_predict", 10**9)
            else "stop",
            "total_duration": 1_000_000,
            "load_duration": 1000,
            "prompt_eval_count": sum(
                len(str(m.get("content") or "").split()) for m in body["messages"]
            ),
            "prompt_eval_duration": 1000,
            "eval_count": len(pieces),
            "eval_duration": 1000,
        }
        if not body.get("stream", True):
            self._send_json(
                200, {**final, "message": {"role": "assistant", "content": "".join(pieces)}}
            )
            return
        self._start_stream("application/x-ndjson")
        for number, piece in enumerate(pieces):
            if fault.reset_after is not None and number == fault.reset_after:
                self._reset()
                return
            if fault.malformed and number == 1:
                self._chunk(b"{not json\n")
            if fault.stream_error and number == 1:
                self._chunk(json.dumps({"error": "injected stream error"}).encode() + b"\n")
                self._end_stream()
                return
            line = {
                "model": model,
                "created_at": created,
                "message": {"role": "assistant", "content": piece},
                "done": False,
            }
            self._chunk(json.dumps(line).encode() + b"\n")
            self._pause()
        self._chunk(json.dumps(final).encode() + b"\n")
        self._end_stream()

    # -- Gemini / Vertex AI --------------------------------------------------------------------

    def _gemini(self, model: str, stream: bool, body: dict[str, Any], fault: Fault) -> None:
        vertex = self.path.startswith("/v1/projects/")
        if vertex:
            if self.headers.get("authorization") != f"Bearer {TOKEN}":
                self._google_error(
                    401, "Request had invalid authentication credentials.", "UNAUTHENTICATED"
                )
                return
        elif not self.headers.get("x-goog-api-key"):
            self._google_error(
                403, "Method doesn't allow unregistered callers.", "PERMISSION_DENIED"
            )
            return
        if fault.status:
            status = {429: "RESOURCE_EXHAUSTED", 503: "UNAVAILABLE"}.get(fault.status, "INTERNAL")
            headers = {"retry-after": fault.retry_after} if fault.retry_after else {}
            self._google_error(fault.status, f"injected {fault.status}", status, headers)
            return
        if model not in MODELS:
            self._google_error(
                404, f"models/{model} is not found for API version v1beta", "NOT_FOUND"
            )
            return
        pieces = self._pieces(fault)
        prompt_tokens = sum(
            len(str(p.get("text", "")).split()) for c in body["contents"] for p in c["parts"]
        )

        def response(text: str, finish: str | None, usage: bool) -> dict[str, Any]:
            candidate: dict[str, Any] = {
                "content": {"parts": [{"text": text}], "role": "model"},
                "index": 0,
            }
            if finish:
                candidate["finishReason"] = finish
            payload: dict[str, Any] = {"candidates": [candidate], "modelVersion": model}
            if usage:
                payload["usageMetadata"] = {
                    "promptTokenCount": prompt_tokens,
                    "candidatesTokenCount": len(pieces),
                    "totalTokenCount": prompt_tokens + len(pieces),
                }
            return payload

        if not stream:
            if fault.malformed:
                self._send_raw(200, b'{"candidates": [', "application/json")
                return
            self._send_json(200, response("".join(pieces), "STOP", True))
            return
        if self.path and parse_qs(urlparse(self.path).query).get("alt") != ["sse"]:
            self._google_error(400, "streaming needs alt=sse here", "INVALID_ARGUMENT")
            return
        self._start_stream("text/event-stream")
        for number, piece in enumerate(pieces):
            if fault.reset_after is not None and number == fault.reset_after:
                self._reset()
                return
            if fault.malformed and number == 1:
                self._chunk(b"data: {not json\r\n\r\n")
            last = number == len(pieces) - 1
            payload = response(piece, "STOP" if last else None, last)
            self._chunk(b"data: " + json.dumps(payload).encode() + b"\r\n\r\n")
            self._pause()
        self._end_stream()

    def _google_error(
        self, code: int, message: str, status: str, headers: dict[str, str] | None = None
    ) -> None:
        self._send_json(
            code, {"error": {"code": code, "message": message, "status": status}}, headers
        )


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    state: State

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # clients that go away (a cancelled stream) are expected here


class ProtocolServer:
    """Start with :meth:`start`; ``url`` is its base address."""

    def __init__(self) -> None:
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.state = State()
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def state(self) -> State:
        return self._server.state

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def requests(self) -> list[Recorded]:
        return self.state.requests

    def fail(self, *faults: Fault) -> None:
        with self.state.lock:
            self.state.faults.extend(faults)

    def start(self) -> ProtocolServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
