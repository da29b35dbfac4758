"""detect-secrets' plugins as sources of patterns: the known secret formats (AWS, GitHub,
Slack, private keys, ...) without reimplementing them. Loaded lazily, offline, in-process."""

from __future__ import annotations

import functools
import importlib
import inspect
import pkgutil
import re


@functools.cache
def _plugins() -> dict[str, type]:
    import detect_secrets.plugins as package
    from detect_secrets.plugins.base import RegexBasedDetector

    found: dict[str, type] = {}
    for module_info in pkgutil.iter_modules(package.__path__):
        module = importlib.import_module(f"{package.__name__}.{module_info.name}")
        for name, cls in inspect.getmembers(module, inspect.isclass):
            if issubclass(cls, RegexBasedDetector) and cls is not RegexBasedDetector:
                found[name] = cls
    return found


def names() -> list[str]:
    return sorted(_plugins())


def patterns(name: str) -> list[re.Pattern[str]]:
    """The compiled patterns of the detect-secrets plugin ``name`` (e.g. 'AWSKeyDetector')."""
    plugins = _plugins()
    if name not in plugins:
        raise KeyError(
            f"unknown detector {name!r}; detect-secrets has: " + ", ".join(sorted(plugins))
        )
    return list(plugins[name]().denylist)
