"""The built-in agent's tools as the model sees them: names, descriptions, JSON Schemas."""

from __future__ import annotations

from wave_lsp.providers.types import ToolSpec


def _object(required: list[str], **properties: dict[str, object]) -> dict[str, object]:
    return {"type": "object", "properties": properties, "required": required}


_PATH: dict[str, object] = {
    "type": "string",
    "description": "a path relative to the workspace root",
}

TOOLS: tuple[ToolSpec, ...] = (
    ToolSpec(
        "read_file",
        "Read a file of the workspace (its unsaved text in the editor, if open). Lines are "
        "numbered from 1; give offset and limit to read part of a long file.",
        _object(
            ["path"],
            path=_PATH,
            offset={"type": "integer", "minimum": 1, "description": "first line"},
            limit={"type": "integer", "minimum": 1, "description": "how many lines"},
        ),
    ),
    ToolSpec(
        "list_files",
        "List the files under a folder of the workspace, optionally those matching a glob.",
        _object(
            [],
            path={"type": "string", "description": "a folder, '.' by default"},
            pattern={"type": "string", "description": "a glob such as '*.py' or 'src/**'"},
        ),
    ),
    ToolSpec(
        "search_text",
        "Search the workspace's files for a regular expression; answers path:line: text.",
        _object(
            ["pattern"],
            pattern={"type": "string", "description": "a regular expression"},
            path={"type": "string", "description": "a folder or file, '.' by default"},
            glob={"type": "string", "description": "only files matching this glob"},
        ),
    ),
    ToolSpec(
        "edit_file",
        "Change part of a file. Either old_text (copied exactly from the file, matching one "
        "place only) and new_text; or edit: SEARCH/REPLACE blocks, a unified diff or an "
        "apply_patch envelope. Never write '...' for unchanged code.",
        _object(
            ["path"],
            path=_PATH,
            old_text={"type": "string"},
            new_text={"type": "string"},
            edit={"type": "string", "description": "SEARCH/REPLACE blocks, a diff or a patch"},
        ),
    ),
    ToolSpec(
        "write_file",
        "Create a file, or replace a whole file, with the given content.",
        _object(["path", "content"], path=_PATH, content={"type": "string"}),
    ),
    ToolSpec(
        "run_command",
        "Run a command (no shell: no pipes or redirections) in the workspace root; only the "
        "persona's allowed tools may run. Answers the exit code and the output.",
        _object(["command"], command={"type": "string", "description": "e.g. 'go test ./...'"}),
    ),
    ToolSpec(
        "check",
        "The project's rule findings (security, quality, secrets) for the given files.",
        _object(["paths"], paths={"type": "array", "items": {"type": "string"}}),
    ),
)
