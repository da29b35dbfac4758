"""Secrets never leave the machine: documents seeded with every secret format the built-in rules
know go to a recording provider server through `wave ask --file`, and none arrives."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import WriteFile
from tests.providers.protocol_server import ProtocolServer
from wave_lsp.config.workspace import load_workspace
from wave_lsp.context.secrets import Redactor, secret_rules
from wave_lsp.validation.models import RuleExample

PEM = (
    'key = """-----BEGIN RSA PRIVATE KEY-----\n'
    "MIIEowIBAAKCAQEA1b2c3d4e5f6g7h8i9j0kLmNoPqRsTuVwXyZ\n"
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuv==\n"
    '-----END RSA PRIVATE KEY-----"""\n'
    "after = 1\n"
)

SECRET = re.compile(r"""["']?([A-Za-z0-9+/=_\-.:@]{12,})["']?""")


def secret_examples(root: Path) -> list[str]:
    rules = secret_rules(list(load_workspace(root).rules.values()))
    texts = []
    for compiled in rules:
        for example in compiled.rule.examples.match:
            texts.append(example.text if isinstance(example, RuleExample) else example)
    return texts


@pytest.fixture
def server() -> Iterator[ProtocolServer]:
    running = ProtocolServer().start()
    yield running
    running.stop()


def test_every_known_secret_format_is_redacted(workspace: Path) -> None:
    examples = secret_examples(workspace)
    assert len(examples) >= 17
    redactor = Redactor(list(load_workspace(workspace).rules.values()))
    for text in examples:
        redacted = redactor.redact(text, "config.py")
        assert "<<secret:" in redacted, text
        assert redactor.restore(redacted, "config.py") == text
        assert redactor.restore(redacted, "other.py") == redacted  # never into another file


def test_no_secret_reaches_the_provider(
    write: WriteFile, workspace: Path, server: ProtocolServer
) -> None:
    examples = secret_examples(workspace)
    write(
        ".wave/config.yaml",
        f"""
        providers:
          defaultProvider: llm
          providers:
            llm: {{type: openai, baseUrl: "{server.url}/v1", model: gpt-test}}
        """,
    )
    seeded = workspace / "settings.py"
    seeded.write_text("\n".join(examples) + "\n" + PEM)
    notes = workspace / "notes.md"
    notes.write_text("deploy with " + examples[0] + "\n")
    question = f"why does this fail? {examples[1]}"
    result = subprocess.run(
        [sys.executable, "-m", "wave_lsp", "ask", "--root", str(workspace),
         "--file", str(seeded), "--file", str(notes), question],
        capture_output=True, text=True, timeout=120, check=False, env={**os.environ},
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "secret(s) redacted before sending" in result.stderr
    [request] = server.requests
    sent = json.dumps(request.body)
    assert "settings.py" in sent and "<<secret:" in sent
    assert "MIIEowIBAAKCAQEA" not in sent and "ABCDEFGHIJKLMNOP" not in sent
    for text in examples:
        for secret in SECRET.findall(text):
            if any(ch.isdigit() for ch in secret) and len(secret) >= 16:
                assert secret not in sent, f"leaked: {secret}"


def test_a_file_outside_the_persona_is_refused_as_context(
    write: WriteFile, workspace: Path, server: ProtocolServer, tmp_path: Path
) -> None:
    write(
        ".wave/config.yaml",
        f"""
        providers:
          defaultProvider: llm
          providers:
            llm: {{type: openai, baseUrl: "{server.url}/v1", model: gpt-test}}
        """,
    )
    outside = tmp_path / "outside.txt"
    outside.write_text("private\n")
    result = subprocess.run(
        [sys.executable, "-m", "wave_lsp", "ask", "--root", str(workspace),
         "--file", str(outside), "hi"],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "outside.txt dropped: refused" in result.stderr
    assert "private" not in json.dumps(server.requests[-1].body)
    audit = (workspace / ".wave" / "audit.log").read_text()
    assert "security.path_outside_workspace" in audit


def test_a_private_key_is_redacted_whole(workspace: Path) -> None:
    redactor = Redactor(list(load_workspace(workspace).rules.values()))
    redacted = redactor.redact(PEM, "k.py")
    assert redacted == 'key = """<<secret:private-key:1>>"""\nafter = 1\n'
    assert redactor.restore(redacted, "k.py") == PEM
    no_end = PEM.replace('-----END RSA PRIVATE KEY-----"""\n', "")
    redacted = redactor.redact(no_end, "k.py")
    assert "MIIEow" not in redacted and "ABCDEF" not in redacted
