"""The prompt templates of the actions: the workspace's own (``.wave/prompts/<kind>.md``, a
custom action's ``.wave/actions/<name>.md``) before the built-in ones, and how they are filled."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from wave_lsp.actions.kinds import CUSTOM_DIR, ActionKind
from wave_lsp.config.paths import WAVE_DIR


class TemplateError(Exception):
    """A custom action's name is wrong or its file is gone."""


def template(kind: ActionKind, root: Path, name: str = "") -> str:
    """The prompt template of an action: ``.wave/prompts/<kind>.md`` when the workspace has one,
    else the built-in; a custom action's own file without its title line."""
    if kind is ActionKind.CUSTOM:
        if not name.replace("-", "").replace("_", "").isalnum():
            raise TemplateError(f"{name!r} is not an action name")
        path = root.joinpath(WAVE_DIR, *CUSTOM_DIR, f"{name}.md")
        try:
            lines = path.read_text(encoding="utf-8").lstrip().splitlines()
        except OSError as error:
            raise TemplateError(f"the action {name!r} is gone: {error}") from error
        body = lines[1:] if lines and lines[0].startswith("# ") else lines
        return "\n".join(body).strip() + "\n\n{{format}}\n"
    override = root / WAVE_DIR / "prompts" / f"{kind.value}.md"
    if override.is_file():
        return override.read_text(encoding="utf-8")
    return (
        resources.files("wave_lsp.builtin")
        .joinpath("prompts")
        .joinpath(f"{kind.value}.md")
        .read_text(encoding="utf-8")
    )


def fill(text: str, values: dict[str, str]) -> str:
    for name, value in values.items():
        text = text.replace("{{" + name + "}}", value)
    return text
