"""File context: priority, budget, cuts and drops reported exactly, binary and large files,
persona refusals."""

from __future__ import annotations

from pathlib import Path

import pytest

from wave_lsp.config.workspace import load_workspace
from wave_lsp.context.builder import Budget, OpenDocument, Status, build_context
from wave_lsp.context.secrets import Redactor
from wave_lsp.context.tokens import estimate_tokens
from wave_lsp.personas.guard import AuditLog, PersonaGuard
from wave_lsp.personas.models import Persona


@pytest.fixture
def root(tmp_path: Path) -> Path:
    ws = tmp_path / "ws"
    (ws / "src").mkdir(parents=True)
    (ws / "src" / "a.py").write_text("a = 1\n" * 10)  # 60 chars: 20 tokens
    (ws / "src" / "b.py").write_text("b = 2\n" * 30)  # 180 chars: 60 tokens
    (ws / "src" / "blob.bin").write_bytes(b"\x00\x01binary")
    (ws / "src" / "big.txt").write_text("x" * 2000)
    (ws / "private").mkdir()
    (ws / "private" / "p.txt").write_text("p\n")
    return ws


def guard(root: Path) -> PersonaGuard:
    persona = Persona.model_validate(
        {
            "name": "dev",
            "security_context": {
                "permissions": ["code:read"],
                "constraints": [
                    {"type": "directory_access", "allowed_paths": ["src"], "denied_paths": []}
                ],
            },
        }
    )
    return PersonaGuard(persona, root, audit=AuditLog(root / ".wave" / "audit.log"))


def redactor(root: Path) -> Redactor:
    return Redactor(list(load_workspace(root).rules.values()))


def test_priority_budget_and_reasons_are_exact(root: Path) -> None:
    focused_text = "".join(f"line {n}\n" for n in range(100))  # 790 chars: 264 tokens
    documents = [
        OpenDocument(root / "src" / "b.py", "b = 2\n" * 30),
        OpenDocument(root / "src" / "focus.py", focused_text, focused=True, selection=(50, 51)),
    ]
    added = [
        root / "src" / "a.py",
        root / "src" / "blob.bin",
        root / "src" / "big.txt",
        root / "private" / "p.txt",
        root / "src" / "missing.py",
    ]
    built = build_context(
        guard(root), documents, added, budget=Budget(300, max_file_bytes=1000),
        redactor=redactor(root),
    )  # fmt: skip
    report = {e.path: e for e in built.report.entries}
    # the focused document first: it fits whole
    assert report["src/focus.py"].status is Status.INCLUDED
    assert report["src/focus.py"].tokens == estimate_tokens(focused_text) == 264
    # then the other open document: its 60 tokens do not fit the 36 left, and it says so
    assert report["src/b.py"].status is Status.DROPPED
    assert report["src/b.py"].reason == "over budget: 60 tokens, 36 left"
    # the added file of 20 tokens still fits
    assert report["src/a.py"].status is Status.INCLUDED and report["src/a.py"].tokens == 20
    assert report["src/blob.bin"].reason == "binary file"
    assert report["src/big.txt"].reason == "larger than 1000 bytes"
    assert report["private/p.txt"].reason.startswith("refused: persona 'dev' may not use")
    assert report["src/missing.py"].reason.startswith("unreadable")
    assert built.report.total_tokens == 284
    assert [f.path for f in built.files] == ["src/focus.py", "src/a.py"]


def test_a_focused_document_too_big_is_cut_around_the_selection(root: Path) -> None:
    text = "".join(f"line {n:03d}\n" for n in range(300))  # 9 chars a line: 3 tokens each
    documents = [OpenDocument(root / "src" / "f.py", text, focused=True, selection=(150, 150))]
    built = build_context(guard(root), documents, [], budget=Budget(30), redactor=redactor(root))
    [entry] = built.report.entries
    assert entry.status is Status.CUT and entry.lines is not None
    first, last = entry.lines
    assert first <= 151 <= last and last - first + 1 == 10  # 10 lines of 3 tokens
    assert "lines" in entry.reason and "of 300 kept" in entry.reason
    assert built.files[0].content.startswith(f"line {first - 1:03d}")


def test_secrets_are_redacted_and_reported(root: Path) -> None:
    text = 'aws = "AKIAQYLPMN5HHHFPZAM2"\n'
    documents = [OpenDocument(root / "src" / "c.py", text)]
    built = build_context(guard(root), documents, [], budget=Budget(500), redactor=redactor(root))
    assert "AKIA" not in built.files[0].content
    [redaction] = built.report.redactions
    assert (redaction.path, redaction.kind, redaction.line) == ("src/c.py", "aws-access-key", 1)
    assert built.report.to_json()["redactions"] == [
        {"path": "src/c.py", "kind": "aws-access-key", "placeholder": redaction.placeholder,
         "line": 1}
    ]  # fmt: skip


def test_the_budget_leaves_room_for_the_answer_and_the_system_limit() -> None:
    assert Budget.of(8192, 4000, prompt_tokens=192).tokens == 4000
    assert Budget.of(128_000, 4000, max_size_bytes=3000).tokens == 1000
    assert Budget.of(2048, 4000).tokens == 0


def test_a_redactor_remembers_texts_until_a_new_secret_is_known(root: Path) -> None:
    redacting = redactor(root)
    password = "s3cr3tpass"
    plain = f"# the password is {password}\n"  # no rule sees it here
    first = redacting.redact(plain, "a.py")
    assert first == plain and not redacting.redactions
    assert redacting.redact(plain, "a.py") == first
    url = f'url = "https://admin:{password}@db.internal:5432/app"\n'
    found = redacting.redact(url, "b.py")
    assert password not in found and len(redacting.redactions) == 1
    again = redacting.redact(url, "b.py")
    assert again == found and len(redacting.redactions) == 1  # remembered: not recorded twice
    # The password is known now: the remembered result for the first text no longer holds.
    assert password not in redacting.redact(plain, "a.py")
