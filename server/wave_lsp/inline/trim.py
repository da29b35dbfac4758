"""A model's answer made into a suggestion: code fences and a repeated current line removed (chat
models add both), one line unless a block starts at the cursor (then up to the block's end),
and what the text after the cursor already has taken off its end."""

from __future__ import annotations

import regex

from wave_lsp.inline.window import Window

FENCE = regex.compile(r"```[^\n]*\n(.*?)(?:\n```|$)", regex.DOTALL)


def unfenced(text: str) -> str:
    found = FENCE.search(text)
    return found.group(1) if found else text


def suggestion(answer: str, window: Window, *, chat: bool) -> str:
    text = unfenced(answer) if chat else answer
    current = window.prefix.rsplit("\n", 1)[-1]
    if chat and current.strip():
        if text.startswith(current):
            text = text[len(current) :]
        elif text.lstrip().startswith(current.strip()):
            text = text.lstrip()[len(current.strip()) :]
    if window.multiline:
        text = text.split("\n\n\n", 1)[0].rstrip()
        text = without_suffix_lines(text, window.suffix)
    else:
        text = text.split("\n", 1)[0].rstrip()
    return without_overlap(text, window.suffix.split("\n", 1)[0])


def without_overlap(text: str, rest_of_line: str) -> str:
    """``text`` without the longest end of it that the rest of the line already begins with
    (a ``)`` the editor closed, the rest of a call)."""
    rest = rest_of_line.strip()
    if not rest:
        return text
    for size in range(min(len(text), len(rest)), 0, -1):
        if text.endswith(rest[:size]):
            return text[:-size].rstrip() if size < len(text) else ""
    return text


def without_suffix_lines(text: str, suffix: str) -> str:
    """A multi-line suggestion without its last lines when they are the lines that follow."""
    following = [line.strip() for line in suffix.split("\n") if line.strip()]
    lines = text.split("\n")
    for size in range(min(len(lines) - 1, len(following)), 0, -1):
        if [line.strip() for line in lines[-size:]] == following[:size]:
            return "\n".join(lines[:-size]).rstrip()
    return text
