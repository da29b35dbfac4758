"""Personas enforced at the point of use: every path escape, denied paths, tools, hours and
resource limits, each refused with a security error and audited."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from wave_lsp.personas.guard import Access, AuditLog, PersonaGuard, SecurityRefusal
from wave_lsp.personas.models import Persona


def persona(**overrides: object) -> Persona:
    data: dict[str, object] = {
        "name": "dev",
        "security_context": {
            "permissions": ["code:read", "code:write"],
            "constraints": [
                {
                    "type": "directory_access",
                    "allowed_paths": ["src", "docs/*.md", "home-${USER}"],
                    "denied_paths": ["src/secret", ".git", "**/*.pem"],
                },
                {"type": "resource_limits", "max_memory": "200MB", "max_processes": 50},
                {
                    "type": "time_constraints",
                    "max_execution_time": "5s",
                    "allowed_hours": "9-17",
                    "time_zone": "Europe/Paris",
                },
            ],
        },
        "tools_allowed": ["python", "git"],
    }
    data.update(overrides)
    return Persona.model_validate(data)


@pytest.fixture
def root(tmp_path: Path) -> Path:
    ws = tmp_path / "ws"
    (ws / "src" / "secret").mkdir(parents=True)
    (ws / "src" / "app.py").write_text("x = 1\n")
    (ws / "src" / "secret" / "key.txt").write_text("k\n")
    (ws / "src" / "cert.pem").write_text("c\n")
    (ws / "docs").mkdir()
    (ws / "docs" / "guide.md").write_text("g\n")
    (ws / "README.md").write_text("r\n")
    (tmp_path / "ws_evil").mkdir()
    (tmp_path / "ws_evil" / "x.py").write_text("evil\n")
    (ws / "src" / "escape").symlink_to(tmp_path / "ws_evil")
    (ws / "src" / "etc").symlink_to("/etc")
    return ws


@pytest.fixture
def audit(root: Path) -> AuditLog:
    return AuditLog(root / ".wave" / "audit.log")


def noon_in_paris() -> datetime:
    return datetime(2026, 11, 23, 11, 0, tzinfo=UTC)  # 12:00 in Paris


def guard(root: Path, audit: AuditLog, **kwargs: object) -> PersonaGuard:
    return PersonaGuard(persona(), root, audit=audit, clock=noon_in_paris, **kwargs)  # type: ignore[arg-type]


def test_allowed_paths_work_in_every_spelling(root: Path, audit: AuditLog) -> None:
    g = guard(root, audit)
    expected = (root / "src" / "app.py").resolve()
    for spelling in [
        "src/app.py",
        "./src/app.py",
        "src/../src/app.py",
        str(root / "src" / "app.py"),
        (root / "src" / "app.py").as_uri(),
        (root / "src" / "app.py").as_uri().replace("app.py", "%61pp.py"),
    ]:
        assert g.check_path(spelling) == expected, spelling
    assert g.check_path("docs/guide.md") == (root / "docs" / "guide.md").resolve()
    assert audit.entries() == []


@pytest.mark.parametrize(
    ("target", "code"),
    [
        ("../ws_evil/x.py", "security.path_outside_workspace"),  # a prefix twin
        ("src/../../ws_evil/x.py", "security.path_outside_workspace"),
        ("src/escape/x.py", "security.path_outside_workspace"),  # a symlink out
        ("src/etc/passwd", "security.path_outside_workspace"),
        ("/etc/passwd", "security.path_outside_workspace"),
        ("file:///etc/passwd", "security.path_outside_workspace"),
        ("file:///%65tc/passwd", "security.path_outside_workspace"),  # percent-encoded
        ("src/secret/key.txt", "security.path_denied"),
        ("SRC/Secret/key.txt", "security.path_denied"),  # a case twin of a denied path
        ("src/cert.pem", "security.path_denied"),
        ("README.md", "security.path_not_allowed"),
        ("docs/../README.md", "security.path_not_allowed"),
    ],
)
def test_escapes_and_denied_paths_are_refused(
    root: Path, audit: AuditLog, target: str, code: str
) -> None:
    g = guard(root, audit)
    if target.startswith("SRC"):  # as on a case-insensitive file system
        (root / "SRC" / "Secret").mkdir(parents=True)
        (root / "SRC" / "Secret" / "key.txt").write_text("k\n")
    with pytest.raises(SecurityRefusal) as caught:
        g.check_path(target)
    error = caught.value.error
    assert error.code == code and error.type == "security"
    assert error.suggestions
    [entry] = audit.entries()
    assert entry["decision"] == "refused" and entry["code"] == code and entry["persona"] == "dev"


def test_deny_wins_over_allow_in_any_case(root: Path, audit: AuditLog) -> None:
    g = PersonaGuard(
        persona(
            security_context={
                "permissions": ["code:*"],
                "constraints": [
                    {"type": "directory_access", "allowed_paths": ["."], "denied_paths": [".GIT"]}
                ],
            }
        ),
        root,
        audit=audit,
    )
    (root / ".git").mkdir()
    (root / ".git" / "config").write_text("x")
    with pytest.raises(SecurityRefusal, match=r"denied by '\.GIT'"):
        g.check_path(".git/config", Access.WRITE)


def test_user_variables_expand(
    root: Path, audit: AuditLog, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("USER", "ada")
    (root / "home-ada").mkdir()
    (root / "home-ada" / "notes.txt").write_text("n\n")
    assert guard(root, audit).check_path("home-ada/notes.txt")


def test_permissions_are_checked(root: Path, audit: AuditLog) -> None:
    reader = PersonaGuard(
        persona(security_context={"permissions": ["code:read"]}), root, audit=audit
    )
    reader.check_path("README.md")
    with pytest.raises(SecurityRefusal, match="lacks the permission 'code:write'"):
        reader.check_path("README.md", Access.WRITE)
    with pytest.raises(SecurityRefusal, match="pipeline:execute"):
        reader.require("pipeline:execute")
    assert [e["code"] for e in audit.entries()] == ["security.permission_denied"] * 2


def test_tools_outside_the_list_are_refused(root: Path, audit: AuditLog) -> None:
    g = guard(root, audit)
    g.check_tool("/usr/bin/python")
    with pytest.raises(SecurityRefusal, match="may not run 'curl'") as caught:
        g.check_tool("curl")
    assert "python, git" in caught.value.error.suggestions[0]


def test_hours_are_checked_in_the_stated_time_zone(root: Path, audit: AuditLog) -> None:
    guard(root, audit).check_time()  # 12:00 in Paris
    late = PersonaGuard(
        persona(), root, audit=audit, clock=lambda: datetime(2026, 11, 23, 20, 30, tzinfo=UTC)
    )
    with pytest.raises(SecurityRefusal, match="from 09:00 to 17:00 Europe/Paris; it is 21:30"):
        late.check_time()
    assert audit.entries()[-1]["code"] == "security.outside_allowed_hours"


def test_enforce_boundaries_off_turns_refusals_into_audited_warnings(
    root: Path, audit: AuditLog
) -> None:
    g = guard(root, audit, enforce=False)
    assert g.check_path("README.md") == (root / "README.md").resolve()
    [entry] = audit.entries()
    assert entry["decision"] == "warned"


def test_a_memory_hog_is_stopped_by_its_limit(root: Path, audit: AuditLog) -> None:
    hog = "x = bytearray(1024 * 1024 * 1024); print('allocated')"
    result = subprocess.run(
        [sys.executable, "-c", hog],
        preexec_fn=guard(root, audit).preexec(),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode != 0
    assert "MemoryError" in result.stderr
    assert "allocated" not in result.stdout


def test_cpu_seconds_are_capped(root: Path, audit: AuditLog) -> None:
    spin = "while True: pass"
    g = PersonaGuard(
        persona(
            security_context={
                "constraints": [{"type": "time_constraints", "max_execution_time": "1s"}],
            }
        ),
        root,
        audit=audit,
    )
    result = subprocess.run(
        [sys.executable, "-c", spin],
        preexec_fn=g.preexec(),
        capture_output=True,
        timeout=60,
        check=False,
    )
    assert result.returncode < 0  # killed by SIGXCPU / SIGKILL
