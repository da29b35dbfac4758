"""``wave acp``: Wave as an Agent Client Protocol agent over stdio. Every ACP session is a
:class:`wave_lsp.session.core.Session` (persona, conversation) on the workspace ``cwd`` names;
a prompt runs the built-in agent on it, governed as everywhere (persona guard, allow/ask/deny
rules, redaction), with every edit approved by the user (:mod:`wave_lsp.acp.turn`). The
personas are the session's modes."""

from __future__ import annotations

import asyncio
import logging
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from acp.schema import (
    AgentCapabilities,
    ClientCapabilities,
    Implementation,
    InitializeResponse,
    ListSessionsResponse,
    LoadSessionResponse,
    McpCapabilities,
    NewSessionResponse,
    PromptCapabilities,
    PromptResponse,
    SessionCapabilities,
    SessionListCapabilities,
    SessionMode,
    SessionModeState,
    SetSessionModeResponse,
)

from acp import PROTOCOL_VERSION, RequestError, run_agent
from wave_lsp.acp import history
from wave_lsp.acp.commands import CHECKPOINT, available_commands, parse, run_pipeline
from wave_lsp.acp.turn import Remembered, Turn, read_disk

if TYPE_CHECKING:
    from acp import Agent, Client
    from wave_lsp.config.workspace import WaveWorkspace
    from wave_lsp.mcp.hub import McpHub
    from wave_lsp.providers.registry import ProviderRegistry
    from wave_lsp.session.core import Session

log = logging.getLogger(__name__)
STOP_REASONS = {"max_time": "max_turn_requests"}
"""The agent's stop reasons ACP has no word for."""


@dataclass
class AcpSession:
    session: Session
    workspace: WaveWorkspace
    registry: ProviderRegistry
    remembered: Remembered = field(default_factory=Remembered)
    running: asyncio.Task[Any] | None = None
    cancelled: bool = False
    hub: McpHub | None = None
    """The session's MCP servers (the workspace's and the editor's), started on first use."""


