"""built-in < user < workspace < initializationOptions < workspace/configuration."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import WriteFile
from wave_lsp.config.workspace import load_workspace


def test_each_layer_overrides_the_one_below(
    workspace: Path, write: WriteFile, isolated_user_config: Path
) -> None:
    assert load_workspace(workspace).config.server.port == 8080  # built-in

    isolated_user_config.parent.mkdir(parents=True)
    isolated_user_config.write_text("server:\n  port: 9000\n  log_level: debug\n")
    config = load_workspace(workspace).config
    assert (config.server.port, config.server.log_level) == (9000, "debug")

    write(".wave/config.yaml", "server:\n  port: 9100\n")
    config = load_workspace(workspace).config
    assert (config.server.port, config.server.log_level) == (9100, "debug")  # merged, not replaced

    init = ("initializationOptions", {"server": {"port": 9200}})
    assert load_workspace(workspace, settings_layers=[init]).config.server.port == 9200

    client = ("workspace/configuration", {"server": {"port": 9300}})
    assert load_workspace(workspace, settings_layers=[init, client]).config.server.port == 9300


def test_providers_merge_by_name_across_layers(
    workspace: Path, write: WriteFile, isolated_user_config: Path
) -> None:
    isolated_user_config.parent.mkdir(parents=True)
    isolated_user_config.write_text(
        "providers:\n  defaultProvider: cloud\n  providers:\n"
        "    cloud: {type: openai, apiKey: 'env:OPENAI_API_KEY'}\n"
    )
    write(".wave/config.yaml", "providers:\n  providers:\n    local: {type: ollama}\n")
    loaded = load_workspace(workspace)
    assert loaded.problems == []
    providers = loaded.config.providers
    assert providers is not None
    assert set(providers.providers) == {"cloud", "local"}
    assert providers.providers["local"].name == "local"


def test_a_bad_layer_is_reported_and_the_rest_still_applies(
    workspace: Path, write: WriteFile, isolated_user_config: Path
) -> None:
    isolated_user_config.parent.mkdir(parents=True)
    isolated_user_config.write_text("server:\n  port: 9000\n")
    write(".wave/config.yaml", "server:\n  port: -1\n")
    loaded = load_workspace(workspace)
    (problem,) = loaded.problems
    assert problem.path.endswith(".wave/config.yaml")
    assert loaded.config.server.port == 9000


def test_settings_layer_problems_name_the_layer(workspace: Path) -> None:
    loaded = load_workspace(
        workspace, settings_layers=[("initializationOptions", {"server": {"prot": 1}})]
    )
    (problem,) = loaded.problems
    assert problem.path == "initializationOptions"
    assert "did you mean 'port'?" in problem.format()


def test_workspace_persona_replaces_the_builtin(workspace: Path, write: WriteFile) -> None:
    write(".wave/personas/dev.yaml", "persona:\n  name: developer\n  description: mine\n")
    loaded = load_workspace(workspace)
    assert loaded.personas["developer"].value.description == "mine"
    assert not loaded.personas["developer"].builtin


def test_two_workspace_files_defining_one_persona(workspace: Path, write: WriteFile) -> None:
    write(".wave/personas/a.yaml", "persona:\n  name: writer\n")
    write(".wave/personas/b.yaml", "persona:\n  name: writer\n")
    (problem,) = load_workspace(workspace).problems
    assert problem.code == "duplicate-persona"
    assert problem.path.endswith("b.yaml")
    assert problem.line == 2


def test_rules_from_config_and_rule_files(workspace: Path, write: WriteFile) -> None:
    write(
        ".wave/config.yaml",
        "rules:\n  - {id: no-todo, name: No TODO, type: quality, pattern-regex: TODO}\n",
    )
    write(
        ".wave/rules/security.yaml",
        "rules:\n  - {id: no-eval, name: No eval, type: security, severity: critical, pattern-regex: eval}\n  - {id: no-todo, name: Again, type: quality, pattern-regex: x}\n",
    )
    loaded = load_workspace(workspace)
    assert {"no-todo", "no-eval", "security.eval", "quality.todo"} <= set(loaded.rules)
    (problem,) = loaded.problems
    assert problem.code == "duplicate-rule"
    assert problem.line == 3


def test_overlay_text_replaces_the_file_on_disk(workspace: Path, write: WriteFile) -> None:
    path = write(".wave/config.yaml", "server:\n  port: 1\n")
    loaded = load_workspace(workspace, overlay={path: "server:\n  port: 2\n"})
    assert loaded.config.server.port == 2
    unsaved = workspace / ".wave" / "personas" / "new.yaml"
    loaded = load_workspace(workspace, overlay={unsaved: "persona:\n  name: fresh\n"})
    assert "fresh" in loaded.personas
