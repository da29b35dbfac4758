"""The Wave language server: state shared by the features (settings, diagnostics store) and the
entry point that serves over stdio or TCP."""

from __future__ import annotations

import asyncio
import contextvars
import inspect
import logging
import os
import stat
import sys
import threading
import uuid
from collections.abc import Awaitable, Callable, Generator
from contextvars import ContextVar
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

from lsprotocol import types
from pygls.io_ import StdoutWriter
from pygls.lsp.server import LanguageServer
from pygls.protocol import LanguageServerProtocol, lsp_method

from wave_lsp import __version__
from wave_lsp.lsp.diagnostics import DiagnosticStore
from wave_lsp.lsp.envelope import (
    INTERNAL_ERROR,
    INVALID_PARAMS,
    INVALID_REQUEST,
    PARSE_ERROR,
    error_response,
    invalid,
    params_problem,
    request_id,
)
from wave_lsp.lsp.features.base import CommandError, Feature
from wave_lsp.lsp.framing import (
    MAX_HEADER_BYTES,
    MAX_MESSAGE_BYTES,
    Frame,
    Framer,
    Skipped,
    Unparsable,
)
from wave_lsp.lsp.log import ClientLogHandler, configure_logging
from wave_lsp.lsp.workspaces import WorkspaceConfigs
from wave_lsp.mcp.hubs import HubCache
from wave_lsp.session.sessions import Sessions

if TYPE_CHECKING:
    from wave_lsp.config.client_settings import ClientSettings
    from wave_lsp.lsp.workspaces import Loaded
    from wave_lsp.session.core import Session

logger = logging.getLogger(__name__)

SERVER_NAME = "wave-lsp"
INIT_OPTIONS_LAYER = "initializationOptions"
WORKSPACE_CONFIGURATION_LAYER = "workspace/configuration"


COMMAND_PARAMS: ContextVar[types.ExecuteCommandParams | None] = ContextVar(
    "wave_command_params", default=None
)
"""The ``workspace/executeCommand`` request a command runs under (pygls passes only its
arguments; its ``workDoneToken`` is read from here)."""


class WaveProtocol(LanguageServerProtocol):
    def handle_message(self, message: Any) -> None:
        """pygls' dispatch, without its ``isinstance`` checks against runtime-checkable
        protocols (a fifth of the cost of each edit notification): a message with a method is a
        request when it has an id, else a notification; responses take pygls' own path. A
        request after ``shutdown`` is answered with an error (pygls drops it unanswered)."""
        method = getattr(message, "method", None)
        if method is not None and self._shutdown and method != types.EXIT:
            if hasattr(message, "id"):
                self.send_error(message.id, INVALID_REQUEST, "the server is shutting down")
            return
        if method is None or message.jsonrpc != self.VERSION:
            super().handle_message(message)
            return
        context = contextvars.copy_context()
        if hasattr(message, "id"):
            context.run(self._handle_request, message.id, method, message.params)
        else:
            context.run(self._handle_notification, method, message.params)

    def send_error(self, message_id: Any, code: int, text: str) -> None:
        server = self._server
        assert isinstance(server, WaveLanguageServer)
        server.send_raw(error_response(message_id, code, text))

    def receive(self, frame: Frame) -> None:
        """One frame from the framer: checked, structured, dispatched, and every request
        answered (by pygls, or here when pygls cannot take it)."""
        if isinstance(frame, Skipped):
            logger.error("skipped %d bytes of input: %s", frame.size, frame.reason)
            return
        if isinstance(frame, Unparsable):
            logger.error("unparsable message: %s", frame.reason)
            self.send_error(None, PARSE_ERROR, f"parse error: {frame.reason}")
            return
        data = frame.message
        is_request, message_id = request_id(data)
        problem = invalid(data)
        if problem is not None:
            logger.error("invalid message: %s", problem)
            if is_request or not isinstance(data, dict) or "method" not in data:
                self.send_error(message_id, INVALID_REQUEST, f"invalid request: {problem}")
            return
        try:
            message = self.structure_message(data)
        except Exception as error:
            text = params_problem(error)
            logger.error("%s: %s", data.get("method", "a response"), text)
            if is_request:
                self.send_error(message_id, INVALID_PARAMS, text)
            return
        try:
            self.handle_message(message)
        except Exception as error:
            logger.exception("cannot handle %s", data.get("method", "a response"))
            if is_request:
                self.send_error(message_id, INTERNAL_ERROR, f"internal error: {error}")

    @lsp_method(types.WORKSPACE_EXECUTE_COMMAND)
    def lsp_workspace__execute_command(
        self, params: types.ExecuteCommandParams
    ) -> Generator[Any, Any, Any]:
        COMMAND_PARAMS.set(params)
        return (yield from super().lsp_workspace__execute_command(params))


