"""The relay and notifications of a run.

:class:`Relay` turns the engine's events into the seed's relay Messages (``event`` for task
progress, ``notification`` for a run's start and end; the run id as correlation id) for every
subscriber. :class:`Notifier` sends a pipeline's ``notifications``: a ``webhook`` signed with
Standard Webhooks (HMAC-SHA256 over id.timestamp.body), a ``slack`` incoming webhook, an
``email`` over SMTP. ``${VAR}`` in URLs, secrets, hosts and recipients comes from the
environment. A notification that fails is logged; it never fails the run.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import re
import smtplib
import uuid
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from email.message import EmailMessage
from typing import Any

import httpx

from wave_lsp.pipelines.engine import Event
from wave_lsp.pipelines.models import (
    EmailNotification,
    Notification,
    Pipeline,
    SlackNotification,
    WebhookNotification,
)
from wave_lsp.relay.models import Message, MessageType

logger = logging.getLogger(__name__)

_VARIABLE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


def expand(text: str, environ: Mapping[str, str] | None = None) -> str:
    env = os.environ if environ is None else environ
    text = _VARIABLE.sub(lambda m: env.get(m.group(1), ""), text)
    if text.startswith("env:"):
        return env.get(text[4:], "")
    return text


class Relay:
    def __init__(self, source: str) -> None:
        self.source = source
        self.subscribers: list[Callable[[Message], None]] = []

    def subscribe(self, subscriber: Callable[[Message], None]) -> None:
        self.subscribers.append(subscriber)

    def publish(self, event: Event) -> None:
        notification = event.kind in ("run_started", "run_finished")
        message = Message.model_validate(
            {
                "id": uuid.uuid4().hex,
                "type": MessageType.NOTIFICATION if notification else MessageType.EVENT,
                "from": self.source,
                "to": "subscribers",
                "timestamp": datetime.now(UTC),
                "payload": {
                    "kind": event.kind,
                    "runId": event.run_id,
                    "task": event.task,
                    "state": event.state,
                    "attempt": event.attempt,
                    "message": event.message,
                },
                "correlation_id": event.correlation_id,
            }
        )
        for subscriber in list(self.subscribers):
            try:
                subscriber(message)
            except Exception:  # a subscriber's failure is its own
                logger.exception("relay subscriber failed")


class Notifier:
    def __init__(self, pipeline: Pipeline, environ: Mapping[str, str] | None = None) -> None:
        self.pipeline = pipeline
        self.environ = environ
        self.sent: list[tuple[str, str]] = []
        self.failures: list[str] = []

    async def notify(self, moment: str, status: dict[str, Any]) -> None:
        """``moment`` is on_start, on_complete or on_failure."""
        targets: list[Notification] = getattr(self.pipeline.notifications, moment)
        body = {
            "type": f"pipeline.{moment.removeprefix('on_')}",
            "pipeline": self.pipeline.id,
            "run": status,
        }
        for target in targets:
            try:
                if isinstance(target, WebhookNotification):
                    await self._webhook(target, body)
                elif isinstance(target, SlackNotification):
                    await self._slack(target, body)
                elif isinstance(target, EmailNotification):
                    await asyncio.to_thread(self._email, target, body)
                self.sent.append((moment, target.type))
            except Exception as error:  # never fails the run
                message = f"{target.type} notification ({moment}) failed: {error}"
                logger.warning(message)
                self.failures.append(message)

    async def _webhook(self, target: WebhookNotification, body: dict[str, Any]) -> None:
        data = json.dumps(body)
        headers = {"content-type": "application/json"}
        if target.secret:
            from standardwebhooks import Webhook

            message_id = f"msg_{uuid.uuid4().hex}"
            stamp = datetime.now(UTC)
            signature = Webhook(expand(target.secret, self.environ)).sign(message_id, stamp, data)
            headers |= {
                "webhook-id": message_id,
                "webhook-timestamp": str(int(stamp.timestamp())),
                "webhook-signature": signature,
            }
        async with httpx.AsyncClient(timeout=10) as client:
            response = await client.post(expand(target.url, self.environ), content=data,
                                         headers=headers)  # fmt: skip
            response.raise_for_status()

    async def _slack(self, target: SlackNotification, body: dict[str, Any]) -> None:
        if not target.webhook_url:
            raise ValueError("a slack notification needs webhook_url")
        run = body["run"]
        text = f"Wave pipeline {body['pipeline']}: {run.get('state')} ({run.get('runId')})"
        async with httpx.AsyncClient(timeout=10) as client:
            response = await client.post(
                expand(target.webhook_url, self.environ),
                json={"channel": target.channel, "text": text},
            )
            response.raise_for_status()

    def _email(self, target: EmailNotification, body: dict[str, Any]) -> None:
        message = EmailMessage()
        run = body["run"]
        message["Subject"] = f"Wave pipeline {body['pipeline']}: {run.get('state')}"
        message["From"] = target.sender
        message["To"] = ", ".join(expand(r, self.environ) for r in target.recipients)
        message.set_content(json.dumps(run, indent=2))
        with smtplib.SMTP(expand(target.smtp_host, self.environ), target.smtp_port,
                          timeout=10) as smtp:  # fmt: skip
            smtp.send_message(message)
