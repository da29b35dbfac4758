"""The arguments of the ``wave.*`` commands as typed models: one per command shape, parsed from
the first argument of ``workspace/executeCommand``. A wrong argument is an ``InvalidParams``
error naming the field and what it must be."""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from wave_lsp.lsp.features.base import CommandError


class InvalidArguments(CommandError):
    """A command's arguments are wrong (JSON-RPC ``InvalidParams``)."""


class Arguments(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class Position(Arguments):
    line: int = Field(ge=0)
    character: int = Field(default=0, ge=0)


class Span(Arguments):
    start: Position
    end: Position


class FileArguments(Arguments):
    """A file, as a URI or a path relative to the workspace folder."""

    uri: str | None = Field(default=None, min_length=1)
    path: str | None = Field(default=None, min_length=1)

    def target(self) -> str:
        target = self.uri or self.path
        if target is None:
            raise InvalidArguments('give a file: {"uri": "file:///..."} or {"path": "src/app.py"}')
        return target


class NameArguments(Arguments):
    name: str = Field(min_length=1)


class RuleTestArguments(Arguments):
    uri: str = Field(min_length=1)
    """The rules file (or config.yaml) whose rules' examples run."""
    id: str | None = Field(default=None, min_length=1)
    """One rule (all of the file's when not given)."""


class CheckpointArguments(Arguments):
    id: str = Field(min_length=1)
    rollback: bool = False


class NoArguments(Arguments):
    uri: str | None = None
    """The document the request is about (which workspace folder), when several are open."""


class AskArguments(Arguments):
    prompt: str = Field(min_length=1)
    uri: str | None = None
    range: Span | None = None


class AgentArguments(Arguments):
    instruction: str = Field(min_length=1)
    uri: str | None = None
    """The document the instruction is about (its workspace folder is the agent's)."""
    range: Span | None = None


class ShowArguments(Arguments):
    uri: str | None = None
    range: Span | None = None


Model = TypeVar("Model", bound=Arguments)


def parse(model: type[Model], arguments: tuple[Any, ...], command: str) -> Model:
    """``arguments[0]`` as ``model``; a bare string is taken as the model's only required
    field (``wave.persona.select "reviewer"``)."""
    data: Any = arguments[0] if arguments else {}
    if isinstance(data, str):
        required = [n for n, f in model.model_fields.items() if f.is_required()]
        names = required or list(model.model_fields)
        data = {names[0]: data}
    if data is None:
        data = {}
    try:
        return model.model_validate(data)
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "the arguments"
        fields = ", ".join(model.model_fields)
        raise InvalidArguments(
            f"{command}: {where}: {first['msg'].lower()} (arguments: {{{fields}}})"
        ) from error