class WaveLanguageServer(LanguageServer):
    def __init__(self) -> None:
        super().__init__(
            SERVER_NAME,
            __version__,
            text_document_sync_kind=types.TextDocumentSyncKind.Incremental,
            protocol_cls=WaveProtocol,
        )
        self._settings: ClientSettings | None = None
        self.session_id = uuid.uuid4().hex[:12]
        """This server's session (``${SESSION_ID}`` in personas' paths, the audit log)."""
        self.sessions = Sessions(self.session_id)
        self.mcp = HubCache()
        """The workspaces' MCP servers (started on an agent's first use, stopped at shutdown)."""
        """What the user builds up, one session per workspace root (:mod:`wave_lsp.session`)."""
        self._init_settings: ClientSettings | None = None
        self.diagnostics = DiagnosticStore(self.send_raw)
        self.features: list[Feature] = []
        self._roots: dict[Path, Path] = {}
        self.log_handler: ClientLogHandler | None = None
        self._background: set[asyncio.Task[None]] = set()
        self.workspace_configs = WorkspaceConfigs(self.folder_paths, self.settings_layers)
        self.max_header_bytes = MAX_HEADER_BYTES
        self.max_message_bytes = MAX_MESSAGE_BYTES

    def send_raw(self, message: str) -> None:
        """Send one JSON-RPC message given as JSON text (framed as pygls frames its own).
        Diagnostics are published this way: pygls would build and unstructure a protocol object
        per diagnostic, most of the time spent publishing thousands of them."""
        writer = self.protocol.writer
        if writer is None:
            logger.error("no transport to send %s", message[:80])
            return
        body = message.encode("utf-8")
        if self.protocol._include_headers:
            body = (
                f"Content-Length: {len(body)}\r\n"
                f"Content-Type: {self.protocol.CONTENT_TYPE}; charset=utf-8\r\n\r\n"
            ).encode() + body
        result = writer.write(body)
        if inspect.isawaitable(result):
            self.loop_task(result)

    def folder_paths(self) -> list[Path]:
        """The workspace folders (and the root URI), as paths."""
        from wave_lsp.lsp.convert import path_of

        try:
            workspace = self.workspace
        except RuntimeError:
            return []
        uris = [folder.uri for folder in workspace.folders.values()]
        if workspace.root_uri:
            uris.append(workspace.root_uri)
        return [p for uri in uris if (p := path_of(uri)) is not None]

    @property
    def settings(self) -> ClientSettings:
        """The editor's settings (defaults until `initialized` has read them)."""
        if self._settings is None:
            from wave_lsp.config.client_settings import ClientSettings

            self._settings = ClientSettings()
        return self._settings

    @settings.setter
    def settings(self, value: ClientSettings) -> None:
        self._settings = value

    @property
    def init_settings(self) -> ClientSettings:
        if self._init_settings is None:
            return self.settings
        return self._init_settings

    @init_settings.setter
    def init_settings(self, value: ClientSettings) -> None:
        self._init_settings = value

    def settings_layers(self) -> list[tuple[str, dict[str, Any]]]:
        """The configuration layers the editor sends, lowest first."""
        layers = []
        if self.init_settings.config:
            layers.append((INIT_OPTIONS_LAYER, self.init_settings.config))
        if self.settings.config and self.settings is not self.init_settings:
            layers.append((WORKSPACE_CONFIGURATION_LAYER, self.settings.config))
        return layers

    def loop_task(self, awaitable: Awaitable[Any]) -> None:
        """Run ``awaitable`` in the background, keeping a reference and logging its failure."""

        async def guarded() -> None:
            try:
                await awaitable
            except Exception:
                logger.exception("background task failed")

        task = asyncio.get_running_loop().create_task(guarded())
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    async def begin_progress(
        self, title: str, percentage: int | None = None
    ) -> types.ProgressToken | None:
        """Begin cancellable ``$/progress``: with the ``workDoneToken`` the client sent with the
        command when it sent one (as gopls does, it stays in use until the work ends), else with a
        token created by the server when the client supports that; ``None`` when neither."""
        params = COMMAND_PARAMS.get()
        token = params.work_done_token if params is not None else None
        if token is None or token == "":
            if not self.client_supports("window.work_done_progress"):
                return None
            token = str(uuid.uuid4())
            await self.work_done_progress.create_async(token)
        self.work_done_progress.begin(
            token, types.WorkDoneProgressBegin(title=title, cancellable=True, percentage=percentage)
        )
        return token

    def progress_cancelled(self, token: types.ProgressToken | None) -> bool:
        """Whether the client cancelled the progress ``token``."""
        future = self.work_done_progress.tokens.get(token) if token is not None else None
        return future is not None and future.cancelled()

    def show_message(self, message: str, kind: types.MessageType = types.MessageType.Info) -> None:
        self.window_show_message(types.ShowMessageParams(type=kind, message=message))

    def root_of(self, path: Path | None = None) -> Path:
        """The workspace folder a request is about: the deepest one holding ``path``, else the
        first folder (the one choice of root for every command)."""
        folders = [f.resolve() for f in self.folder_paths()]
        if path is not None:
            resolved = path.resolve()
            holding = [f for f in folders if resolved.is_relative_to(f)]
            if holding:
                return max(holding, key=lambda f: len(f.parts))
            raise CommandError(f"{path} is not in a workspace folder")
        if not folders:
            raise CommandError("no workspace folder is open")
        return folders[0]

    async def session_for(self, root: Path) -> tuple[Loaded, Session]:
        """The loaded configuration and the session of ``root`` (both read off the loop)."""
        loaded = await asyncio.to_thread(self.workspace_configs.get_blocking, root)
        session = await asyncio.to_thread(self.sessions.get, root, loaded.workspace.config.context)
        return loaded, session

    def persona_of(self, root: Path) -> str | None:
        """The active persona of ``root``: selected in its session, else the settings', else
        ``None`` (the configuration's default)."""
        resolved = self._roots.get(root)
        if resolved is None:  # asked at every inline completion: resolving touches the disk
            resolved = self._roots[root] = root.resolve()
        holding = [s for s in self.sessions if resolved.is_relative_to(s.root)]
        session = max(holding, key=lambda s: len(s.root.parts)) if holding else None
        selected = session.persona if session is not None else None
        return selected or self.settings.persona

    def start_io(self, stdin: BinaryIO | None = None, stdout: BinaryIO | None = None) -> None:
        """Serve over stdin/stdout. When stdin is a pipe or socket of its own (as editors start
        servers), it is read by the event loop itself: pygls reads each header line and body on
        a worker thread, three thread hops per message, and a burst of edits would then reach
        the handlers one loop turn at a time instead of all at once."""
        source = stdin or sys.stdin.buffer
        if stdin is not None or stdout is not None:
            super().start_io(stdin, stdout)
            return
        self._stop_event = threading.Event()
        self.protocol.set_writer(StdoutWriter(sys.stdout.buffer))
        try:
            asyncio.run(self._serve_pipe(source, own=_own_pipe(source)))
        except BrokenPipeError:
            logger.error("the connection to the client is lost: shutting down")
        except (KeyboardInterrupt, SystemExit):
            pass
        finally:
            self.shutdown()  # type: ignore[no-untyped-call]

    async def _serve_pipe(self, source: BinaryIO, own: bool = True) -> None:
        """Read stdin in chunks, frame them (:mod:`wave_lsp.lsp.framing`: malformed input is
        skipped to the next message, never waited on), hand each message to the protocol. A
        pipe of its own is read by the event loop; anything else (a file, a socket shared with
        stdout, a terminal) by blocking reads on a worker thread."""
        loop = asyncio.get_running_loop()
        read: Callable[[], Awaitable[bytes]]
        if own:
            reader = asyncio.StreamReader(limit=2**20)
            await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), source)

            def read() -> Awaitable[bytes]:
                return reader.read(1 << 18)
        else:
            fd = source.fileno()

            def read() -> Awaitable[bytes]:
                return loop.run_in_executor(None, os.read, fd, 1 << 18)

        assert self._stop_event is not None
        framer = Framer(self.max_header_bytes, self.max_message_bytes)
        protocol = self.protocol
        assert isinstance(protocol, WaveProtocol)
        while not self._stop_event.is_set():
            data = await read()
            if not data:
                logger.info("the client closed the input")
                break
            for frame in framer.feed(data):
                protocol.receive(frame)

    def client_supports(self, dotted: str) -> bool:
        """Whether a capability such as ``workspace.configuration`` is declared by the client."""
        node: Any = self.client_capabilities
        for part in dotted.split("."):
            node = getattr(node, part, None)
            if node is None:
                return False
        return bool(node)


