"""Long-lived objects kept out of the garbage collector's scans.

Python's collector walks every tracked object of a generation when it collects it; after the
server's lazy imports and a workspace's load the oldest generation holds hundreds of thousands
of objects that live as long as the server (modules, classes, compiled rules, models), and a
full collection took 50-65 ms here (bench/inline_bench.py, measured with ``gc.callbacks``):
a pause in the middle of whatever request it fell in. Freezing them (``gc.freeze``, O(1)) moves
them to the permanent generation, which is never scanned; they are still freed by reference
counting when dropped. Called only after such loads, so what is frozen is meant to live."""

from __future__ import annotations

import gc


def freeze_long_lived() -> None:
    """Everything alive now is treated as permanent by the collector."""
    gc.freeze()
