"""An agent's calls of external (MCP) tools, governed like its own: offered only when the
persona and the task let them through, checked again when called (hours, ``tools_allowed``),
arguments checked against the tool's JSON Schema, the approval policy (a rule, else allowed
when the server marks the tool read-only, else asked), arguments and results redacted."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import jsonschema

from wave_lsp.agents.external import ExternalTool, ExternalTools, narrowed
from wave_lsp.errors import WaveError
from wave_lsp.providers.types import ToolSpec

if TYPE_CHECKING:
    from wave_lsp.agents.tools import ToolBox, ToolOutcome


async def offered(
    external: ExternalTools, toolbox: ToolBox, allowed: Sequence[str] | None
) -> dict[str, ExternalTool]:
    """The external tools this agent may see: the persona's and the task's narrowing."""
    persona = toolbox.guard.persona.tools_allowed
    return {
        tool.name: tool
        for tool in await external.tools()
        if narrowed(persona, tool.server, tool.tool) and narrowed(allowed, tool.server, tool.tool)
    }


def spec(tool: ExternalTool) -> ToolSpec:
    description = f"[{tool.server} MCP server] {tool.description}".strip()
    return ToolSpec(tool.name, description, tool.parameters)


def _redacted(value: Any, toolbox: ToolBox, source: str) -> Any:
    if isinstance(value, str):
        return toolbox.redactor.redact(value, source)
    if isinstance(value, list):
        return [_redacted(item, toolbox, source) for item in value]
    if isinstance(value, dict):
        return {key: _redacted(item, toolbox, source) for key, item in value.items()}
    return value


def schema_error(tool: ExternalTool, arguments: dict[str, Any]) -> str | None:
    try:
        validator = jsonschema.validators.validator_for(tool.parameters)(tool.parameters)
        error = jsonschema.exceptions.best_match(validator.iter_errors(arguments))
    except jsonschema.exceptions.SchemaError:
        return None  # the server's own schema is broken: let the server judge the call
    if error is None:
        return None
    where = "/".join(str(p) for p in error.absolute_path) or "the arguments"
    return f"{where}: {error.message} (see the tool's input schema)"


async def call_external(
    toolbox: ToolBox, tool: ExternalTool, arguments: dict[str, Any]
) -> ToolOutcome:
    from wave_lsp.agents.policy import Verdict
    from wave_lsp.agents.tools import PendingCall, ToolOutcome

    assert toolbox.external is not None
    described = tool.name
    try:
        toolbox.guard.check_mcp(tool.server, tool.tool)
    except WaveError as refusal:
        return toolbox.denied(described, refusal.error.message)
    problem = schema_error(tool, arguments)
    if problem is not None:
        return ToolOutcome(f"error: {problem}", error=True)
    decision = toolbox.policy.decide(tool.name, "", read_only=tool.read_only)
    if decision.verdict is Verdict.DENY:
        return toolbox.denied(described, f"denied by the rule {decision.rule}")
    sent = _redacted(arguments, toolbox, f"tool:{tool.name}")
    if decision.verdict is Verdict.ASK:
        why = f"the rule {decision.rule}" if decision.rule else f"{tool.name} needs approval"
        if toolbox.ask is None:
            return toolbox.denied(described, f"{why} and no one can be asked here")
        if not await toolbox.ask(PendingCall(tool.name, "", sent, decision.rule)):
            return toolbox.denied(described, "refused by the user")
    result = await toolbox.external.call(tool.name, sent)
    text = toolbox.bounded(toolbox.redactor.redact(result.text, f"tool:{tool.name}"))
    return ToolOutcome(text if not result.error else f"error: {text}", error=result.error)
