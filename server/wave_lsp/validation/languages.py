"""Which language a file is in: from the editor's languageId when there is one, else from the
file name. Names follow LSP language identifiers."""

from __future__ import annotations

from pathlib import PurePath

_BY_SUFFIX = {
    ".py": "python",
    ".pyi": "python",
    ".js": "javascript",
    ".mjs": "javascript",
    ".cjs": "javascript",
    ".jsx": "javascriptreact",
    ".ts": "typescript",
    ".mts": "typescript",
    ".cts": "typescript",
    ".tsx": "typescriptreact",
    ".go": "go",
    ".yaml": "yaml",
    ".yml": "yaml",
    ".json": "json",
    ".toml": "toml",
    ".md": "markdown",
    ".rs": "rust",
    ".java": "java",
    ".rb": "ruby",
    ".sh": "shellscript",
    ".bash": "shellscript",
    ".c": "c",
    ".h": "c",
    ".cpp": "cpp",
    ".cs": "csharp",
    ".php": "php",
    ".sql": "sql",
    ".env": "dotenv",
}
_BY_NAME = {"Dockerfile": "dockerfile", "Makefile": "makefile", ".env": "dotenv"}

FAMILIES = {
    "javascript": {"javascript", "javascriptreact", "typescript", "typescriptreact"},
    "typescript": {"typescript", "typescriptreact"},
}
"""A rule for 'javascript' applies to TypeScript and JSX too (TypeScript is a superset)."""

INDENT_BLOCKS = frozenset({"python", "yaml"})
"""Languages whose blocks end by indentation rather than braces."""


def language_of(path: str, language_id: str | None = None) -> str:
    if language_id:
        return language_id
    name = PurePath(path).name
    if name in _BY_NAME:
        return _BY_NAME[name]
    return _BY_SUFFIX.get(PurePath(path).suffix.lower(), "plaintext")


def applies(rule_languages: list[str], language: str) -> bool:
    if not rule_languages:
        return True
    return any(language == lang or language in FAMILIES.get(lang, ()) for lang in rule_languages)


EXAMPLE_SUFFIX = {
    "python": ".py",
    "javascript": ".js",
    "typescript": ".ts",
    "go": ".go",
    "yaml": ".yaml",
    "json": ".json",
}