def _own_pipe(stream: BinaryIO) -> bool:
    """Whether ``stream`` is a pipe or socket not shared with stdout (making it non-blocking,
    as the event loop does, must not change how stdout is written)."""
    try:
        fd = stream.fileno()
        mode = os.fstat(fd).st_mode
        shared = os.path.sameopenfile(fd, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):
        return False
    return (stat.S_ISFIFO(mode) or stat.S_ISSOCK(mode)) and not shared


def create_server() -> WaveLanguageServer:
    from wave_lsp.lsp.setup import register

    server = WaveLanguageServer()
    register(server)
    return server


def serve(
    tcp: tuple[str, int] | None = None,
    log_level: str | None = None,
    *,
    max_message_bytes: int | None = None,
    max_header_bytes: int | None = None,
    personas: list[str] | None = None,
) -> int:
    """``personas``: the only ones this client may use (set by the daemon for its user)."""
    server = create_server()
    server.sessions.allowed = personas
    server.log_handler = configure_logging(server, log_level)
    if max_message_bytes is not None:
        server.max_message_bytes = max_message_bytes
    if max_header_bytes is not None:
        server.max_header_bytes = max_header_bytes
    if tcp is not None:
        server.start_tcp(*tcp)
    else:
        server.start_io()
    return 0
