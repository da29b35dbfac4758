"""Which tool calls an agent may make without asking: rules in Claude Code's shape.

A rule is ``Tool`` (every call of the tool) or ``Tool(specifier)``. Tools are named as Wave's
agent names them (``read_file``, ``edit_file``, ``run_command`` ...) or by Claude Code's names,
which cover several: ``Read`` (read_file, list_files, search_text), ``Edit`` (edit_file,
write_file), ``Write`` (write_file), ``Bash`` (run_command). The specifier of a file tool is a
glob over the workspace-relative path (``*`` crosses ``/``); of ``run_command`` a command
prefix ``git:*`` (the command is ``git`` or starts with ``git ``), else a glob over the command
line. MCP tools are named ``server__tool`` (or as Claude Code names them,
``mcp__server__tool``; ``mcp__server`` covers all of a server's tools). Rule lists are checked
deny first, then ask, then allow, the persona's before the configuration's; the first match
decides. With no match, reading tools and ``check`` are
allowed, edits are allowed (they become a proposal the user approves), commands are asked for,
MCP tools are allowed when their server marks them read-only and asked for otherwise.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from fnmatch import fnmatchcase

from wave_lsp.personas.models import ToolRules

READING_TOOLS = frozenset({"read_file", "list_files", "search_text", "check"})
EDITING_TOOLS = frozenset({"edit_file", "write_file"})
ALIASES: dict[str, frozenset[str]] = {
    "Read": frozenset({"read_file", "list_files", "search_text"}),
    "Glob": frozenset({"list_files"}),
    "Grep": frozenset({"search_text"}),
    "Edit": EDITING_TOOLS,
    "MultiEdit": frozenset({"edit_file"}),
    "Write": frozenset({"write_file"}),
    "Bash": frozenset({"run_command"}),
}
_RULE = re.compile(r"^(?P<tool>[A-Za-z_][A-Za-z0-9_-]*)(?:\((?P<spec>.+)\))?$")


class Verdict(StrEnum):
    ALLOW = "allow"
    ASK = "ask"
    DENY = "deny"


@dataclass(frozen=True, slots=True)
class Rule:
    tool: str
    specifier: str | None
    text: str

    @classmethod
    def parse(cls, text: str) -> Rule:
        match = _RULE.match(text.strip())
        if match is None:
            raise ValueError(f"'{text}' is not a tool rule: write Tool or Tool(specifier)")
        return cls(match.group("tool"), match.group("spec"), text.strip())

    def names(self, tool: str) -> bool:
        if tool == self.tool or tool in ALIASES.get(self.tool, ()):
            return True
        if "__" in tool and self.tool.startswith("mcp__"):  # Claude Code's names of MCP tools
            named = self.tool.removeprefix("mcp__")
            return tool == named or ("__" not in named and tool.startswith(named + "__"))
        return False

    def matches(self, tool: str, target: str) -> bool:
        if not self.names(tool):
            return False
        if self.specifier is None or self.specifier in ("*", "**"):
            return True
        spec = self.specifier
        if tool == "run_command":
            if spec.endswith(":*"):
                prefix = spec[:-2]
                return target == prefix or target.startswith(prefix + " ")
            return fnmatchcase(target, spec)
        path = target.removeprefix("./")
        return fnmatchcase(path, spec.removeprefix("./")) or fnmatchcase(path, spec + "/*")


@dataclass(frozen=True, slots=True)
class Decision:
    verdict: Verdict
    rule: str = ""
    """The rule that decided (empty: the default for the tool)."""


class ApprovalPolicy:
    """Rule sets in order of precedence (the persona's, then the configuration's)."""

    def __init__(self, rule_sets: Sequence[ToolRules], *, edits: Verdict | None = None) -> None:
        self.edits = edits or Verdict.ALLOW
        """What an edit no rule names gets: allowed where the changes become a proposal,
        asked where they are written once approved (ACP)."""
        self.lists: dict[Verdict, list[Rule]] = {verdict: [] for verdict in Verdict}
        for rules in rule_sets:
            self.lists[Verdict.DENY] += [Rule.parse(text) for text in rules.deny]
            self.lists[Verdict.ASK] += [Rule.parse(text) for text in rules.ask]
            self.lists[Verdict.ALLOW] += [Rule.parse(text) for text in rules.allow]

    def decide(self, tool: str, target: str, *, read_only: bool = False) -> Decision:
        """``read_only``: an MCP tool its server marks read-only (allowed unless a rule says
        otherwise; other MCP tools are asked for)."""
        for verdict in (Verdict.DENY, Verdict.ASK, Verdict.ALLOW):
            for rule in self.lists[verdict]:
                if rule.matches(tool, target):
                    return Decision(verdict, rule.text)
        if read_only:
            return Decision(Verdict.ALLOW)
        if tool in EDITING_TOOLS:
            return Decision(self.edits)
        if tool in READING_TOOLS:
            return Decision(Verdict.ALLOW)
        return Decision(Verdict.ASK)
