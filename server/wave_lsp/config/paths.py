"""Where configuration lives: the workspace's ``.wave/`` directory, the per-user config, and the
built-in defaults shipped in the package."""

from __future__ import annotations

import os
from enum import StrEnum
from pathlib import Path

WAVE_DIR = ".wave"
BUILTIN_DIR = Path(__file__).resolve().parent.parent / "builtin"
YAML_SUFFIXES = (".yaml", ".yml")


class FileKind(StrEnum):
    CONFIG = "config"
    PERSONA = "persona"
    PIPELINE = "pipeline"
    RULES = "rules"
    SCHEMA = "schema"


_DIR_KINDS = {
    "personas": FileKind.PERSONA,
    "pipelines": FileKind.PIPELINE,
    "rules": FileKind.RULES,
}


def user_config_path() -> Path:
    """``$XDG_CONFIG_HOME/wave/config.yaml`` (``~/.config`` when the variable is unset)."""
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "wave" / "config.yaml"


def workspace_state_dir(root: Path) -> Path:
    """Where Wave keeps a workspace's state (proposals, backups): under ``$XDG_STATE_HOME/wave``
    (``~/.local/state``), one directory per workspace root, outside the workspace itself."""
    import hashlib

    base = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    resolved = root.resolve()
    digest = hashlib.sha256(str(resolved).encode()).hexdigest()[:12]
    return Path(base) / "wave" / "workspaces" / f"{resolved.name or 'root'}-{digest}"


def wave_root_of(path: Path) -> Path | None:
    """The workspace root of a file inside a ``.wave/`` directory (the directory holding it)."""
    for parent in path.parents:
        if parent.name == WAVE_DIR:
            return parent.parent
    return None


def classify(path: Path) -> FileKind | None:
    """What kind of configuration file ``path`` is, or None when it is not one."""
    root = wave_root_of(path)
    if root is None:
        return None
    relative = path.relative_to(root / WAVE_DIR).parts
    if len(relative) == 1 and path.suffix in YAML_SUFFIXES and path.stem == "config":
        return FileKind.CONFIG
    if len(relative) == 2:
        if relative[0] == "schemas" and path.suffix == ".json":
            return FileKind.SCHEMA
        if path.suffix in YAML_SUFFIXES:
            return _DIR_KINDS.get(relative[0])
    return None
