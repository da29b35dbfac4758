"""Cross-references between configuration files: personas named by the system configuration and
by pipelines, output schemas named by tasks, providers named by the provider configuration."""

from __future__ import annotations

from typing import TYPE_CHECKING

from wave_lsp.config.layering import Layer, layer_for
from wave_lsp.config.model_errors import did_you_mean
from wave_lsp.config.problems import DataProblem
from wave_lsp.config.yaml_source import YamlDocument

if TYPE_CHECKING:
    from wave_lsp.config.workspace import WaveWorkspace

Placed = tuple[YamlDocument | None, DataProblem]


def _unknown(kind: str, name: str, known: list[str]) -> str:
    suggestion = did_you_mean(name, known)
    if suggestion:
        return f"did you mean '{suggestion}'?"
    if known:
        return f"known {kind}s: " + ", ".join(sorted(known))
    return f"define a {kind} named '{name}'"


def _check_config(workspace: WaveWorkspace, layers: list[Layer]) -> list[Placed]:
    found: list[Placed] = []
    loc: tuple[str, ...]
    personas = list(workspace.personas)
    default = workspace.config.security.personas.default_persona
    if default not in workspace.personas and layers:
        loc = ("security", "personas", "default_persona")
        found.append(
            (
                layer_for(layers, loc).document,
                DataProblem(
                    loc,
                    f"default persona '{default}' does not exist",
                    "unknown-persona",
                    _unknown("persona", default, personas),
                ),
            )
        )
    providers = workspace.config.providers
    if providers is not None and layers:
        names = list(providers.providers)
        loc = ("providers", "defaultProvider")
        if providers.default_provider not in providers.providers:
            found.append(
                (
                    layer_for(layers, loc).document,
                    DataProblem(
                        loc,
                        f"default provider '{providers.default_provider}' is not configured",
                        "unknown-provider",
                        _unknown("provider", providers.default_provider, names),
                    ),
                )
            )
        model = providers.default_model
        if model and ":" in model:
            prefix = model.split(":", 1)[0]
            loc = ("providers", "defaultModel")
            if prefix not in providers.providers:
                found.append(
                    (
                        layer_for(layers, loc).document,
                        DataProblem(
                            loc,
                            f"default model '{model}' names provider '{prefix}', which is not "
                            "configured",
                            "unknown-provider",
                            _unknown("provider", prefix, names),
                        ),
                    )
                )
    return found


def _unknown_persona(
    name: str | None, loc: tuple[str | int, ...], owner: str, known: list[str]
) -> DataProblem | None:
    if name is None or name in known:
        return None
    return DataProblem(
        loc,
        f"persona '{name}'{owner} does not exist",
        "unknown-persona",
        _unknown("persona", name, known),
    )


def _check_pipelines(workspace: WaveWorkspace) -> list[Placed]:
    found: list[Placed] = []
    personas = list(workspace.personas)
    schemas = list(workspace.schemas)
    for loaded in workspace.pipelines.values():
        pipeline, document, root = loaded.value, loaded.document, loaded.loc
        if problem := _unknown_persona(pipeline.persona, (*root, "persona"), "", personas):
            found.append((document, problem))
        for index, task in enumerate(pipeline.tasks):
            task_loc = (*root, "tasks", index)
            owner = f" of task '{task.id}'"
            if problem := _unknown_persona(task.persona, (*task_loc, "persona"), owner, personas):
                found.append((document, problem))
            for output_index, output in enumerate(task.outputs):
                if output.schema_ is not None and output.schema_ not in workspace.schemas:
                    found.append(
                        (
                            document,
                            DataProblem(
                                (*task_loc, "outputs", output_index, "schema"),
                                f"output schema '{output.schema_}' of task '{task.id}' does not "
                                "exist",
                                "unknown-schema",
                                _unknown("schema", output.schema_, schemas)
                                + " (schemas live in .wave/schemas/)",
                            ),
                        )
                    )
    return found


def _unknown_servers(
    allowed: list[str] | None, loc: tuple[str | int, ...], owner: str, known: list[str]
) -> list[DataProblem]:
    from wave_lsp.agents.external import MCP_PREFIX, split_name

    found = []
    for index, entry in enumerate(allowed or []):
        if not entry.startswith(MCP_PREFIX) or entry == f"{MCP_PREFIX}*":
            continue
        server = split_name(entry[len(MCP_PREFIX) :])[0]
        if server not in known:
            found.append(
                DataProblem(
                    (*loc, "tools_allowed", index),
                    f"'{entry}' of {owner} names the MCP server '{server}', which is not "
                    "configured",
                    "unknown-mcp-server",
                    _unknown("MCP server", server, known)
                    + "; MCP servers are configured under providers.mcpServers",
                )
            )
    return found


def _check_mcp(workspace: WaveWorkspace, layers: list[Layer]) -> list[Placed]:
    """MCP servers whose command is not found; ``mcp:`` entries naming no configured server."""
    import shutil
    from pathlib import Path

    found: list[Placed] = []
    providers = workspace.config.providers
    servers = providers.mcp_servers if providers is not None else {}
    for name, server in servers.items():
        if server.command is None or not server.enabled or not layers:
            continue
        command = Path(server.command).expanduser()
        local = workspace.root / command if workspace.root is not None else command
        if shutil.which(str(command)) is None and not (command.parts[1:] and local.is_file()):
            loc = ("providers", "mcpServers", name, "command")
            found.append((layer_for(layers, loc).document, DataProblem(
                loc,
                f"the command '{server.command}' of MCP server '{name}' is not found on PATH",
                "command-not-found",
                "install it, give its full path, or set enabled: false",
            )))  # fmt: skip
    known = list(servers)
    for loaded in workspace.personas.values():
        if loaded.document is None:
            continue
        owner = f"persona '{loaded.value.name}'"
        for problem in _unknown_servers(loaded.value.tools_allowed, loaded.loc, owner, known):
            found.append((loaded.document, problem))
    for pipeline in workspace.pipelines.values():
        for index, task in enumerate(pipeline.value.tasks):
            task_loc = (*pipeline.loc, "tasks", index)
            owner = f"task '{task.id}'"
            for problem in _unknown_servers(task.tools_allowed, task_loc, owner, known):
                found.append((pipeline.document, problem))
    return found


def _check_authentication(workspace: WaveWorkspace, layers: list[Layer]) -> list[Placed]:
    """``ldap`` and ``oauth`` are refused, not ignored: the daemon authenticates by file only."""
    kind = workspace.config.security.authentication.type.value
    if kind == "file" or not layers:
        return []
    loc = ("security", "authentication", "type")
    return [(layer_for(layers, loc).document, DataProblem(
        loc, f"authentication type '{kind}' is not supported yet", "unsupported-authentication",
        "use type: file with config_file: a users file (see `wave token`)",
    ))]  # fmt: skip


def check_references(workspace: WaveWorkspace, layers: list[Layer]) -> list[Placed]:
    return (
        _check_authentication(workspace, layers)
        + _check_config(workspace, layers)
        + _check_pipelines(workspace)
        + _check_mcp(workspace, layers)
    )
