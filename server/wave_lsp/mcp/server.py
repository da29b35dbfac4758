"""``wave mcp serve`` (``wave-mcp``): Wave's rules and governance as MCP tools and resources
for any agent, over stdio. The tools convert their arguments and delegate to
:mod:`wave_lsp.mcp.state` on worker threads; the server's persona (``--persona``) is enforced
as in the editor, and refusals come back as tool errors that say why. Read-only tools are
annotated so; ``propose_edit`` makes a proposal and never writes."""

from __future__ import annotations

import asyncio
import logging
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal, TypeVar

from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from mcp_types import ToolAnnotations

from wave_lsp import __version__
from wave_lsp.config.paths import WAVE_DIR
from wave_lsp.mcp import state as ops
from wave_lsp.mcp.runs import Runs

log = logging.getLogger(__name__)
READ_ONLY = ToolAnnotations(read_only_hint=True, open_world_hint=False)
PROPOSES = ToolAnnotations(read_only_hint=False, destructive_hint=False, open_world_hint=False)
T = TypeVar("T")


async def _off_loop(function: Callable[..., T], *arguments: Any) -> T:
    try:
        return await asyncio.to_thread(function, *arguments)
    except ops.Refused as refusal:
        raise ToolError(str(refusal)) from None


def build(state: ops.ServerState) -> MCPServer:
    server = MCPServer(
        "wave",
        title="Wave",
        version=__version__,
        instructions="Wave's rules, proposals and pipelines for this workspace. Check files "
        "with `check`; propose changes with `propose_edit` (the user approves them: nothing "
        "is written by this server).",
    )
    runs = Runs(state)

    @server.tool(annotations=READ_ONLY, description="The project's rule findings (security, "
                 "quality, secrets) for files or folders, or for a text as if it were the file "
                 "`path`. Answers findings and a SARIF 2.1.0 log.")  # fmt: skip
    async def check(
        paths: list[str] | None = None, text: str | None = None, path: str | None = None
    ) -> dict[str, Any]:
        return await _off_loop(ops.check, state, paths or [], text, path)

    @server.tool(annotations=READ_ONLY, description="The active validation rules, each with "
                 "its severity, message and examples it flags and accepts.")  # fmt: skip
    async def rules() -> dict[str, Any]:
        return {"rules": await _off_loop(ops.rules, state)}

    @server.tool(annotations=PROPOSES, description="Propose a change: a unified diff, "
                 "SEARCH/REPLACE blocks or an apply_patch envelope in `diff`, or a whole file "
                 "in `content` with its `path`. It becomes a Wave proposal that the user "
                 "approves in the editor or with `wave apply --proposal ID`; nothing is written "
                 "now.")  # fmt: skip
    async def propose_edit(
        path: str | None = None,
        diff: str | None = None,
        content: str | None = None,
        description: str = "",
    ) -> dict[str, Any]:
        return await _off_loop(ops.propose_edit, state, path, diff, content, description)

    @server.tool(annotations=READ_ONLY, description="List the workspace's proposals, or show "
                 "one (its diff) by `id`.")  # fmt: skip
    async def proposals(id: str | None = None) -> dict[str, Any]:
        return await _off_loop(ops.proposals, state, id)

    @server.tool(annotations=READ_ONLY, description="What a model request would carry with "
                 "these files open (the first one focused): the files and sections kept or "
                 "left out, redactions, the token budget, the conversation.")  # fmt: skip
    async def context(paths: list[str] | None = None, model: str | None = None) -> dict[str, Any]:
        return await _off_loop(ops.context, state, paths or [], model)

    @server.tool(annotations=PROPOSES, description="Wave's pipelines: `list` them, `run` one "
                 "(`pipeline`, `inputs`; progress is reported as it runs; its changes become a "
                 "proposal, never written), or the `status` of a run by `run_id`.")  # fmt: skip
    async def pipelines(
        ctx: Context,
        action: Literal["list", "run", "status"] = "list",
        pipeline: str | None = None,
        inputs: dict[str, Any] | None = None,
        run_id: str | None = None,
    ) -> dict[str, Any]:
        try:
            if action == "list":
                return await asyncio.to_thread(runs.listed)
            if action == "status":
                return runs.status(run_id)
            if not pipeline:
                raise ops.Refused("give the pipeline to run (see action 'list')")
            return await runs.run(pipeline, inputs or {}, ctx.report_progress)
        except ops.Refused as refusal:
            raise ToolError(str(refusal)) from None

    for path in _configuration_files(state.root):
        _add_resource(server, state.root, path)
    return server


def _configuration_files(root: Path) -> list[Path]:
    folder = root / WAVE_DIR
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.rglob("*") if p.is_file() and p.suffix in (".yaml", ".yml",
                  ".json", ".md") and "state" not in p.relative_to(folder).parts)  # fmt: skip


def _add_resource(server: MCPServer, root: Path, path: Path) -> None:
    from mcp.server.mcpserver.resources import FunctionResource

    relative = path.relative_to(root).as_posix()

    def read() -> str:
        return path.read_text(encoding="utf-8", errors="replace")

    server.add_resource(
        FunctionResource.from_function(
            read, uri=f"wave://workspace/{relative}", name=relative,
            description=f"Wave configuration: {relative}",
            mime_type="application/yaml" if path.suffix in (".yaml", ".yml") else "text/plain",
        )
    )  # fmt: skip


def main(root: Path, persona: str | None) -> int:
    logging.basicConfig(stream=sys.stderr, level=logging.WARNING,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")  # fmt: skip
    resolved = root.resolve()
    if not resolved.is_dir():
        print(f"wave mcp serve: --root {root}: not a directory", file=sys.stderr)
        return 2
    state = ops.ServerState(resolved, persona)
    workspace = state.workspace()
    if persona is not None and persona not in workspace.personas:
        known = ", ".join(sorted(workspace.personas))
        print(f"wave mcp serve: --persona {persona}: no such persona ({known})", file=sys.stderr)
        return 2
    server = build(state)
    try:
        server.run("stdio")
    except KeyboardInterrupt:
        return 130
    return 0
