"""The OpenAI adapter against a real OpenAI-compatible server: llama.cpp's
(``python -m llama_cpp.server``) serving the embedded model. Its known quirks are asserted as
such: any model name is served (no 404), no usage chunk when streaming, ``max_tokens`` honoured."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest

from wave_lsp.providers.local import packaged_model_path
from wave_lsp.providers.models import ProviderConfiguration
from wave_lsp.providers.openai_compat import OpenAICompatibleProvider
from wave_lsp.providers.types import Completion, CompletionRequest, TextDelta


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="module")
def llama_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    model = packaged_model_path()
    assert model is not None, "the embedded model is not installed (scripts/setup.sh)"
    port = _free_port()
    # a file, not a pipe: llama.cpp logs more than a pipe holds, and would block on it
    log = tmp_path_factory.mktemp("llama-server") / "server.log"
    log_file = log.open("wb")
    process = subprocess.Popen(
        [
            sys.executable, "-m", "llama_cpp.server",
            "--model", str(model), "--n_threads", "1", "--n_ctx", "2048",
            "--host", "127.0.0.1", "--port", str(port),
        ],
        stdout=subprocess.DEVNULL,
        stderr=log_file,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    try:
        while True:
            if process.poll() is not None:
                stderr = log.read_text(errors="replace")
                pytest.fail(f"llama_cpp.server exited: {stderr[-2000:]}")
            try:
                if httpx.get(f"{url}/v1/models", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                pytest.fail("llama_cpp.server did not start within 120 s")
            time.sleep(0.2)
        yield url
    finally:
        process.terminate()
        process.wait(10)
        log_file.close()


@pytest.fixture
async def provider(llama_server: str) -> AsyncIterator[OpenAICompatibleProvider]:
    config = ProviderConfiguration(
        type="openai", name="llamacpp", base_url=f"{llama_server}/v1", model="smollm2"
    )
    adapter = OpenAICompatibleProvider(config)
    yield adapter
    await adapter.aclose()


async def test_streams_a_real_answer(provider: OpenAICompatibleProvider) -> None:
    request = CompletionRequest.from_prompt("Name a color.", max_tokens=20, temperature=0.0)
    events = [event async for event in provider.stream(request)]
    deltas = [e for e in events if isinstance(e, TextDelta)]
    completion = events[-1]
    assert isinstance(completion, Completion)
    assert len(deltas) >= 2 and completion.text.strip()
    assert completion.finish_reason in ("stop", "length")
    assert completion.usage is None  # llama.cpp sends no usage chunk when streaming


async def test_max_tokens_is_sent_and_honoured(provider: OpenAICompatibleProvider) -> None:
    request = CompletionRequest.from_prompt("Write a long poem about the sea.", max_tokens=5)
    completion = await provider.complete(request)
    assert completion.finish_reason == "length"


async def test_any_model_name_is_served(provider: OpenAICompatibleProvider) -> None:
    request = CompletionRequest.from_prompt("Hi.", model="no-such-model", max_tokens=4)
    completion = await provider.complete(request)
    assert completion.finish_reason in ("stop", "length")