class WaveAgent:
    def __init__(self, *, model: str | None = None, personas: list[str] | None = None) -> None:
        self.model = model
        self.personas = personas
        """The only personas (modes) this client may use: a daemon user's."""
        self.client: Client | None = None
        self.capabilities = ClientCapabilities()
        self.sessions: dict[str, AcpSession] = {}
        self._background: set[asyncio.Task[None]] = set()
        self._registries: dict[Path, tuple[str, ProviderRegistry]] = {}

    async def aclose(self) -> None:
        """Stop every MCP server the sessions started."""
        hubs = [state.hub for state in self.sessions.values() if state.hub is not None]
        await asyncio.gather(*(hub.aclose() for hub in hubs))

    def on_connect(self, conn: Client) -> None:
        self.client = conn

    async def initialize(
        self,
        protocol_version: int,
        client_capabilities: ClientCapabilities | None = None,
        client_info: Implementation | None = None,
        **kwargs: Any,
    ) -> InitializeResponse:
        from wave_lsp import __version__

        self.capabilities = client_capabilities or ClientCapabilities()
        return InitializeResponse(
            protocol_version=min(protocol_version, PROTOCOL_VERSION),
            agent_capabilities=AgentCapabilities(
                load_session=True,
                session_capabilities=SessionCapabilities(list=SessionListCapabilities()),
                prompt_capabilities=PromptCapabilities(embedded_context=True),
                mcp_capabilities=McpCapabilities(),
            ),
            agent_info=Implementation(name="wave", title="Wave", version=__version__),
            auth_methods=[],
        )

    async def new_session(
        self, cwd: str, mcp_servers: list[Any] | None = None, **kwargs: Any
    ) -> NewSessionResponse:
        from wave_lsp.context.checkpoints import new_checkpoint_id

        state = await self._open(cwd, new_checkpoint_id(), mcp_servers)
        return NewSessionResponse(session_id=state.session.session_id, modes=self._modes(state))

    async def load_session(
        self, cwd: str, session_id: str, mcp_servers: list[Any] | None = None, **kwargs: Any
    ) -> LoadSessionResponse:
        """A checkpoint (every ACP session keeps one of its own, updated each turn; ``wave
        chat``'s and the editor's are listed too) goes on as this session: its conversation is
        replayed as ``session/update``s, and the next prompt carries it."""
        from wave_lsp.session.core import SessionError

        if session_id in self.sessions:
            raise RequestError.invalid_params({"sessionId": f"{session_id} is already open"})
        state = await self._open(cwd, session_id, mcp_servers, announce=False)
        try:
            guard = state.session.guard(state.workspace)
            restored = await asyncio.to_thread(state.session.resume, session_id, guard.check_path)
        except SessionError as error:
            del self.sessions[session_id]
            raise RequestError.invalid_params({"sessionId": str(error)}) from error
        assert self.client is not None
        await history.replay(self.client, session_id, restored.checkpoint)
        self._announce(state)
        return LoadSessionResponse(modes=self._modes(state))

    async def list_sessions(
        self, cwd: str | None = None, cursor: str | None = None, **kwargs: Any
    ) -> ListSessionsResponse:
        roots = {Path(cwd)} if cwd else {s.session.root for s in self.sessions.values()}
        listed = await asyncio.to_thread(history.sessions, sorted(roots))
        return ListSessionsResponse(sessions=listed)

    async def _open(
        self, cwd: str, session_id: str, mcp_servers: list[Any] | None, *, announce: bool = True
    ) -> AcpSession:
        from wave_lsp.acp.mcp_servers import session_hub
        from wave_lsp.config.workspace import load_workspace
        from wave_lsp.session.core import Session

        root = await asyncio.to_thread(Path(cwd).resolve)
        if not await asyncio.to_thread(root.is_dir):
            raise RequestError.invalid_params({"cwd": f"{cwd} is not a directory"})
        workspace = await asyncio.to_thread(load_workspace, root)
        session = await asyncio.to_thread(
            Session,
            root,
            session_id,
            workspace.config.context,
            thread=session_id,
            allowed=self.personas,
        )
        registry = self._registry(root, workspace.config.providers)
        state = self.sessions[session_id] = AcpSession(session, workspace, registry)
        state.hub = session_hub(root, workspace.config, list(mcp_servers or []))
        if announce:
            self._announce(state)
        return state

    def _registry(self, root: Path, providers: Any) -> ProviderRegistry:
        """The workspace's providers, shared by its sessions while their configuration stays
        the same: a provider's client (its connection pool, its TLS context: ~15 ms to make)
        is made once, not once per thread."""
        from wave_lsp.providers.registry import ProviderRegistry

        key = providers.model_dump_json() if providers is not None else ""  # none: the embedded
        kept = self._registries.get(root)
        if kept is None or kept[0] != key:
            kept = self._registries[root] = (key, ProviderRegistry.from_config(providers))
        return kept[1]

    def _announce(self, state: AcpSession) -> None:
        """The slash commands, sent once the session's answer is on its way."""
        assert self.client is not None
        task = asyncio.create_task(
            history.announce(
                self.client, state.session.session_id, available_commands(state.workspace)
            )
        )
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    def _modes(self, state: AcpSession) -> SessionModeState:
        personas = state.workspace.personas
        default = state.workspace.config.security.personas.default_persona
        current = state.session.persona_name(default)
        allowed = self.personas
        if allowed is not None and current not in allowed:
            current = allowed[0]  # the configuration's default is not this user's
        return SessionModeState(
            current_mode_id=current or next(iter(personas), ""),
            available_modes=[
                SessionMode(id=name, name=name, description=persona.value.description or None)
                for name, persona in sorted(personas.items())
                if allowed is None or name in allowed
            ],
        )

    def _state(self, session_id: str) -> AcpSession:
        state = self.sessions.get(session_id)
        if state is None:
            raise RequestError.invalid_params({"sessionId": f"no session {session_id!r}"})
        return state

    async def set_session_mode(
        self, session_id: str, mode_id: str, **kwargs: Any
    ) -> SetSessionModeResponse:
        from wave_lsp.session.core import SessionError

        state = self._state(session_id)
        try:
            state.session.select_persona(mode_id, state.workspace)
        except SessionError as error:
            raise RequestError.invalid_params({"modeId": str(error)}) from error
        state.remembered = Remembered()  # a new persona's approvals start afresh
        return SetSessionModeResponse()

    async def cancel(self, session_id: str, **kwargs: Any) -> None:
        state = self.sessions.get(session_id)
        if state is not None and state.running is not None:
            state.cancelled = True
            state.running.cancel()

    async def prompt(self, session_id: str, prompt: list[Any], **kwargs: Any) -> PromptResponse:
        state = self._state(session_id)
        if state.running is not None:
            raise RequestError.invalid_request({"sessionId": "a prompt is already running"})
        assert self.client is not None
        fs = self.capabilities.fs
        turn = Turn(self.client, session_id, state.session.root, state.remembered,
                    writes_through_client=bool(fs and fs.write_text_file))  # fmt: skip
        state.cancelled = False
        state.running = asyncio.current_task()
        try:
            reason = await self._run(state, turn, instruction_of(prompt))
        except asyncio.CancelledError:
            if not state.cancelled:
                raise
            current = asyncio.current_task()
            if current is not None:
                current.uncancel()
            reason = "cancelled"
        finally:
            state.running = None
        try:
            await asyncio.wait_for(turn.flush(), 5)
        finally:
            await turn.close()
        return PromptResponse(stop_reason=reason)

    async def _run(self, state: AcpSession, turn: Turn, instruction: str) -> str:
        from wave_lsp.session.core import config_problem

        problem = config_problem(state.workspace)
        if problem is not None:
            turn.say(f"The configuration is broken, so no model is asked: {problem}")
            return "refusal"
        invocation = parse(instruction)
        if invocation is not None and invocation.name == CHECKPOINT:
            return await self._checkpoint(state, turn, invocation.text)
        if invocation is not None and invocation.name in state.workspace.pipelines:
            model = state.session.model or self.model
            return await run_pipeline(state.session, state.workspace, turn, invocation, model,
                                      external=state.hub)  # fmt: skip
        reason = await self._agent_turn(state, turn, instruction)
        await self._keep(state, state.session.session_id, None)
        return reason

    async def _checkpoint(self, state: AcpSession, turn: Turn, name: str) -> str:
        saved = await self._keep(state, None, name or "checkpoint")
        if saved is not None:
            turn.say(f"Checkpoint {saved} '{name or 'checkpoint'}' kept: load it as a session.")
        return "end_turn"

    async def _keep(
        self, state: AcpSession, checkpoint_id: str | None, name: str | None
    ) -> str | None:
        """The session as a checkpoint (its own when ``checkpoint_id`` is its id; named
        after its first question when ``name`` is ``None``), on a worker thread: the
        conversation is read whole."""
        if not len(state.session.conversation):
            return None
        try:
            provider, model = state.registry.split(state.session.model or self.model)
        except Exception:  # no provider configured: the checkpoint still keeps the talk
            provider, model = "none", None
        session = state.session

        def save() -> str:
            title = history.title(session) if name is None else name
            return session.save_checkpoint(title, provider, model, (), checkpoint_id).id

        return await asyncio.to_thread(save)

    async def _agent_turn(self, state: AcpSession, turn: Turn, instruction: str) -> str:
        from wave_lsp.agents.build import keep_transcript, make_agent
        from wave_lsp.agents.files import AgentFiles
        from wave_lsp.errors import WaveError
        from wave_lsp.session.core import SessionError

        try:
            provider, model = state.registry.resolve(state.session.model or self.model)
            guard = state.session.guard(state.workspace)
        except (WaveError, SessionError) as error:
            message = error.error.message if isinstance(error, WaveError) else str(error)
            turn.say(f"Wave cannot ask a model: {message}")
            return "refusal"
        root = state.session.root
        files = AgentFiles(root, self._reader(state.session.session_id, root))
        config = state.workspace.config
        agent = make_agent(
            provider, model, files, guard,
            rules=list(state.workspace.rules.values()), settings=config.agent,
            ask=turn.ask, on_event=turn.on_event, task="acp", confirm_edits=True,
            run_command=self._terminal(state.session.session_id, turn), external=state.hub,
        )  # fmt: skip
        try:
            result = await agent.run(instruction, state.session.conversation.history(4000))
        except WaveError as error:
            turn.say(f"\n\nThe model failed: {error.error.message}")
            return "refusal"
        await asyncio.to_thread(state.session.record, instruction, result.text)
        await asyncio.to_thread(keep_transcript, result.transcript, config.context)
        return STOP_REASONS.get(result.stop_reason, result.stop_reason)

    def _terminal(self, session_id: str, turn: Turn) -> Any:
        """Commands in the editor's terminal when it offers one, else (``None``) the
        persona-limited subprocess."""
        from wave_lsp.acp.terminal import terminal_runner

        if not self.capabilities.terminal or self.client is None:
            return None
        return terminal_runner(self.client, session_id, turn)

    def _reader(self, session_id: str, root: Path) -> Any:
        """Files as the editor has them (``fs/read_text_file``: unsaved buffers) when it offers
        it, else the disk. Called from the agent's worker threads."""
        fs = self.capabilities.fs
        loop = asyncio.get_running_loop()
        client = self.client

        if not (fs and fs.read_text_file) or client is None:
            return read_disk

        def from_client(path: Path) -> str | None:
            if not path.exists():
                return None  # a file the editor has not got either
            future = asyncio.run_coroutine_threadsafe(
                client.read_text_file(session_id=session_id, path=str(path)), loop
            )
            return future.result(30).content

        return from_client


