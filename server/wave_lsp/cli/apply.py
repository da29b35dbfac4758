"""``wave apply``: a patch or a model's answer applied to a workspace, by the same engine as the
language server's proposals. Exit 0 when every file applied, 1 when any hunk failed or a file
could not be written (those files are left untouched; with several files, none is written), 2 on
bad input.

Writes under version-control directories and ``.wave/`` are refused unless confirmed by name with
``--confirm PATH`` (and, for version control, the persona has ``vcs:write``). The write is
journaled: a ``wave`` killed midway is rolled back by the next ``wave`` start on the workspace.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from wave_lsp.edits.protected import WritePolicy

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
MAX_PATCH_BYTES = 50_000_000
"""A patch or answer larger than this is refused before it is read (50 MB)."""


def _read(path: Path) -> str | None:
    """The file's text (non-UTF-8 bytes kept as escapes, written back unchanged); ``None`` when
    it does not exist; a FIFO, a device, a directory or a huge file is refused."""
    from wave_lsp import fileread

    try:
        return fileread.read_text(path)
    except FileNotFoundError:
        return None


def _read_patch(patch: str | None) -> str:
    from wave_lsp import fileread

    if patch is None or patch == "-":
        data = sys.stdin.buffer.read(MAX_PATCH_BYTES + 1)
        if len(data) > MAX_PATCH_BYTES:
            raise ValueError(f"standard input: over {MAX_PATCH_BYTES} bytes: not a patch")
    else:
        try:
            data = fileread.read_bytes(Path(patch), MAX_PATCH_BYTES)
        except FileNotFoundError as error:
            raise ValueError(f"{patch}: no such file") from error
        except (OSError, ValueError) as error:
            raise ValueError(str(error)) from error
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise ValueError(
            f"{patch or 'standard input'}: not UTF-8 text (byte {error.start}): "
            "a patch or a model's answer is text; save it as UTF-8"
        ) from error


def _policy(root: Path, persona: str | None, confirm: list[str]) -> WritePolicy:
    """Which protected paths may be written: the persona's ``vcs:write``, the confirmed paths."""
    from wave_lsp.config.workspace import load_workspace
    from wave_lsp.edits.protected import VCS_PERMISSION, WritePolicy
    from wave_lsp.personas.guard import guard_for  # (imported when used: start stays light)

    vcs = False
    if confirm or persona:  # (the workspace is loaded only when it can matter)
        workspace = load_workspace(root)
        vcs = guard_for(workspace, persona, root).has(VCS_PERMISSION)
    return WritePolicy(vcs_allowed=vcs).confirming(confirm)


def run(
    root: Path,
    patch: str | None,
    *,
    dry_run: bool,
    as_json: bool,
    confirm: list[str] | None = None,
    persona: str | None = None,
) -> int:
    from wave_lsp.edits.changes import PathError, plan_changes, state_directory, write_changes
    from wave_lsp.edits.extract import extract_patches
    from wave_lsp.edits.patch import PatchSyntaxError

    if not root.is_dir():
        print(f"wave apply: --root {root}: not a directory", file=sys.stderr)
        return EXIT_USAGE
    try:
        text = _read_patch(patch)
        policy = _policy(root, persona, confirm or [])
        patches = extract_patches(text)
        changes = plan_changes(root, patches, _read, policy)
    except (PatchSyntaxError, PathError, ValueError) as error:
        print(f"wave apply: {error}", file=sys.stderr)
        return EXIT_USAGE
    if changes.ok and not dry_run:
        stamp = time.strftime("%Y%m%dT%H%M%S")
        try:
            backups = state_directory(root, ".wave/backups") / (
                f"apply-{stamp}-{time.time_ns() % 10**6:06d}"
            )
            write_changes(root, changes, backups, policy)
        except PathError as error:
            print(f"wave apply: {error}\nwave apply: nothing was written", file=sys.stderr)
            return EXIT_FAILED
        except OSError as error:
            where = f" ({error.filename})" if error.filename else ""
            print(
                f"wave apply: cannot write: {error.strerror or error}{where}\n"
                "wave apply: nothing was changed (every file written so far was restored); "
                "check the permissions of the files and their directories",
                file=sys.stderr,
            )
            return EXIT_FAILED
    if as_json:
        print(json.dumps(changes.report(), indent=2))
    else:
        for change in changes.files:
            target = f"{change.path} -> {change.new_path}" if change.new_path else change.path
            if change.ok:
                methods = ", ".join(
                    f"hunk {h.index}: {h.method.value if h.method else '?'} at line {h.line}"
                    for h in change.hunks
                )
                verb = "would change" if dry_run else "changed"
                detail = f": {methods}" if methods else ""
                print(f"{verb} {target} ({change.change_type.value}){detail}")
            else:
                print(f"failed {target}:\n  {change.error}", file=sys.stderr)
    if not changes.ok:
        print(
            "wave apply: nothing was written"
            + ("" if len(changes.files) == 1 else " (all or none)"),
            file=sys.stderr,
        )
        return EXIT_FAILED
    return EXIT_OK
