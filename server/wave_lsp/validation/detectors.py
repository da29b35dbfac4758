"""detect-secrets' plugins as sources of patterns: the known secret formats (AWS, GitHub,
Slack, private keys, ...) without reimplementing them. Loaded lazily, offline, in-process.

Importing detect-secrets costs ~170 ms here (its package pulls in `requests`), so the patterns
are also kept in the user's cache directory, keyed by the installed detect-secrets version; a
cold start of the language server then reads them from there."""

from __future__ import annotations

import contextlib
import functools
import importlib
import inspect
import json
import logging
import os
import pkgutil
import re
from importlib import metadata
from pathlib import Path

logger = logging.getLogger(__name__)


def _cache_file() -> Path | None:
    try:
        version = metadata.version("detect-secrets")
    except metadata.PackageNotFoundError:
        return None
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "wave" / f"detect-secrets-{version}-patterns.json"


def _from_plugins() -> dict[str, list[tuple[str, int]]]:
    import detect_secrets.plugins as package
    from detect_secrets.plugins.base import RegexBasedDetector

    found: dict[str, list[tuple[str, int]]] = {}
    for module_info in pkgutil.iter_modules(package.__path__):
        module = importlib.import_module(f"{package.__name__}.{module_info.name}")
        for name, cls in inspect.getmembers(module, inspect.isclass):
            if issubclass(cls, RegexBasedDetector) and cls is not RegexBasedDetector:
                found[name] = [(p.pattern, p.flags) for p in cls().denylist]
    return found


@functools.cache
def _sources() -> dict[str, list[tuple[str, int]]]:
    cache = _cache_file()
    if cache is not None and cache.is_file():
        with contextlib.suppress(OSError, ValueError, TypeError):
            data = json.loads(cache.read_text(encoding="utf-8"))
            return {name: [(p, int(f)) for p, f in items] for name, items in data.items()}
    sources = _from_plugins()
    if cache is not None:
        try:
            from wave_lsp.config.atomic import atomic_write_text

            atomic_write_text(cache, json.dumps(sources))
        except OSError as error:  # a read-only home is fine: we only lose the speed-up
            logger.debug("cannot cache detect-secrets patterns in %s: %s", cache, error)
    return sources


@functools.cache
def patterns(name: str) -> list[re.Pattern[str]]:
    """The compiled patterns of the detect-secrets plugin ``name`` (e.g. 'AWSKeyDetector')."""
    sources = _sources()
    if name not in sources:
        raise KeyError(
            f"unknown detector {name!r}; detect-secrets has: " + ", ".join(sorted(sources))
        )
    # Compiled without re.UNICODE-only flags mismatch: keep the plugin's own flags.
    return [re.compile(pattern, flags & ~re.UNICODE) for pattern, flags in sources[name]]