def instruction_of(prompt: list[Any]) -> str:
    """The prompt's blocks as one instruction: text as it is, a linked file named, an embedded
    resource's text included (redacted with the rest before it reaches a provider)."""
    parts: list[str] = []
    for block in prompt:
        kind = getattr(block, "type", "")
        if kind == "text":
            parts.append(block.text)
        elif kind == "resource_link":
            parts.append(f"(The user points at {block.uri}.)")
        elif kind == "resource":
            resource = block.resource
            text = getattr(resource, "text", None)
            if text is not None:
                parts.append(f"Contents of {resource.uri}:\n```\n{text}\n```")
    return "\n\n".join(parts)


async def serve(agent: WaveAgent) -> None:
    """``agent`` over stdio, each line checked first (:mod:`wave_lsp.acp.framing`)."""
    from acp.stdio import stdio_streams

    from wave_lsp.acp.framing import MAX_LINE_BYTES, pump

    reader, writer = await stdio_streams(limit=MAX_LINE_BYTES)
    checked = asyncio.StreamReader(limit=MAX_LINE_BYTES)
    pumping = asyncio.create_task(pump(reader, checked, writer))
    try:
        # the methods Wave does not offer are answered 'method not found' by the connection
        await run_agent(cast("Agent", agent), writer, checked)
    finally:
        pumping.cancel()
        await agent.aclose()


def main(model: str | None = None, personas: list[str] | None = None) -> int:
    logging.basicConfig(stream=sys.stderr, level=logging.INFO,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")  # fmt: skip
    try:
        asyncio.run(serve(WaveAgent(model=model, personas=personas)))
    except KeyboardInterrupt:
        return 130
    return 0
