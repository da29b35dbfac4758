"""What ``wave mcp serve`` works on: the workspace (reloaded when a ``.wave/`` file changes),
its session and the server's persona, and the domain operations its tools are (no MCP here:
:mod:`wave_lsp.mcp.server` converts). Blocking: the server calls these on worker threads."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from wave_lsp.config.paths import WAVE_DIR

if TYPE_CHECKING:
    from wave_lsp.config.workspace import WaveWorkspace
    from wave_lsp.personas.guard import PersonaGuard
    from wave_lsp.session.core import Session


class Refused(Exception):
    """The request cannot be done: the message says why (and what to do)."""


def _stamp(root: Path) -> tuple[tuple[str, int, int], ...]:
    folder = root / WAVE_DIR
    if not folder.is_dir():
        return ()
    return tuple(
        (p.as_posix(), p.stat().st_mtime_ns, p.stat().st_size)
        for p in sorted(folder.rglob("*.y*ml"))
        if p.is_file()
    )


@dataclass
class ServerState:
    root: Path
    persona: str | None = None
    """``--persona`` (else the configuration's default)."""
    session_id: str = field(default_factory=lambda: f"mcp-{uuid.uuid4().hex[:8]}")
    _workspace: WaveWorkspace | None = None
    _stamp: tuple[tuple[str, int, int], ...] = ()
    _session: Session | None = None

    def workspace(self) -> WaveWorkspace:
        from wave_lsp.config.workspace import load_workspace

        stamp = _stamp(self.root)
        if self._workspace is None or stamp != self._stamp:
            self._workspace, self._stamp = load_workspace(self.root), stamp
        return self._workspace

    def session(self) -> Session:
        from wave_lsp.session.core import Session

        if self._session is None:
            config = self.workspace().config
            self._session = Session(self.root, self.session_id, config.context)
        return self._session

    def guard(self) -> PersonaGuard:
        from wave_lsp.session.core import SessionError

        try:
            return self.session().guard(self.workspace(), self.persona)
        except SessionError as error:
            raise Refused(str(error)) from error

    def relative(self, given: str) -> Path:
        """A path the client gave (relative to the root, or absolute inside it), resolved
        (``..`` and symlinks) and checked to stay in the workspace."""
        path = (self.root / given).resolve()
        if not path.is_relative_to(self.root):
            raise Refused(f"{given} is outside the workspace {self.root}")
        return path

    def rules(self) -> list[Any]:
        return list(self.workspace().rules.values())


def finding_json(finding: Any) -> dict[str, Any]:
    span = finding.span
    out: dict[str, Any] = {
        "path": finding.path,
        "line": span.line + 1,
        "column": span.column + 1,
        "endLine": span.end_line + 1,
        "endColumn": span.end_column + 1,
        "severity": finding.severity,
        "rule": finding.rule_id,
        "message": finding.message,
    }
    if finding.fix is not None:
        out["fix"] = {"replacement": finding.fix.replacement, "title": finding.fix.title,
                      "applicability": str(finding.fix.applicability)}  # fmt: skip
    if finding.url:
        out["url"] = finding.url
    return out


def check(
    state: ServerState, paths: list[str], text: str | None, path: str | None
) -> dict[str, Any]:
    """Findings for files (or for ``text`` as if it were ``path``), with SARIF."""
    from wave_lsp.errors import WaveError
    from wave_lsp.personas.guard import Access
    from wave_lsp.validation.engine import Engine
    from wave_lsp.validation.runner import check_files
    from wave_lsp.validation.sarif import to_sarif

    guard = state.guard()
    rules = state.rules()
    if text is not None:
        targets = [state.relative(path or "untitled.txt")]
    else:
        targets = [state.relative(p) for p in paths or ["."]]
        missing = [str(p) for p in targets if not p.exists()]
        if missing:
            raise Refused(f"no such file or folder: {', '.join(missing)}")
    try:
        guard.require("code:read", "check files")
        for target in targets:
            guard.check_path(target, Access.READ)
    except WaveError as refusal:
        raise Refused(refusal.error.message) from refusal
    persona = guard.persona
    if text is not None:
        from wave_lsp.validation.findings import Snapshot
        from wave_lsp.validation.runner import RunResult

        relative = targets[0].relative_to(state.root).as_posix()
        checked = Engine(rules).check(Snapshot.of(relative, text), persona.name,
                                      persona.security_context.permissions)  # fmt: skip
        result = RunResult(list(checked.findings), list(checked.failures), [relative])
    else:
        result = check_files(
            state.root, Engine(rules), targets, persona=persona.name,
            permissions=persona.security_context.permissions,
        )  # fmt: skip
    found = {f.rule_id for f in result.findings}
    return {
        "findings": [finding_json(f) for f in result.findings],
        "failures": [
            {"rule": f.rule_id, "path": f.path, "message": f.message} for f in result.failures
        ],
        "files": len(result.files),
        "sarif": to_sarif(
            state.root.as_uri() + "/", [r for r in rules if r.rule.id in found], result.findings
        ),  # only the rules that found something: it is read by models
    }


def rules(state: ServerState) -> list[dict[str, Any]]:
    out = []
    for compiled in state.rules():
        rule = compiled.rule
        examples = rule.examples.model_dump(mode="json", exclude_none=True, by_alias=True)
        out.append({
            "id": rule.id, "name": rule.name, "severity": str(rule.severity.value),
            "type": str(rule.type.value), "description": rule.description,
            "message": rule.message, "examples": examples,
        })  # fmt: skip
    return out


def propose_edit(
    state: ServerState, path: str | None, diff: str | None, content: str | None, why: str
) -> dict[str, Any]:
    """A diff (or SEARCH/REPLACE blocks, an apply_patch envelope) or a whole file as a pending
    proposal: checked by the persona like a write, never written here."""
    from wave_lsp.edits.changes import PathError, plan_changes
    from wave_lsp.edits.extract import extract_patches
    from wave_lsp.edits.patch import PatchSyntaxError
    from wave_lsp.errors import WaveError
    from wave_lsp.personas.guard import Access
    from wave_lsp.pipelines.agent_runner import read_or_none
    from wave_lsp.session.proposals import Proposals

    if (diff is None) == (content is None):
        raise Refused("give diff (a unified diff, SEARCH/REPLACE blocks or a patch) or content")
    if content is not None and not path:
        raise Refused("content replaces a whole file: give its path too")
    relative = state.relative(path).relative_to(state.root).as_posix() if path else None
    if content is not None:
        body = content if content.endswith("\n") or not content else content + "\n"
        answer = f"{relative}\n```\n{body}```\n"
    else:
        answer = str(diff)
    try:
        patches = extract_patches(answer, relative)
        plan = plan_changes(state.root, patches, read_or_none)
    except (PatchSyntaxError, PathError, ValueError) as error:
        raise Refused(f"the edit cannot be read: {error}") from error
    if not plan.files:
        raise Refused("the edit changes no file (nothing recognised as a diff or a file)")
    if not plan.ok:
        raise Refused("the edit does not apply: " + "; ".join(plan.errors()))
    guard = state.guard()
    try:
        guard.check_time()
        for change in plan.files:
            for target in (change.path, getattr(change, "new_path", None)):
                if target:
                    guard.check_path(state.root / target, Access.WRITE)
    except WaveError as refusal:
        raise Refused(refusal.error.message) from refusal
    proposal = Proposals(state.root).propose(plan, f"mcp{': ' + why if why else ''}")
    return proposal_json(proposal, diff=True)


def proposal_json(proposal: Any, *, diff: bool = False) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": proposal.id,
        "status": proposal.status.value,
        "origin": proposal.origin,
        "summary": proposal.summary(),
        "files": [f.file_path for f in proposal.files],
        "apply": f"approve it in the editor (wave.proposal.apply), or `wave apply --proposal "
        f"{proposal.id}`",
    }
    if diff:
        out["diff"] = proposal.unified_diff()
    return out


