"""``wave mcp list`` (the configured MCP servers: started, their state and tools),
``wave mcp serve`` / ``wave-mcp`` (Wave as an MCP server), and ``wave apply --proposal ID``
(a proposal, for instance from ``propose_edit``, written to disk after the persona's checks)."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from pathlib import Path
from typing import Any

from wave_lsp.cli.lsp import add_connect_arguments, connect

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2


def add_serve_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--root", type=Path, default=Path(), help="workspace root (default: .)")
    parser.add_argument("--persona", help="the persona the server acts as (default: the "
                        "configuration's default persona; with --connect, your first)")  # fmt: skip
    add_connect_arguments(parser)


def serve(arguments: argparse.Namespace) -> int:
    """``wave mcp serve``: Wave's MCP server here, or a daemon's (``--connect``) as its user."""
    if arguments.connect:
        return connect(arguments.connect, arguments.user, arguments.token_file, "mcp",
                       arguments.persona)  # fmt: skip
    from wave_lsp.mcp.server import main as mcp_serve

    return mcp_serve(arguments.root, arguments.persona)


def add_mcp_parser(commands: Any) -> None:
    mcp = commands.add_parser(
        "mcp",
        help="MCP: the configured servers (list), or Wave as an MCP server (serve)",
        description="`wave mcp list` starts the MCP servers of providers.mcpServers and shows "
        "their state and tools (as the agents name them: server__tool). `wave mcp serve` "
        "serves Wave's rules, proposals and pipelines as MCP tools over stdio.",
    )
    mcp_commands = mcp.add_subparsers(dest="mcp_command", metavar="COMMAND", required=True)
    mcp_list = mcp_commands.add_parser("list", help="the configured servers and their tools")
    mcp_list.add_argument("--root", type=Path, default=Path(), help="workspace root")
    mcp_list.add_argument("--json", action="store_true", help="print JSON")
    add_serve_arguments(mcp_commands.add_parser("serve", help="serve MCP over stdio"))


def list_servers(root: Path, as_json: bool) -> int:
    from wave_lsp.config.workspace import load_workspace
    from wave_lsp.mcp.hub import McpHub, ServerStatus

    if not root.is_dir():
        print(f"wave mcp list: --root {root}: not a directory", file=sys.stderr)
        return EXIT_USAGE
    workspace = load_workspace(root.resolve())
    config = workspace.config.providers
    servers = dict(config.mcp_servers) if config is not None else {}
    if not servers:
        print("wave mcp list: no MCP servers are configured (providers.mcpServers in "
              ".wave/config.yaml)", file=sys.stderr)  # fmt: skip
        return EXIT_OK
    hub = McpHub(servers, root.resolve())

    async def statuses() -> list[ServerStatus]:
        try:
            return list(await hub.status())
        finally:
            await hub.aclose()

    found = asyncio.run(statuses())
    disabled = [name for name, server in servers.items() if not server.enabled]
    if as_json:
        from dataclasses import asdict

        shown = [asdict(s) for s in found]
        shown += [{"name": n, "state": "disabled", "tools": []} for n in disabled]
        print(json.dumps(shown, indent=2))
    else:
        for status in found:
            print(f"{status.name}: {status.state} ({status.transport})")
            if status.error:
                print(f"  {status.error}")
            for tool in status.tools:
                flags = (("read-only", tool.read_only), ("excluded", not tool.visible))
                marks = ", ".join(mark for mark, on in flags if on)
                print(
                    f"  {status.name}__{tool.name}{f' ({marks})' if marks else ''}"
                    f"  {tool.description.splitlines()[0] if tool.description else ''}"
                )
        for name in disabled:
            print(f"{name}: disabled")
    failed = [s for s in found if s.state == "failed"]
    return EXIT_FAILED if failed else EXIT_OK


def apply_proposal(root: Path, proposal_id: str, persona: str | None) -> int:
    from wave_lsp.config.workspace import load_workspace
    from wave_lsp.personas.guard import UnknownPersona, guard_for
    from wave_lsp.session.proposals import ProposalError, Proposals

    workspace = load_workspace(root.resolve())
    try:
        guard = guard_for(workspace, persona, root.resolve())
    except UnknownPersona as error:
        print(f"wave apply: {error}", file=sys.stderr)
        return EXIT_USAGE
    proposals = Proposals(root.resolve())
    try:
        proposal = proposals.find(proposal_id)
        proposals.apply_to_disk(proposal, guard)
    except ProposalError as error:
        print(f"wave apply: {error}", file=sys.stderr)
        return EXIT_FAILED
    print(f"wave apply: proposal {proposal.id} applied: {proposal.summary()}", file=sys.stderr)
    return EXIT_OK
