"""Layered configuration: built-in < user < workspace < initializationOptions <
workspace/configuration. Mappings merge key by key; any other value (lists included) is
replaced by the higher layer's."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from wave_lsp.config.datapath import MISSING, child
from wave_lsp.config.problems import FILE_START, Span
from wave_lsp.config.yaml_source import YamlDocument


@dataclass(frozen=True)
class Layer:
    """One source of configuration: a YAML file, or settings sent by the editor."""

    name: str
    """A file path, or a label such as 'initializationOptions'."""
    data: dict[str, Any]
    document: YamlDocument | None = None

    def match_length(self, loc: tuple[Any, ...]) -> int:
        """How deep ``loc`` reaches into this layer's data (-1: not at all)."""
        if self.document is not None:
            found = self.document.deepest(loc)
            return len(found) if found or self.data else -1
        depth, node = 0, self.data
        for part in loc:
            found = child(node, part)
            if found is not MISSING:
                node, depth = found, depth + 1
        return depth if depth or not loc else -1

    def key_span(self, loc: tuple[Any, ...]) -> Span:
        if self.document is None:
            return FILE_START
        return self.document.key_span(self.document.deepest(loc))


def deep_merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = deep_merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def merge_layers(layers: list[Layer]) -> dict[str, Any]:
    merged: dict[str, Any] = {}
    for layer in layers:
        merged = deep_merge(merged, layer.data)
    return merged


def layer_for(layers: list[Layer], loc: tuple[Any, ...]) -> Layer:
    """The layer that wrote the value at ``loc``: the highest layer reaching deepest into it."""
    best, best_depth = layers[-1], -1
    for layer in layers:
        depth = layer.match_length(loc)
        if depth >= best_depth and depth >= 0:
            best, best_depth = layer, depth
    return best
