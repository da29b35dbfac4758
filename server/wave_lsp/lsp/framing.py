"""The base protocol's framing, read robustly: ``Content-Length`` headers (names in any letter
case, as RFC 7230 says; other headers ignored), then the body.

The server reads stdin itself (for speed), so it owns what a careless or hostile client sends:

- a header line longer than ``max_header`` bytes, or bytes that are not a header, are skipped
  up to the next ``Content-Length`` (a resynchronisation, reported once per skipped run);
- a ``Content-Length`` over ``max_message`` is refused: reading resumes at the next
  ``Content-Length`` (its body is never buffered, and a lying length cannot swallow the stream);
- a body that is not JSON (a length that was too short, or too long and ran into the next
  message) is reported as unparsable, and reading resumes at the next ``Content-Length`` found
  inside it or after it, so the next well-formed message is still read.

:class:`Framer` is pure (bytes in, frames out) and fuzzed by the tests; the event loop only
feeds it what it reads.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

MAX_HEADER_BYTES = 8192
"""A header line longer than this is not a header."""
MAX_MESSAGE_BYTES = 64 * 1024 * 1024
"""A message body longer than this is refused (64 MiB: a whole large file and then some)."""

_HEADER = re.compile(rb"(?i)content-length")
_LENGTH = re.compile(rb"[ \t]*(?i:content-length)[ \t]*:[ \t]*(\d{1,12})[ \t]*\r?")
_OTHER = re.compile(rb"[ \t]*[!-9;-~]+[ \t]*:[^\r\n]*\r?")  # a header Wave does not use


@dataclass(frozen=True, slots=True)
class Body:
    """A message's body, parsed as JSON (what it holds is checked by the dispatcher)."""

    message: Any


@dataclass(frozen=True, slots=True)
class Skipped:
    """Bytes that were not a message: why, and how many."""

    reason: str
    size: int


@dataclass(frozen=True, slots=True)
class Unparsable:
    """A framed body that is not JSON (answered with a parse error and a null id)."""

    reason: str


Frame = Body | Skipped | Unparsable


class Framer:
    def __init__(
        self, max_header: int = MAX_HEADER_BYTES, max_message: int = MAX_MESSAGE_BYTES
    ) -> None:
        self.max_header = max_header
        self.max_message = max_message
        self._buffer = bytearray()
        self._length: int | None = None  # from the headers read so far
        self._in_headers = False
        self._garbage = 0  # bytes dropped in the current resynchronisation
        self._pending_reason: str | None = None  # why they are dropped
        self._hunting = False  # dropping bytes until the next Content-Length
        self._hunt_from = 1

    def feed(self, data: bytes) -> list[Frame]:
        self._buffer += data
        frames: list[Frame] = []
        while self._step(frames):
            pass
        return frames

    # -- one step: True when it made progress and may make more ---------------------------------

    def _step(self, frames: list[Frame]) -> bool:
        buffer = self._buffer
        if self._hunting:
            return self._hunt(frames)
        if self._length is not None and not self._in_headers:
            return self._body(frames)
        end = buffer.find(b"\n", 0, self.max_header + 2)
        if end < 0:
            if len(buffer) > self.max_header:
                self._resync(frames, f"a header line over {self.max_header} bytes")
                return True
            return False
        line = bytes(buffer[:end])
        if line in (b"", b"\r"):
            del buffer[: end + 1]
            if self._length is not None:
                self._in_headers = False
                return True
            if self._in_headers:  # headers without a Content-Length
                self._in_headers = False
                self._report(frames, "headers without a Content-Length", end + 1)
                return True
            self._garbage += end + 1  # a blank line between messages
            return True
        if (inner := _HEADER.search(line, 1)) is not None and not _LENGTH.fullmatch(line):
            self._report(frames, "bytes before a message header", inner.start())
            return True
        if (found := _LENGTH.fullmatch(line)) is not None:
            del buffer[: end + 1]
            self._flush(frames)
            self._length = int(found.group(1))
            self._in_headers = True
            return True
        if _OTHER.fullmatch(line):  # Content-Type, say: headers come in any order
            del buffer[: end + 1]
            self._flush(frames)
            self._in_headers = True
            return True
        self._in_headers = False
        self._length = None
        self._resync(frames, "bytes that are not a message header")
        return True

    def _body(self, frames: list[Frame]) -> bool:
        length = self._length
        assert length is not None
        if length > self.max_message:  # refused: look for the next message instead of
            self._length = None  # reading (or trusting) a length that large
            self._resync(
                frames, f"a message of {length} bytes, over the limit of {self.max_message}", 0
            )
            return True
        if len(self._buffer) < length:
            return False
        body = bytes(self._buffer[:length])
        self._length = None
        try:
            message = json.loads(body)
        except (ValueError, RecursionError):
            pass
        else:
            del self._buffer[:length]
            frames.append(Body(message))
            return True
        # Not JSON: a wrong length. Resume at the next header inside the body, if there is one
        # (the length was too long and ran into the next message), else after it.
        inner = _HEADER.search(self._buffer, 1)
        cut = inner.start() if inner is not None and inner.start() < length else length
        frames.append(
            Unparsable(
                "the body is shorter than its Content-Length said (the next message began "
                "inside it)"
                if cut < length
                else _why_not_json(body)
            )
        )
        del self._buffer[:cut]
        if cut == length:  # what follows may be the rest of this body: find the next header
            self._resync(
                frames, "the rest of a message longer than its Content-Length said", start=0
            )
        return True

    def _resync(self, frames: list[Frame], reason: str, start: int = 1) -> None:
        """Drop bytes up to the next ``Content-Length`` found from ``start`` (1: what is at the
        start of the buffer is known to be wrong); what is dropped is reported once."""
        self._pending_reason = self._pending_reason or reason
        self._hunting = True
        self._hunt_from = start

    def _hunt(self, frames: list[Frame]) -> bool:
        found = _HEADER.search(self._buffer, self._hunt_from)
        self._hunt_from = 0  # what is left of the buffer after a drop may start with a header
        if found is not None:
            self._hunting = False
            reason = self._pending_reason or "bytes that are not a message"
            self._report(frames, reason, found.start())
            return True
        keep = len(_HEADER.pattern)  # a header may be cut across two reads
        dropped = max(0, len(self._buffer) - keep)
        self._garbage += dropped
        del self._buffer[:dropped]
        return False

    def _report(self, frames: list[Frame], reason: str, size: int) -> None:
        del self._buffer[:size]
        self._garbage += size
        reason = self._pending_reason or reason
        self._pending_reason = None
        frames.append(Skipped(reason, self._garbage))
        self._garbage = 0

    def _flush(self, frames: list[Frame]) -> None:
        reason = self._pending_reason
        if reason is not None and self._garbage:
            frames.append(Skipped(reason, self._garbage))
        self._pending_reason = None
        self._garbage = 0


def _why_not_json(body: bytes) -> str:
    try:
        json.loads(body)
    except RecursionError:
        return "the body is nested too deeply"
    except UnicodeDecodeError as error:
        return f"the body is not UTF-8 (byte {error.start})"
    except ValueError as error:
        return f"the body is not JSON ({error})"
    return "the body is not JSON"
