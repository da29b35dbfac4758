"""The Zulu Pilot seed's CodeChangeProposal."""

from __future__ import annotations

from enum import StrEnum

from pydantic import Field, model_validator

from wave_lsp.config.base import CamelModel


class ChangeType(StrEnum):
    ADD = "add"
    MODIFY = "modify"
    DELETE = "delete"


class LineNumbers(CamelModel):
    start: int = Field(ge=1)
    end: int = Field(ge=0)


class CodeChangeProposal(CamelModel):
    """A proposed change to one file, shown to the user before it is applied."""

    file_path: str = Field(min_length=1)
    change_type: ChangeType
    old_content: str | None = None
    new_content: str | None = None
    unified_diff: str
    line_numbers: LineNumbers | None = None
    backup_path: str | None = None

    @model_validator(mode="after")
    def _content_per_type(self) -> CodeChangeProposal:
        needs = {
            ChangeType.ADD: (False, True),
            ChangeType.MODIFY: (True, True),
            ChangeType.DELETE: (True, False),
        }[self.change_type]
        has = (self.old_content is not None, self.new_content is not None)
        names = ("oldContent", "newContent")
        for wanted, present, name in zip(needs, has, names, strict=True):
            if wanted and not present:
                raise ValueError(f"a '{self.change_type.value}' proposal needs {name}")
            if present and not wanted:
                raise ValueError(f"a '{self.change_type.value}' proposal has no {name}")
        return self
