"""Every request gets exactly one answer: a JSON-RPC message is checked before pygls sees it, and
what pygls cannot take is answered here with the error JSON-RPC names.

- ``-32700`` parse error (id ``null``): the body is not JSON;
- ``-32600`` invalid request: not an object, no ``"jsonrpc": "2.0"``, a method that is not a
  string, an id that is neither a number nor a string, or a request after ``shutdown``;
- ``-32602`` invalid params: the params do not fit the method (an array or a string where an
  object belongs, a missing field, a negative position, a bogus diagnostic), naming the field.
"""

from __future__ import annotations

import json
from typing import Any

PARSE_ERROR = -32700
INVALID_REQUEST = -32600
INVALID_PARAMS = -32602
INTERNAL_ERROR = -32603


def error_response(message_id: Any, code: int, message: str) -> str:
    return json.dumps(
        {"jsonrpc": "2.0", "id": message_id, "error": {"code": code, "message": message}}
    )


def request_id(message: Any) -> tuple[bool, Any]:
    """``(is a request, its id)``: a valid id is a string or a number (not a boolean)."""
    if not isinstance(message, dict) or "id" not in message or "method" not in message:
        return False, None
    value = message["id"]
    valid = isinstance(value, str) or (
        isinstance(value, int | float) and not isinstance(value, bool)
    )
    return True, value if valid else None


def invalid(message: Any) -> str | None:
    """Why ``message`` is not a JSON-RPC 2.0 message (``None``: it is one)."""
    if not isinstance(message, dict):
        kind = "an array (batches are not used by LSP)" if isinstance(message, list) else (
            f"a {type(message).__name__}")  # fmt: skip
        return f"a message must be a JSON object, not {kind}"
    if message.get("jsonrpc") != "2.0":
        return 'a message must have "jsonrpc": "2.0"'
    if "method" in message:
        if not isinstance(message["method"], str):
            return "a method must be a string"
        is_request, identifier = request_id(message)
        if is_request and identifier is None:
            return "a request id must be a string or a number"
        params = message.get("params")
        if params is not None and not isinstance(params, dict | list):
            return f"params must be an object or an array, not a {type(params).__name__}"
        return None
    if "id" in message and ("result" in message or "error" in message):
        return None
    return "a message must have a method (a request or a notification) or a result or error"


def params_problem(error: BaseException) -> str:
    """What is wrong with a request's params, from the validation error behind pygls' refusal,
    naming each field (``params.position.line: ...``)."""
    cause = error.__cause__ or error
    try:
        from cattrs import transform_error

        details = transform_error(cause, path="$")
    except Exception:  # not a cattrs error: say what there is
        details = [str(cause)]
    details = [d.replace(" @ $.", " @ ").replace(" @ $", " @ the message") for d in details]
    shown = "; ".join(details[:5]) + (f" (and {len(details) - 5} more)" if len(details) > 5 else "")
    return f"invalid params: {shown or cause}"
