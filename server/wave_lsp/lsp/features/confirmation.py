"""Confirmation by name of a proposal's protected paths (version control, ``.wave/``): in the
command's ``confirm`` list, or by the user answering the editor's question that names them
(``window/showMessageRequest``). Nothing protected is written without one."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from lsprotocol import types

from wave_lsp.lsp.features.base import CommandError

if TYPE_CHECKING:
    from wave_lsp.edits.proposals import Proposal
    from wave_lsp.edits.protected import WritePolicy
    from wave_lsp.lsp.server import WaveLanguageServer

APPLY = "Apply"


async def confirm_protected(
    server: WaveLanguageServer,
    proposal: Proposal,
    arguments: tuple[Any, ...],
    *,
    vcs_allowed: bool,
) -> WritePolicy:
    """The write policy for applying ``proposal``, once each protected path is confirmed; a
    :class:`CommandError` naming the paths when one is not."""
    from wave_lsp.edits.protected import WritePolicy

    policy = WritePolicy(vcs_allowed=vcs_allowed)
    protected = proposal.protected_paths()
    if not protected:
        return policy
    options = arguments[0] if arguments and isinstance(arguments[0], dict) else {}
    given = options.get("confirm")
    confirmed = {p for p in given if isinstance(p, str)} if isinstance(given, list) else set()
    missing = [p for p in protected if p not in confirmed]
    if missing and server.client_supports("window.show_message"):
        answer = await server.window_show_message_request_async(
            types.ShowMessageRequestParams(
                type=types.MessageType.Warning,
                message=(
                    f"Proposal {proposal.id} changes protected files: {', '.join(missing)} "
                    "(version control or Wave's own configuration). Apply it?"
                ),
                actions=[
                    types.MessageActionItem(title=APPLY),
                    types.MessageActionItem(title="Cancel"),
                ],
            )
        )
        if answer is not None and answer.title == APPLY:
            confirmed.update(missing)
            missing = []
    if missing:
        example = json.dumps({"id": proposal.id, "confirm": missing})
        raise CommandError(
            f"proposal {proposal.id} not applied: it changes protected files "
            f"({', '.join(missing)}) and needs them confirmed by name: {example}"
        )
    return policy.confirming(confirmed)