def proposals(state: ServerState, proposal_id: str | None) -> dict[str, Any]:
    from wave_lsp.session.proposals import ProposalError, Proposals

    store = Proposals(state.root)
    if proposal_id is None:
        return {"proposals": [proposal_json(p) for p in store.store.all()]}
    try:
        return proposal_json(store.find(proposal_id), diff=True)
    except ProposalError as error:
        raise Refused(str(error)) from error


def context(state: ServerState, paths: list[str], model: str | None) -> dict[str, Any]:
    """What a request with these files open would carry (the same function builds both)."""
    from wave_lsp.actions.run import prepare
    from wave_lsp.context.builder import OpenDocument
    from wave_lsp.fileread import FileRefused, read_text
    from wave_lsp.providers.registry import ProviderRegistry

    workspace = state.workspace()
    guard = state.guard()
    try:
        provider, model_name = ProviderRegistry.from_config(workspace.config.providers).resolve(
            model
        )
    except Exception as error:
        raise Refused(f"no model to build a request for: {error}") from error
    documents = []
    for index, given in enumerate(paths):
        target = state.relative(given)
        try:
            text = read_text(target)
        except (OSError, FileRefused) as error:
            raise Refused(f"{given}: {error}") from error
        documents.append(OpenDocument(target, text, focused=index == 0))
    prepared = prepare(
        guard, provider, model_name, documents, state.rules(), state.session(),
        max_size_bytes=int(workspace.config.context.max_size),
    )  # fmt: skip
    return {"persona": guard.persona.name, "model": model_name, **prepared.report()}
