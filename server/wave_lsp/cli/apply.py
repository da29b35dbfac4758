"""``wave apply``: a patch or a model's answer applied to a workspace, by the same engine as the
language server's proposals. Exit 0 when every file applied, 1 when any hunk failed (those files
are left untouched; with several files, none is written), 2 on bad input."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2


def _read(path: Path) -> str | None:
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return None
    except IsADirectoryError:
        return None
    return data.decode("utf-8", errors="surrogateescape")


def run(root: Path, patch: str | None, *, dry_run: bool, as_json: bool) -> int:
    from wave_lsp.edits.changes import PathError, plan_changes, write_changes
    from wave_lsp.edits.extract import extract_patches
    from wave_lsp.edits.patch import PatchSyntaxError

    if not root.is_dir():
        print(f"wave apply: --root {root}: not a directory", file=sys.stderr)
        return EXIT_USAGE
    if patch is None or patch == "-":
        text = sys.stdin.read()
    else:
        try:
            text = Path(patch).read_text(encoding="utf-8")
        except OSError as error:
            print(f"wave apply: {patch}: {error.strerror or error}", file=sys.stderr)
            return EXIT_USAGE
    try:
        patches = extract_patches(text)
        changes = plan_changes(root, patches, _read)
    except (PatchSyntaxError, PathError) as error:
        print(f"wave apply: {error}", file=sys.stderr)
        return EXIT_USAGE
    if changes.ok and not dry_run:
        stamp = time.strftime("%Y%m%dT%H%M%S")
        backups = root / ".wave" / "backups" / f"apply-{stamp}-{time.time_ns() % 10**6:06d}"
        write_changes(root, changes, backups)
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
