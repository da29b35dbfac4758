"""The model request for a completion window: fill-in-the-middle where the provider has it (the
other documents' snippets as comments before the prefix, as code models are trained on), a chat
prompt otherwise. Stop sequences end a suggestion at the line, or at the block's end when a
block starts at the cursor."""

from __future__ import annotations

from wave_lsp.inline.window import Window
from wave_lsp.providers.types import ChatMessage, CompletionRequest, Infill

CURSOR = "<CURSOR>"
HASH_COMMENTS = {
    "python", "shellscript", "sh", "bash", "yaml", "ruby", "perl", "r", "toml", "dockerfile",
    "makefile", "elixir", "julia", "nim", "coffeescript", "powershell",
}  # fmt: skip
DASH_COMMENTS = {"sql", "lua", "haskell", "ada", "elm"}
SYSTEM = (
    "You are a code completion engine. Reply with only the code that goes at <CURSOR>: no "
    "explanation, no code fences, nothing that is already before or after the cursor."
)


def comment(language: str) -> str:
    if language in HASH_COMMENTS:
        return "# "
    if language in DASH_COMMENTS:
        return "-- "
    return "// "


def stops(window: Window) -> tuple[str, ...]:
    return ("\n\n\n",) if window.multiline else ("\n",)


def fim_request(window: Window, model: str, max_tokens: int) -> CompletionRequest:
    mark = comment(window.language)
    header = "".join(
        f"{mark}Path: {snippet.path}\n"
        + "".join(f"{mark}{line}\n" for line in snippet.text.split("\n"))
        for snippet in window.snippets
    )
    header += f"{mark}Path: {window.path}\n"
    return CompletionRequest(
        messages=(),
        model=model,
        max_tokens=max_tokens,
        temperature=0.0,
        stop=stops(window),
        infill=Infill(header + window.prefix, window.suffix),
    )


def chat_request(window: Window, model: str, max_tokens: int) -> CompletionRequest:
    others = "".join(
        f"From {snippet.path}:\n```\n{snippet.text}\n```\n\n" for snippet in window.snippets
    )
    shape = (
        "a block may start here: complete it (several lines)"
        if window.multiline
        else "complete the current line only"
    )
    user = (
        f"{others}File {window.path} ({window.language}); {shape}.\n"
        f"```\n{window.prefix}{CURSOR}{window.suffix}\n```"
    )
    return CompletionRequest(
        messages=(ChatMessage("system", SYSTEM), ChatMessage("user", user)),
        model=model,
        max_tokens=max_tokens,
        temperature=0.0,
    )
