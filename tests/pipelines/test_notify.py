"""Notifications to real local receivers: a webhook (its Standard Webhooks signature verified),
a Slack incoming webhook, an SMTP server; a receiver that is down never fails the run. The relay
turns events into the seed's messages."""

from __future__ import annotations

import asyncio
import json
import socket
import threading
import warnings
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from standardwebhooks import Webhook

from wave_lsp.pipelines.engine import PipelineRun, Report, TaskOutcome
from wave_lsp.pipelines.models import Pipeline, Task
from wave_lsp.pipelines.notify import Notifier, Relay
from wave_lsp.relay.models import Message

SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"


class Receiver(BaseHTTPRequestHandler):
    received: list[tuple[str, dict[str, str], bytes]] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["content-length"]))
        Receiver.received.append((self.path, dict(self.headers.items()), body))
        self.send_response(200)
        self.send_header("content-length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def http() -> Iterator[str]:
    Receiver.received = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


@pytest.fixture
def smtp() -> Iterator[tuple[int, list[Any]]]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        import asyncore
        import smtpd

    mails: list[Any] = []

    class Server(smtpd.SMTPServer):
        def process_message(self, peer: Any, mailfrom: str, rcpttos: list[str], data: bytes,
                            **kwargs: Any) -> None:  # fmt: skip
            mails.append((mailfrom, rcpttos, data))

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = Server(("127.0.0.1", port), None)
    thread = threading.Thread(target=asyncore.loop, kwargs={"timeout": 0.05}, daemon=True)
    thread.start()
    yield port, mails
    server.close()


class Instant:
    async def run(self, task: Task, prompt: str, attempt: int, report: Report) -> TaskOutcome:
        return TaskOutcome("ok")


def pipeline(notifications: dict[str, Any]) -> Pipeline:
    return Pipeline.model_validate(
        {"id": "notified", "name": "N", "tasks": [{"id": "a", "type": "llm", "prompt_template": "x"}],
         "notifications": notifications}
    )  # fmt: skip


async def test_webhook_slack_and_email(
    http: str, smtp: tuple[int, list[Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    port, mails = smtp
    monkeypatch.setenv("HOOK_SECRET", SECRET)
    monkeypatch.setenv("TEAM", "team@example.com")
    p = pipeline({
        "on_start": [{"type": "webhook", "url": f"{http}/start", "secret": "${HOOK_SECRET}"}],
        "on_complete": [
            {"type": "slack", "channel": "#builds", "webhook_url": f"{http}/slack"},
            {"type": "email", "recipients": ["${TEAM}"], "smtp_host": "127.0.0.1", "smtp_port": port},
        ],
    })  # fmt: skip
    notifier = Notifier(p)
    run = PipelineRun(p, {}, {"llm": Instant()})
    await notifier.notify("on_start", run.status())
    await run.run()
    await notifier.notify("on_complete", run.status())
    assert notifier.failures == []
    (start_path, headers, body), (_, _, slack_body) = Receiver.received
    assert start_path == "/start"
    payload = Webhook(SECRET).verify(body, headers)  # raises if the signature is wrong
    assert payload["type"] == "pipeline.start" and payload["pipeline"] == "notified"
    assert json.loads(slack_body)["channel"] == "#builds"
    assert "succeeded" in json.loads(slack_body)["text"]
    for _ in range(50):
        if mails:
            break
        await asyncio.sleep(0.05)
    [(_, recipients, data)] = mails
    assert recipients == ["team@example.com"] and b"Wave pipeline notified: succeeded" in data


async def test_a_receiver_that_is_down_never_fails_the_run() -> None:
    p = pipeline({"on_complete": [{"type": "webhook", "url": "http://127.0.0.1:9/hook"}]})
    notifier = Notifier(p)
    run = PipelineRun(p, {}, {"llm": Instant()})
    await run.run()
    await notifier.notify("on_complete", run.status())
    assert run.state.value == "succeeded"
    [failure] = notifier.failures
    assert "webhook notification (on_complete) failed" in failure


async def test_the_relay_carries_the_seed_messages() -> None:
    relay = Relay("pipeline:notified")
    messages: list[Message] = []
    relay.subscribe(messages.append)
    run = PipelineRun(pipeline({}), {}, {"llm": Instant()}, on_event=relay.publish)
    await run.run()
    kinds = [(m.type.value, m.payload["kind"]) for m in messages]
    assert kinds[0] == ("notification", "run_started") and kinds[-1] == (
        "notification",
        "run_finished",
    )
    assert ("event", "task_started") in kinds
    assert {m.correlation_id for m in messages} == {run.id}
    assert all(m.from_ == "pipeline:notified" for m in messages)
