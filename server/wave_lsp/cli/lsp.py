"""``wave lsp`` / ``wave-lsp``: the language server over stdio or TCP, or (``--connect``) the
stdio bridge an editor starts to reach a ``wave serve`` daemon."""

from __future__ import annotations

import argparse
from pathlib import Path


def _host_port(value: str) -> tuple[str, int]:
    host, _, port = value.rpartition(":")
    if not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise argparse.ArgumentTypeError(f"expected HOST:PORT (e.g. 127.0.0.1:2087), got {value!r}")
    return host, int(port)


def add_lsp_arguments(parser: argparse.ArgumentParser) -> None:
    transport = parser.add_mutually_exclusive_group()
    transport.add_argument(
        "--stdio", action="store_true", help="serve over standard input/output (the default)"
    )
    transport.add_argument(
        "--tcp", metavar="HOST:PORT", type=_host_port, help="serve over TCP on HOST:PORT"
    )
    transport.add_argument(
        "--connect", metavar="HOST:PORT", type=_host_port,
        help="bridge stdio to a `wave serve` daemon (with --user, and WAVE_TOKEN or --token-file)",
    )  # fmt: skip
    parser.add_argument("--user", help="your name in the daemon's users file (--connect)")
    parser.add_argument("--token-file", type=Path, help="a file holding your token (--connect)")
    parser.add_argument("--personas", help=argparse.SUPPRESS)  # set by the daemon: its user's
    parser.add_argument(
        "--log-level",
        choices=["debug", "info", "warn", "error"],
        default=None,
        help="log verbosity (default: the configuration's server.log_level)",
    )
    parser.add_argument(
        "--max-message-bytes",
        type=int,
        default=None,
        metavar="N",
        help="refuse a message whose body is longer than N bytes (default: 64 MiB)",
    )
    parser.add_argument(
        "--max-header-bytes",
        type=int,
        default=None,
        metavar="N",
        help="refuse a header line longer than N bytes (default: 8192)",
    )


def run_lsp(arguments: argparse.Namespace) -> int:
    if arguments.connect is not None:
        return _connect(arguments)
    from wave_lsp.lsp.server import serve
    from wave_lsp.malloc import use_one_arena

    use_one_arena()  # before the server's threads

    return serve(
        tcp=arguments.tcp,
        log_level=arguments.log_level,
        max_message_bytes=arguments.max_message_bytes,
        max_header_bytes=arguments.max_header_bytes,
        personas=arguments.personas.split(",") if arguments.personas else None,
    )


def _connect(arguments: argparse.Namespace) -> int:
    host, port = arguments.connect
    return connect(f"{host}:{port}", arguments.user, arguments.token_file, "lsp")


def add_connect_arguments(parser: argparse.ArgumentParser) -> None:
    """``--connect`` and its credentials, for a front end that can reach a ``wave serve``
    daemon instead of running here (``wave acp``, ``wave chat``, ``wave mcp serve``)."""
    parser.add_argument("--connect", metavar="HOST:PORT", help="reach a `wave serve` daemon "
                        "instead (with --user, and WAVE_TOKEN or --token-file)")  # fmt: skip
    parser.add_argument("--user", help="your name in the daemon's users file (--connect)")
    parser.add_argument("--token-file", type=Path, help="a file holding your token (--connect)")
    parser.add_argument("--personas", help=argparse.SUPPRESS)  # set by the daemon: its user's


def connect(
    address: str, user: str | None, token_file: Path | None, protocol: str,
    persona: str | None = None,
) -> int:  # fmt: skip
    """The stdio bridge to a daemon at ``address`` (HOST:PORT) for ``protocol`` (acting as
    ``persona``, one of the user's: ``wave chat`` and ``wave mcp serve``)."""
    import asyncio
    import sys

    from wave_lsp.daemon.bridge import EXIT_REFUSED, bridge, token_from

    token = token_from(token_file)
    if not user or not token:
        print(f"wave {protocol} --connect: give --user NAME and the token (WAVE_TOKEN or "
              "--token-file)", file=sys.stderr)  # fmt: skip
        return EXIT_REFUSED
    try:
        host, port = _host_port(address)
    except argparse.ArgumentTypeError as error:
        print(f"wave {protocol} --connect: {error}", file=sys.stderr)
        return EXIT_REFUSED
    if persona is not None and (not persona or any(c.isspace() for c in persona)):
        print(f"wave {protocol} --connect: --persona {persona!r}: a persona's name has no spaces",
              file=sys.stderr)  # fmt: skip
        return EXIT_REFUSED
    return asyncio.run(bridge(host, port, user, token, protocol, persona=persona))
