"""One-shot mode, for models without tool calling (the embedded model, many local ones): the
files the instruction names go with it, the model answers once with its edits in the format its
family writes best, and each changed file goes through the same governed ``write_file`` call as
in the tool loop (policy, persona, the held files)."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from typing import TYPE_CHECKING

from wave_lsp.agents.loop import stop_reason
from wave_lsp.edits.changes import PathError, inside, plan_changes
from wave_lsp.edits.extract import extract_patches
from wave_lsp.edits.instructions import format_for, instruction
from wave_lsp.edits.models import ChangeType
from wave_lsp.edits.patch import PatchSyntaxError
from wave_lsp.providers.types import ChatMessage, ToolCall

if TYPE_CHECKING:
    from wave_lsp.agents.loop import Agent, AgentResult

FILES_BUDGET = 40_000
"""Characters of file text sent with the instruction."""
_PATHLIKE = re.compile(r"[\w./-]+\.[A-Za-z0-9]{1,8}\b")


async def run_one_shot(
    agent: Agent, instruction_text: str, history: Sequence[ChatMessage]
) -> AgentResult:
    toolbox = agent.toolbox
    files = toolbox.files
    named: list[str] = []
    for candidate in dict.fromkeys(_PATHLIKE.findall(instruction_text)):
        try:
            path = inside(files.root, candidate.removeprefix("./"))
        except PathError:
            continue
        if path.is_file() and toolbox.guard.decide_path(path)[0].allowed:
            named.append(files.relative(path))
    blocks: list[str] = []
    used = 0
    for relative in named:
        text = files.read(files.root / relative) or ""
        if used + len(text) > FILES_BUDGET:
            break
        used += len(text)
        blocks.append(f"{relative}\n```\n{toolbox.redactor.redact(text, relative)}\n```")
    provider = agent.provider
    fmt = format_for(provider.config.type.value, agent.model,
                     provider.config.provider_specific.edit_format)  # fmt: skip
    asked = [toolbox.redactor.redact(instruction_text, "instruction"), *blocks]
    asked.append(
        "If the task needs files changed or created, "
        + instruction(fmt, named[0] if named else "PATH")
        + " Otherwise answer in text only."
    )
    system = agent.system_prompt.strip()
    agent.messages = [
        *([ChatMessage("system", system)] if system else []),
        *history,
        ChatMessage("user", "\n\n".join(asked)),
    ]
    completion = await agent.ask_model(1, tools=False)
    agent.messages.append(ChatMessage("assistant", completion.text))
    notes: list[str] = []
    try:
        patches = extract_patches(completion.text, named[0] if named else None)
    except PatchSyntaxError:
        patches = []
    if patches:
        plan = plan_changes(files.root, patches, files.read)
        for index, change in enumerate(plan.files):
            if not change.ok:
                notes.append(f"not applied: {change.error}")
                continue
            if change.change_type is ChangeType.DELETE or change.new_path:
                notes.append(f"not applied: {change.path}: one-shot edits do not delete files")
                continue
            arguments = {"path": change.path, "content": change.new_text or ""}
            call = ToolCall(f"oneshot_{index}", "write_file", json.dumps(arguments))
            await agent.run_tool(1, call)
    text = "\n".join([completion.text, *notes]) if notes else completion.text
    return agent.result(text, stop_reason(completion), 1, mode="one-shot")
