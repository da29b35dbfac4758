"""How a model is asked to write an edit: the format each model family writes best, and the
words that ask for it. Whatever was asked, the answer is read in any format
(:func:`wave_lsp.edits.extract.extract_patches`); a failed edit goes back to the model with the
instruction of the format it used.

The defaults follow what the families are trained on and what Aider's edit benchmarks found:
GPT-4.1 and later, the o-series and Codex write OpenAI's apply_patch envelope; Claude, Gemini,
GPT-4o, DeepSeek and Qwen write SEARCH/REPLACE blocks best; small and local models write whole
files far more reliably than any diff; other models get a unified diff.
``providerSpecific.editFormat`` overrides."""

from __future__ import annotations

from enum import StrEnum

from wave_lsp.edits.extract import FENCE, looks_like_diff
from wave_lsp.edits.formats import has_apply_patch, has_search_replace


class EditFormat(StrEnum):
    DIFF = "diff"
    WHOLE = "whole"
    SEARCH_REPLACE = "search-replace"
    APPLY_PATCH = "apply-patch"


INSTRUCTIONS: dict[EditFormat, str] = {
    EditFormat.DIFF: (
        "Answer with the change as a unified diff in a ```diff block, with '--- a/{path}' and "
        "'+++ b/{path}' headers and three lines of context around each change. Copy the "
        "unchanged lines exactly."
    ),
    EditFormat.WHOLE: (
        "Answer with the whole new content of the file in one fenced block whose info string "
        "is the file's path, like ```{path}. Write every line of the file, changed or not."
    ),
    EditFormat.SEARCH_REPLACE: (
        "Answer with SEARCH/REPLACE blocks: the file's path ({path}) alone on a line, then a "
        "fenced block holding '<<<<<<< SEARCH', the lines to change copied exactly from the "
        "file, '=======', the lines to put instead, and '>>>>>>> REPLACE'. One block per "
        "change; each SEARCH section must match one place of the file only. An empty SEARCH "
        "section creates a new file."
    ),
    EditFormat.APPLY_PATCH: (
        "Answer with an apply_patch envelope: '*** Begin Patch', '*** Update File: {path}', "
        "then for each change a line '@@' (optionally followed by a line just above the "
        "change), three unchanged lines before and after it prefixed with a space, removed "
        "lines prefixed with '-', added lines prefixed with '+'; end with '*** End Patch'. "
        "'*** Add File: PATH' followed by '+' lines creates a file."
    ),
}

_APPLY_PATCH_MODELS = ("gpt-4.1", "gpt-5", "o3", "o4", "codex")
_SEARCH_REPLACE_MODELS = ("claude", "gemini", "gpt-4o", "chatgpt-4o", "deepseek", "qwen")
_WHOLE_PROVIDERS = frozenset({"local", "ollama"})
_SEARCH_REPLACE_PROVIDERS = frozenset({"gemini", "googleCloud", "deepseek", "qwen", "anthropic"})


def format_for(provider_type: str, model: str, configured: str | None = None) -> EditFormat:
    """The format to ask ``model`` (served by a provider of ``provider_type``) for."""
    if configured is not None:
        return EditFormat(configured)
    if provider_type in _WHOLE_PROVIDERS:
        return EditFormat.WHOLE
    name = model.lower().rsplit("/", 1)[-1]  # "openai/gpt-5" on a router
    if name.startswith(_APPLY_PATCH_MODELS) or "codex" in name:
        return EditFormat.APPLY_PATCH
    if name.startswith(_SEARCH_REPLACE_MODELS) or provider_type in _SEARCH_REPLACE_PROVIDERS:
        return EditFormat.SEARCH_REPLACE
    return EditFormat.DIFF


def format_used(answer: str) -> EditFormat | None:
    """The format an answer's edit is written in (as extract_patches reads it), if any."""
    if has_apply_patch(answer):
        return EditFormat.APPLY_PATCH
    if has_search_replace(answer):
        return EditFormat.SEARCH_REPLACE
    if looks_like_diff(answer):
        return EditFormat.DIFF
    if FENCE.search(answer):
        return EditFormat.WHOLE
    return None


def instruction(edit_format: EditFormat, path: str) -> str:
    return INSTRUCTIONS[edit_format].format(path=path)
