"""The edit format each model family is asked for, the setting that overrides it, and the
format an answer is recognised to be in."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import WriteFile
from wave_lsp.config.workspace import load_workspace
from wave_lsp.edits.extract import extract_patches
from wave_lsp.edits.instructions import EditFormat, format_for, format_used, instruction


@pytest.mark.parametrize(
    ("provider", "model", "expected"),
    [
        ("openai", "gpt-5.1", EditFormat.APPLY_PATCH),
        ("openai", "gpt-4.1-mini", EditFormat.APPLY_PATCH),
        ("openai", "o4-mini", EditFormat.APPLY_PATCH),
        ("openai", "openai/gpt-5-codex", EditFormat.APPLY_PATCH),
        ("openai", "gpt-4o", EditFormat.SEARCH_REPLACE),
        ("openai", "anthropic/claude-sonnet-4-5", EditFormat.SEARCH_REPLACE),
        ("gemini", "gemini-2.5-pro", EditFormat.SEARCH_REPLACE),
        ("deepseek", "deepseek-chat", EditFormat.SEARCH_REPLACE),
        ("ollama", "qwen2.5-coder:7b", EditFormat.WHOLE),
        ("local", "", EditFormat.WHOLE),
        ("openai", "some-model", EditFormat.DIFF),
    ],
)
def test_each_family_is_asked_for_its_best_format(
    provider: str, model: str, expected: EditFormat
) -> None:
    assert format_for(provider, model) is expected
    assert format_for(provider, model, "diff") is EditFormat.DIFF  # the setting overrides


ANSWERS = {
    EditFormat.DIFF: "```diff\n--- a/x.py\n+++ b/x.py\n@@ -1 +1 @@\n-a = 1\n+a = 2\n```\n",
    EditFormat.SEARCH_REPLACE: "x.py\n```\n<<<<<<< SEARCH\na = 1\n=======\na = 2\n>>>>>>> REPLACE\n```\n",
    EditFormat.APPLY_PATCH: "*** Begin Patch\n*** Update File: x.py\n@@\n-a = 1\n+a = 2\n*** End Patch\n",
    EditFormat.WHOLE: "```x.py\na = 2\n```\n",
}  # fmt: skip


@pytest.mark.parametrize("edit_format", list(EditFormat))
def test_an_answer_in_the_format_asked_for_is_read_and_recognised(
    edit_format: EditFormat,
) -> None:
    """Each instruction names the path; an answer written as it says is read back, and its
    format recognised (a failure goes back to the model with that format's instruction)."""
    assert "x.py" in instruction(edit_format, "x.py")
    answer = ANSWERS[edit_format]
    assert format_used(answer) is edit_format
    [patch] = extract_patches(answer)
    assert patch.new_path == "x.py"
    assert format_used("No edit here.") is None


def test_a_wrong_edit_format_setting_is_a_precise_error(workspace: Path, write: WriteFile) -> None:
    write(
        ".wave/config.yaml",
        "providers:\n  providers:\n    llm:\n      type: openai\n"
        "      providerSpecific: {editFormat: patchy}\n",
    )
    loaded = load_workspace(workspace)
    [problem] = [p for p in loaded.problems if "patchy" in p.format()]
    text = problem.format()
    assert "config.yaml" in text and ":5:" in text and "search-replace" in text
