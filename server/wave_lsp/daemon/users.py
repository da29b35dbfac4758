"""The daemon's users (``security.authentication.type: file``): a YAML file naming each user, a
hash of their token (scrypt, from the standard library: tokens are never stored) and the
personas they may use. Errors name the file, line and column.

.. code-block:: yaml

    users:
      alice:
        token_hash: "scrypt$16384$8$1$<salt>$<digest>"   # from `wave token alice`
        personas: [developer, reviewer]
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from pathlib import Path

from pydantic import Field, ValidationError

from wave_lsp.config.base import WaveModel
from wave_lsp.config.model_errors import problems_from_validation_error
from wave_lsp.config.problems import FILE_START, Span
from wave_lsp.config.yaml_source import YamlSyntaxError, parse_yaml

SCRYPT = (2**14, 8, 1)
HASH_PATTERN = r"^scrypt\$\d+\$\d+\$\d+\$[0-9a-f]{32}\$[0-9a-f]{64}$"


class User(WaveModel):
    token_hash: str = Field(pattern=HASH_PATTERN)
    """``scrypt$N$r$p$salt$digest`` (hex), as ``wave token NAME`` prints it."""
    personas: list[str] = Field(min_length=1)
    """The personas this user may use; the first is theirs by default."""


class UsersFile(WaveModel):
    users: dict[str, User] = Field(min_length=1)


class UsersError(Exception):
    """The users file cannot be used: the message names file, line and column."""


def new_token() -> str:
    return secrets.token_urlsafe(32)


def hash_token(token: str, salt: bytes | None = None) -> str:
    n, r, p = SCRYPT
    salt = salt or os.urandom(16)
    digest = hashlib.scrypt(token.encode(), salt=salt, n=n, r=r, p=p, dklen=32)
    return f"scrypt${n}${r}${p}${salt.hex()}${digest.hex()}"


def verify(token: str, hashed: str) -> bool:
    """Whether ``token`` is the one ``hashed`` was made from (in constant time)."""
    try:
        _, n, r, p, salt, digest = hashed.split("$")
        made = hashlib.scrypt(token.encode(), salt=bytes.fromhex(salt), n=int(n), r=int(r),
                              p=int(p), dklen=len(digest) // 2)  # fmt: skip
    except (ValueError, MemoryError):
        return False
    return hmac.compare_digest(made.hex(), digest)


def load_users(path: Path) -> UsersFile:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        why = error.strerror or error
        raise UsersError(f"{path}: cannot read the users file: {why}") from error
    try:
        document = parse_yaml(text, str(path))
    except YamlSyntaxError as error:
        raise UsersError(error.problem.format()) from error
    try:
        return UsersFile.model_validate(document.data)
    except ValidationError as error:

        def locate(loc: tuple[object, ...], key: bool) -> tuple[str, Span]:
            where = document.deepest(loc)
            span = document.key_span(where) if key else document.value_span(where)
            return str(path), span if where else FILE_START

        problems = problems_from_validation_error(error, UsersFile, document.data, locate)
        raise UsersError("\n".join(p.format() for p in problems)) from error
