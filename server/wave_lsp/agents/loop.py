"""The built-in agent: a loop over any provider with tools. Each step is one model call; the
calls it asks for are run through the :class:`~wave_lsp.agents.tools.ToolBox` (policy, persona,
redaction) and their results go back to the model, until it answers without calling a tool or a
limit is reached (steps, time, tokens). Models without tool calling get one-shot mode
(:mod:`wave_lsp.agents.oneshot`). The transcript is kept as a seed ``Context``."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

from wave_lsp.agents.tools import ToolBox
from wave_lsp.context.models import Context, ContextType
from wave_lsp.context.tokens import estimate_tokens
from wave_lsp.providers.base import Provider
from wave_lsp.providers.types import (
    ChatMessage,
    Completion,
    CompletionRequest,
    Restart,
    TextDelta,
    ToolCall,
)

StopReason = Literal[
    "end_turn", "max_tokens", "max_turn_requests", "max_time", "refusal", "cancelled"
]

AGENT_PROMPT = (
    "You are working in a code workspace through tools: read_file, list_files and search_text "
    "to look, edit_file and write_file to change files, run_command for the allowed programs, "
    "check for the project's rule findings. Look before you change; change only what the task "
    "needs; when you are done, answer with a short summary of what you did and no tool call."
)
TOOLS_PROMPT = (
    "You have tools from MCP servers. Call them when the task needs what they give; when you "
    "have what you need, answer with the result and no tool call."
)


@dataclass(frozen=True, slots=True)
class AgentLimits:
    max_steps: int = 30
    max_seconds: float = 900.0
    max_tokens: int = 200_000
    answer_tokens: int = 4000
    """The longest answer of one model call."""


@dataclass(frozen=True, slots=True)
class AgentEvent:
    """What the agent is doing, for progress: ``text`` (a piece of its answer), ``tool_call``
    (about to run), ``tool_result`` (done; ``error`` and ``denied`` say how), ``restart``."""

    kind: Literal["text", "tool_call", "tool_result", "restart"]
    step: int
    text: str = ""
    tool: str = ""
    call_id: str = ""
    arguments: dict[str, Any] = field(default_factory=dict)
    error: bool = False
    denied: str = ""

    def line(self) -> str | None:
        """A progress line (pieces of text as they come; a line per tool call and refusal)."""
        if self.kind == "text":
            return self.text
        if self.kind == "tool_call":
            target = self.arguments.get("path") or self.arguments.get("command") or ""
            return f"\n[step {self.step}] {self.tool} {target}".rstrip() + "\n"
        if self.kind == "tool_result" and self.denied:
            return f"[refused] {self.denied}\n"
        return None


OnEvent = Callable[[AgentEvent], None]


@dataclass(slots=True)
class AgentResult:
    text: str
    stop_reason: StopReason
    steps: int
    tokens: int
    denials: list[str]
    changed: dict[str, tuple[str | None, str | None]]
    transcript: Context
    mode: Literal["tools", "one-shot"] = "tools"


class Agent:
    def __init__(
        self,
        provider: Provider,
        model: str,
        toolbox: ToolBox,
        *,
        system_prompt: str = "",
        temperature: float | None = None,
        limits: AgentLimits | None = None,
        on_event: OnEvent | None = None,
        persona: str = "",
        task: str = "",
    ) -> None:
        self.provider = provider
        self.model = model
        self.toolbox = toolbox
        self.system_prompt = system_prompt
        self.temperature = temperature
        self.limits = limits or AgentLimits()
        self.on_event = on_event or (lambda event: None)
        self.persona = persona
        self.task = task
        self.messages: list[ChatMessage] = []
        self.tokens = 0

    @property
    def uses_tools(self) -> bool:
        return self.provider.capabilities(self.model).tool_use

    async def run(self, instruction: str, history: Sequence[ChatMessage] = ()) -> AgentResult:
        """The agent's work on ``instruction``; cancelling stops the model call or tool at once
        (nothing it wrote reaches the workspace: writes are held by its files)."""
        if not self.uses_tools:
            from wave_lsp.agents.oneshot import run_one_shot

            return await run_one_shot(self, instruction, history)
        guide = AGENT_PROMPT if self.toolbox.builtin else TOOLS_PROMPT
        system = "\n\n".join(p for p in (self.system_prompt.strip(), guide) if p)
        request_text = self.toolbox.redactor.redact(instruction, "instruction")
        self.messages = [ChatMessage("system", system), *history, ChatMessage("user", request_text)]
        steps = 0
        try:
            async with asyncio.timeout(self.limits.max_seconds):
                while True:
                    if steps >= self.limits.max_steps:
                        return self.result("", "max_turn_requests", steps)
                    if self.tokens >= self.limits.max_tokens:
                        return self.result("", "max_tokens", steps)
                    steps += 1
                    completion = await self.ask_model(steps, tools=True)
                    if not completion.tool_calls:
                        self.messages.append(ChatMessage("assistant", completion.text))
                        return self.result(completion.text, stop_reason(completion), steps)
                    self.messages.append(
                        ChatMessage("assistant", completion.text, tool_calls=completion.tool_calls)
                    )
                    for call in completion.tool_calls:
                        await self.run_tool(steps, call)
        except TimeoutError:
            return self.result("", "max_time", steps)

    async def ask_model(self, step: int, *, tools: bool) -> Completion:
        request = CompletionRequest(
            messages=tuple(self.messages),
            model=self.model,
            max_tokens=self.limits.answer_tokens,
            temperature=self.temperature,
            tools=await self.toolbox.specs() if tools else (),
            discard_partial=True,
        )
        completion: Completion | None = None
        async for event in self.provider.stream(request):
            if isinstance(event, TextDelta):
                self.on_event(AgentEvent("text", step, text=event.text))
            elif isinstance(event, Restart):
                self.on_event(AgentEvent("restart", step, text=event.reason))
            else:
                completion = event
        assert completion is not None
        if completion.usage is not None and completion.usage.total_tokens:
            self.tokens += completion.usage.total_tokens
        else:
            sent = sum(len(m.content) + len(m.tool_calls) * 64 for m in self.messages)
            self.tokens += estimate_tokens(sent) + estimate_tokens(completion.text)
        return completion

    async def run_tool(self, step: int, call: ToolCall) -> None:
        arguments = call.as_object()
        self.on_event(AgentEvent("tool_call", step, tool=call.name, call_id=call.id,
                                 arguments=arguments))  # fmt: skip
        outcome = await self.toolbox.call(call)
        self.on_event(
            AgentEvent("tool_result", step, text=outcome.text, tool=call.name, call_id=call.id,
                       arguments=arguments, error=outcome.error, denied=outcome.denied)
        )  # fmt: skip
        self.messages.append(
            ChatMessage("tool", outcome.text, tool_call_id=call.id, name=call.name)
        )

    def result(self, text: str, reason: StopReason, steps: int, mode: str = "tools") -> AgentResult:
        now = datetime.now(UTC)
        transcript = Context(
            id=f"agent-{uuid.uuid4().hex[:12]}",
            type=ContextType.TASK,
            persona=self.persona,
            task=self.task,
            created_at=now,
            updated_at=now,
            data={
                "model": f"{self.provider.name}:{self.model}",
                "stop_reason": reason,
                "messages": [_plain(m) for m in self.messages],
                "denials": list(self.toolbox.denials),
            },
            token_count=self.tokens,
        )
        return AgentResult(
            text,
            reason,
            steps,
            self.tokens,
            list(self.toolbox.denials),
            self.toolbox.files.changed(),
            transcript,
            "one-shot" if mode == "one-shot" else "tools",
        )


def stop_reason(completion: Completion) -> StopReason:
    if completion.finish_reason == "length":
        return "max_tokens"
    if completion.finish_reason == "content_filter":
        return "refusal"
    return "end_turn"


def _plain(message: ChatMessage) -> dict[str, Any]:
    plain: dict[str, Any] = {"role": message.role, "content": message.content}
    if message.tool_calls:
        plain["tool_calls"] = [
            {"id": c.id, "name": c.name, "arguments": c.arguments} for c in message.tool_calls
        ]
    if message.tool_call_id:
        plain["tool_call_id"] = message.tool_call_id
    return plain
