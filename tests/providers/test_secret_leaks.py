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


# Every format the rules know, with a sample secret and a name to give it: the name is what a
# shell script, a compose file or a log line writes before it.
SAMPLES: dict[str, tuple[str, str]] = {
    "security.secret.aws-access-key": ("AWS_ACCESS_KEY_ID", "AKIAAHOV4DKRY7GNU3CJ"),
    "security.secret.azure-storage-key": (
        "AZURE_CONN", "AccountKey=" + ("Zm9vYmFyYmF6cXV4" * 6)[:86] + "=="),
    "security.secret.basic-auth": ("DATABASE_URL", "https://admin:s3cr3tPass-9xQ@db.internal/app"),
    "security.secret.github-token": ("GITHUB_TOKEN", "ghp_wnQrahovCJQX4bipwDKRY5cjqxELSZ6dkryF"),
    "security.secret.gitlab-token": ("GITLAB_TOKEN", "glpat-Xb7kahovCJQX4bipwDKRY"),
    "security.secret.jwt": ("SESSION", "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0."
                            "dBjftJeZ4CVPmB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
    "security.secret.mailchimp-key": ("MAILCHIMP_KEY", "ahov29gnu18fmt07elsz6dkry5cjqx4b-us12"),
    "security.secret.npm-token": ("NPMRC", "//registry.npmjs.org/:_authToken=npm_Q1w2E3r4T5y6U7i8O9p0AaSsDdFfGgHhJjKk"),
    "security.secret.openai-key": ("OPENAI_API_KEY", "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"),
    "security.secret.pypi-token": ("PYPI_PASSWORD", "pypi-AgEIcHlwaS5vcmcahovCJQX4bipwDKRY5cjqxELSZ6dkryFMT07elszGNU18fmtAHOV29gnuBIPW3ahovCJQX4b"),
    "security.secret.sendgrid-key": ("SENDGRID_KEY", "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"),
    "security.secret.slack-token": ("SLACK_TOKEN", "xoxb-123456789012-Ab3dEf6hIj9kLm2N"),
    "security.secret.square-oauth-secret": ("SQUARE_SECRET", "sq0csp-ahovCJQX4bipwDKRY5cjqxELSZ6dkryFMT07elszGNU"),
    "security.secret.stripe-key": ("STRIPE_KEY", "sk_live_" + "51HqLyjWDarjtT1zdp7dcXYZ" + "Qw3rTy8uIo" * 8),
    "security.secret.twilio-key": ("TWILIO_SID", "ACahov29gnu18fmt07elsz6dkry5cjqx4b"),
    "security.secret.anthropic-key": ("ANTHROPIC_API_KEY", "sk-ant-api03-ahovCJQX4bipwDKRY5cjqxELSZ6dkryFMT07els-GNU18fmtAA"),
    "security.secret.openai-project-key": ("OPENAI_KEY", "sk-proj-ahovCJQX4bipwDKRY5cjqxELSZ6dkryFMT07elszGNU18fmtAHOV29gnuBIPW3"),
    "security.secret.google-api-key": ("GEMINI_API_KEY", "AIzaSyAhovCJQX4bipwDKRY5cjqxELSZ6dkryFM"),
    "security.secret.google-oauth": ("GOOGLE_TOKEN", "ya29.a0AhovCJQX4bipwDKRY5cjqxELSZ6dkryFMT07"),
    "security.secret.huggingface-token": ("HF_TOKEN", "hf_ahovCJQX4bipwDKRY5cjqxELSZ6dkryFMT"),
    "security.secret.github-fine-grained-token": ("GH_TOKEN", "github_pat_11AhovCJQX4bipwDKRY5cj_qxELSZ6dkryFMT07elszGNU18fmtAHOV29gnuBIPW3ah"),
    "security.secret.npm-access-token": ("NPM_TOKEN", "npm_ahovCJQX4bipwDKRY5cjqxELSZ6dkryFMT07"),
    "security.secret.aws-secret-key": ("AWS_SECRET_ACCESS_KEY", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"),
    "security.secret.azure-key": ("AZURE_STORAGE_KEY", ("Qk3xT9vLm2Wp8RzN" * 6)[:86] + "=="),
    "security.hardcoded-credential": ("API_TOKEN", "q8Xw2LmP9zRt4VbN7sKd"),
}  # fmt: skip
"""The private key is tested whole above (test_a_private_key_is_redacted_whole)."""
SECRET_IN_VALUE = {
    "security.secret.basic-auth": "s3cr3tPass-9xQ",
    "security.secret.npm-token": "npm_Q1w2E3r4T5y6U7i8O9p0AaSsDdFfGgHhJjKk",
    "security.secret.azure-storage-key": SAMPLES["security.secret.azure-storage-key"][1][11:],
}
"""Where the value written is more than the secret (a URL, an .npmrc line)."""


def _contexts() -> dict[str, str]:
    lines = {
        "settings.py": [f'{name} = "{secret}"' for name, secret in SAMPLES.values()],
        "deploy.sh": [f"export {name}={secret}" for name, secret in SAMPLES.values()]
        + [f'curl -H "Authorization: Bearer {SAMPLES["security.secret.github-token"][1]}" x'],
        "docker-compose.yml": ["services:", "  app:", "    environment:"]
        + [f"      {name}: {secret}" for name, secret in SAMPLES.values()],
        "app.log": [
            f"2026-12-01T10:00:0{n % 10}Z INFO config loaded {name}={secret} status=200"
            for n, (name, secret) in enumerate(SAMPLES.values())
        ],
    }
    return {path: "\n".join(body) + "\n" for path, body in lines.items()}


def test_every_secret_rule_has_a_sample(workspace: Path) -> None:
    known = {r.rule.id for r in secret_rules(list(load_workspace(workspace).rules.values()))}
    assert known - {"security.secret.private-key"} == set(SAMPLES)


def test_no_suffix_of_any_secret_reaches_the_provider_in_any_context(
    write: WriteFile, workspace: Path, server: ProtocolServer
) -> None:
    write(".wave/config.yaml", json.dumps({"providers": {"defaultProvider": "llm", "providers": {
        "llm": {"type": "openai", "baseUrl": f"{server.url}/v1", "model": "gpt-test",
                "providerSpecific": {"contextWindow": 200000}}}}}))  # fmt: skip
    files = []
    for path, text in _contexts().items():
        (workspace / path).write_text(text)
        files += ["--file", str(workspace / path)]
    system = "Deploy settings: " + "; ".join(f"{n}={v}" for n, v in SAMPLES.values())
    for arguments in ([*files, "--system", system], ["--system", system]):  # --system alone too
        result = subprocess.run(
            [sys.executable, "-m", "wave_lsp", "ask", "--root", str(workspace), *arguments,
             "what is wrong with this deployment?"],
            capture_output=True, text=True, timeout=120, check=False, env={**os.environ},
        )  # fmt: skip
        assert result.returncode == 0, result.stderr
        assert " cut" not in result.stderr and "dropped" not in result.stderr, result.stderr
    with_files, system_only = (json.dumps(r.body) for r in server.requests)
    for path in _contexts():
        assert path in with_files  # every context arrived
    for name, _ in SAMPLES.values():
        assert f"export {name}=" in with_files and f"{name}=" in system_only  # names are kept
    leaks = {}
    for rule_id, (_, value) in SAMPLES.items():
        secret = SECRET_IN_VALUE.get(rule_id, value)
        for sent in (with_files, system_only):
            for piece in (secret[-12:], json.dumps(secret[-12:])[1:-1]):
                if piece in sent:
                    leaks[rule_id] = piece
    assert leaks == {}
