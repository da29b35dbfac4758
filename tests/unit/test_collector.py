"""What the server's lazy imports make is frozen out of the collector's scans (a full collection
of it was a 50-65 ms pause inside a request)."""

from __future__ import annotations

import asyncio
import gc
import sys

from wave_lsp.lsp.features.base import import_off_loop


def test_lazy_imports_leave_their_objects_frozen() -> None:
    sys.modules.pop("colorsys", None)
    gc.unfreeze()
    assert gc.get_freeze_count() == 0
    asyncio.run(import_off_loop("colorsys"))
    assert "colorsys" in sys.modules
    assert gc.get_freeze_count() > 1000  # the process's objects, the new module's among them
