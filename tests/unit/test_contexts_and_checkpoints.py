"""Contexts (LRU, persistence with gzip/lz4, expiry, compaction by a real model call) and
conversation checkpoints (round trip; corrupted files are clear errors)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.providers.protocol_server import ANSWER, ProtocolServer
from wave_lsp.context.checkpoints import CheckpointError, CheckpointStore
from wave_lsp.context.models import Context, FileContext, Message
from wave_lsp.context.store import KEEP_VERBATIM, ContextStore, ContextStoreError
from wave_lsp.providers.models import ProviderConfiguration
from wave_lsp.providers.openai_compat import OpenAICompatibleProvider
from wave_lsp.providers.types import CompletionRequest

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


def context(context_id: str, **fields: object) -> Context:
    values: dict[str, object] = {
        "id": context_id,
        "type": "session",
        "created_at": NOW,
        "updated_at": NOW,
        "data": {"messages": [{"role": "user", "content": f"hello {context_id}"}]},
        "persistence": "file",
    }
    values.update(fields)
    return Context.model_validate(values)


@pytest.mark.parametrize("compression", ["none", "gzip", "lz4"])
def test_contexts_persist_compressed_and_reload(tmp_path: Path, compression: str) -> None:
    store = ContextStore(tmp_path, clock=lambda: NOW)
    store.put(context("s1", compression=compression))
    [written] = list(tmp_path.iterdir())
    suffix = {"none": ".json", "gzip": ".json.gz", "lz4": ".json.lz4"}[compression]
    assert written.name == "s1" + suffix
    again = ContextStore(tmp_path, clock=lambda: NOW).get("s1")
    assert again is not None and again.data["messages"][0]["content"] == "hello s1"
    assert again.size > 0 and again.token_count > 0


def test_least_recently_used_contexts_leave_memory_first(tmp_path: Path) -> None:
    store = ContextStore(tmp_path, capacity=2, clock=lambda: NOW)
    for name in ("a", "b"):
        store.put(context(name, persistence="memory"))
    assert store.get("a") is not None  # a is now the most recent
    store.put(context("c", persistence="memory"))
    assert store.get("b") is None  # evicted, and memory-only
    assert store.get("a") is not None and store.get("c") is not None


def test_expired_contexts_are_gone(tmp_path: Path) -> None:
    clock = [NOW]
    store = ContextStore(tmp_path, clock=lambda: clock[0])
    store.put(context("old", expires_at=NOW + timedelta(minutes=5)))
    store.put(context("keep"))
    clock[0] = NOW + timedelta(minutes=10)
    assert store.expire() == ["old"]
    assert store.get("old") is None and store.get("keep") is not None
    assert [p.name for p in tmp_path.iterdir()] == ["keep.json"]


def test_a_corrupted_context_file_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "bad.json.gz").write_bytes(b"not gzip at all")
    with pytest.raises(ContextStoreError, match=r"bad\.json\.gz: cannot read the context"):
        ContextStore(tmp_path).get("bad")


async def test_compaction_summarises_through_a_real_provider(tmp_path: Path) -> None:
    server = ProtocolServer().start()
    provider = OpenAICompatibleProvider(
        ProviderConfiguration(type="openai", name="llm", base_url=f"{server.url}/v1",
                              model="gpt-test")
    )  # fmt: skip

    async def summarize(transcript: str) -> str:
        request = CompletionRequest.from_prompt(f"Summarise:\n{transcript}", max_tokens=200)
        return (await provider.complete(request)).text

    try:
        store = ContextStore(tmp_path, max_size=2000, compaction_threshold=0.5, clock=lambda: NOW)
        messages = [{"role": "user", "content": f"message {n} " + "x" * 100} for n in range(12)]
        big = context("big", data={"messages": messages})
        store.put(big)
        assert store.needs_compaction(big)
        assert await store.compact(big, summarize)
        kept = big.data["messages"]
        assert len(kept) == KEEP_VERBATIM + 1
        assert kept[0]["content"].startswith("Summary of 8 earlier messages: " + ANSWER[:20])
        assert kept[1:] == messages[-KEEP_VERBATIM:]
        assert big.metadata.annotations["compacted_messages"] == "8"
        assert "message 0 " in json.dumps(server.requests[-1].body)
        assert not store.needs_compaction(big)
    finally:
        await provider.aclose()
        server.stop()


def test_checkpoints_round_trip(tmp_path: Path) -> None:
    store = CheckpointStore(tmp_path)
    history = [Message(role="user", content="hi"), Message(role="assistant", content="hello")]
    files = [FileContext(path="a.py", content="x", size=1, last_modified=0.0)]
    saved = store.save("before refactor", history, files, "ollama", "qwen2.5-coder:7b")
    loaded = store.load(saved.id)
    assert loaded == saved
    [entry] = store.list()
    assert entry["name"] == "before refactor" and entry["messageCount"] == 2
    store.delete(saved.id)
    assert store.list() == []
    with pytest.raises(CheckpointError, match="no checkpoint"):
        store.load(saved.id)


@pytest.mark.parametrize(
    ("mangle", "message"),
    [
        (lambda d: "{ not json", "not a valid checkpoint"),
        (lambda d: json.dumps({**json.loads(d), "messageCount": 5}),
         "messageCount is 5 but conversationHistory holds 1"),
        (lambda d: json.dumps({**json.loads(d), "id": "c-other"}), "holds the checkpoint 'c-other'"),
        (lambda d: json.dumps({k: v for k, v in json.loads(d).items() if k != "name"}),
         "name: Field required"),
    ],
)  # fmt: skip
def test_a_corrupted_checkpoint_is_a_clear_error(
    tmp_path: Path, mangle: object, message: str
) -> None:
    store = CheckpointStore(tmp_path)
    saved = store.save("x", [Message(role="user", content="hi")], [], "local", None)
    path = tmp_path / f"{saved.id}.json"
    path.write_text(mangle(path.read_text()))  # type: ignore[operator]
    with pytest.raises(CheckpointError) as caught:
        store.load(saved.id)
    assert message in str(caught.value) and str(path) in str(caught.value)
    [entry] = store.list()  # listed with its error, not a crash
    assert "error" in entry
