"""``wave serve`` (the daemon: the configuration's ``server`` and ``security.authentication``
sections) and ``wave token NAME`` (a new token and the users-file entry that accepts it)."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from pathlib import Path

EXIT_OK, EXIT_USAGE = 0, 2


def add_serve_parsers(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    serve = commands.add_parser(
        "serve",
        help="run the daemon: editors connect over TCP with a token (wave lsp --connect)",
        description="Listen on server.host:server.port (localhost by default). Each connection "
        "authenticates first with a token from security.authentication.config_file, then gets "
        "its own Wave server limited to the user's personas.",
    )
    serve.add_argument("--root", type=Path, default=Path.cwd(), help="the workspace (default: .)")
    serve.add_argument("--host", help="default: the configuration's server.host")
    serve.add_argument("--port", type=int, help="default: server.port (0: any free port)")
    serve.add_argument("--users", type=Path, help="default: security.authentication.config_file")
    serve.add_argument("--daemon", action="store_true", default=None,
                       help="detach and write a pid file (server.daemon_mode)")  # fmt: skip
    serve.add_argument("--pid-file", type=Path, help="default: <state dir>/daemon.pid")
    worker = commands.add_parser(
        "worker", help="run pipeline tasks from Temporal (pipeline.engine: temporal)",
        description="Take the runs queued on pipeline.temporal.task_queue and run their tasks "
        "here, with this project and its providers. SIGTERM stops it; a task it was running is "
        "run again by another worker.",
    )  # fmt: skip
    worker.add_argument("--root", type=Path, default=Path.cwd(), help="the workspace (default: .)")
    worker.add_argument("--max-concurrent", type=int, help="tasks at once (default: "
                        "pipeline.max_concurrent)")  # fmt: skip
    token = commands.add_parser(
        "token", help="make a token for a user of the daemon (prints the users-file entry)"
    )
    token.add_argument("name", help="the user's name in the users file")
    token.add_argument("--personas", default="developer", help="comma-separated (first: default)")


def token(name: str, personas: str) -> int:
    from wave_lsp.daemon.users import hash_token, new_token

    secret = new_token()
    chosen = [p.strip() for p in personas.split(",") if p.strip()]
    print(f"token for {name} (give it to them; it is not stored): {secret}", file=sys.stderr)
    print(f"  {name}:\n    token_hash: \"{hash_token(secret)}\"\n"
          f"    personas: [{', '.join(chosen)}]")  # fmt: skip
    return EXIT_OK


def serve(arguments: argparse.Namespace) -> int:
    from wave_lsp.config.paths import workspace_state_dir
    from wave_lsp.config.workspace import load_workspace
    from wave_lsp.daemon.gateway import Gateway
    from wave_lsp.daemon.users import UsersError, load_users

    root = arguments.root.resolve()
    config = load_workspace(root).config
    authentication = config.security.authentication
    if authentication.type.value != "file":
        print(f"wave serve: authentication type '{authentication.type.value}' is not supported "
              "yet: use type: file with config_file", file=sys.stderr)  # fmt: skip
        return EXIT_USAGE
    users_path = arguments.users or (
        root / authentication.config_file if authentication.config_file else None
    )
    if users_path is None:
        print("wave serve: no users file: set security.authentication.config_file (or --users); "
              "`wave token NAME` makes an entry", file=sys.stderr)  # fmt: skip
        return EXIT_USAGE
    try:
        users = load_users(users_path)
    except UsersError as error:
        print(f"wave serve: {error}", file=sys.stderr)
        return EXIT_USAGE
    host = arguments.host or config.server.host
    port = config.server.port if arguments.port is None else arguments.port
    detach = config.server.daemon_mode if arguments.daemon is None else arguments.daemon
    pid_file = arguments.pid_file or workspace_state_dir(root) / "daemon.pid"
    if detach and _detached(pid_file):
        return EXIT_OK  # the parent: the daemon runs on

    def ready(bound: int) -> None:
        print(f"wave serve: listening on {host}:{bound} ({len(users.users)} users)",
              file=sys.stderr, flush=True)  # fmt: skip

    async def run() -> None:
        import signal

        task = asyncio.current_task()
        assert task is not None
        asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, task.cancel)
        await Gateway(root, users).serve(host, port, ready)

    try:
        asyncio.run(run())
    except asyncio.CancelledError:  # SIGTERM: stopped, the pid file removed
        pass
    except OSError as error:
        print(f"wave serve: cannot listen on {host}:{port}: {error.strerror or error}",
              file=sys.stderr)  # fmt: skip
        return EXIT_USAGE
    finally:
        if detach:
            pid_file.unlink(missing_ok=True)
    return EXIT_OK


def _detached(pid_file: Path) -> bool:
    """Fork twice (the daemon leaves the terminal's session); ``True`` in the parent, which
    returns once the daemon wrote its pid file."""
    pid_file.parent.mkdir(parents=True, exist_ok=True)
    pid_file.unlink(missing_ok=True)
    if os.fork():
        for _ in range(100):
            if pid_file.is_file():
                print(f"wave serve: the daemon runs as pid {pid_file.read_text().strip()} "
                      f"({pid_file})", file=sys.stderr)  # fmt: skip
                return True
            import time

            time.sleep(0.05)
        return True
    os.setsid()
    if os.fork():
        os._exit(0)
    log = os.open(str(pid_file.with_suffix(".log")), os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.dup2(log, 1)
    os.dup2(log, 2)
    pid_file.write_text(f"{os.getpid()}\n")
    return False


def worker(root: Path, max_concurrent: int | None) -> int:
    from wave_lsp.config.workspace import load_workspace
    from wave_lsp.pipelines.temporal.service import TemporalError, work

    config = load_workspace(root.resolve()).config
    settings = config.pipeline.temporal
    print(f"wave worker: task queue {settings.task_queue} at {settings.address}", file=sys.stderr,
          flush=True)  # fmt: skip
    try:
        asyncio.run(work(settings, max_concurrent or config.pipeline.max_concurrent))
    except TemporalError as error:
        print(f"wave worker: {error}", file=sys.stderr)
        return EXIT_USAGE
    return EXIT_OK
