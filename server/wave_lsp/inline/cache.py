"""The last suggestion of each document, to answer without the model while the user types what it
predicted: the text after the cursor is unchanged, the text before it grew by what was typed,
and the suggestion begins with that — the rest of the suggestion is the answer."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Entry:
    before: str
    after: str
    text: str


class SuggestionCache:
    def __init__(self) -> None:
        self._entries: dict[str, Entry] = {}

    def put(self, key: str, before: str, after: str, text: str) -> None:
        if text:
            self._entries[key] = Entry(before, after, text)
        else:
            self._entries.pop(key, None)

    def get(self, key: str, before: str, after: str) -> str | None:
        """What is left of the last suggestion at this place, if the user typed along it."""
        entry = self._entries.get(key)
        if entry is None or after != entry.after or not before.startswith(entry.before):
            return None
        typed = before[len(entry.before) :]
        if not entry.text.startswith(typed) or len(typed) >= len(entry.text):
            return None
        return entry.text[len(typed) :]

    def forget(self, key: str) -> None:
        self._entries.pop(key, None)
