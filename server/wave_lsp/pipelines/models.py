"""The Wave seed's pipeline definition: metadata, tasks (inputs/outputs, dependencies, prompt
templates, mounts, tools, timeouts, retries), execution settings and notifications."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import Field, model_validator

from wave_lsp.config.base import WaveModel
from wave_lsp.config.units import Duration
from wave_lsp.workspaces.models import MountType, WorkspaceType

ID_PATTERN = r"^[a-z0-9][a-z0-9_-]*$"


class InputType(StrEnum):
    TEXT = "text"
    JSON = "json"
    FILE = "file"
    FILE_LIST = "file_list"
    NUMBER = "number"
    BOOLEAN = "boolean"


class OutputType(StrEnum):
    TEXT = "text"
    JSON = "json"
    FILE = "file"
    FILE_LIST = "file_list"


class TaskType(StrEnum):
    CLAUDE_CODE = "claude-code"
    """The coding-agent CLI, run as a subprocess."""
    LLM = "llm"
    """A prompt through the provider layer."""
    SHELL = "shell"
    """A command of the persona's allowed tools."""
    VALIDATE = "validate"
    """The validation engine over files or an output."""
    AGENT = "agent"
    """The built-in agent: any provider, with tools, as the task's persona."""


PROMPTED_TASK_TYPES = frozenset({TaskType.CLAUDE_CODE, TaskType.LLM, TaskType.AGENT})

IMPLICIT_OUTPUTS: dict[TaskType, frozenset[str]] = {
    TaskType.CLAUDE_CODE: frozenset({"output", "changed_files"}),
    TaskType.LLM: frozenset({"output"}),
    TaskType.SHELL: frozenset({"output", "exit_code"}),
    TaskType.VALIDATE: frozenset({"output", "report"}),
}
"""Outputs every task of a type produces without declaring them: its text, and for the
coding agent the files it changed (the seed's review task reads ``changed_files``)."""


class TaskInput(WaveModel):
    name: str
    type: InputType = InputType.TEXT
    required: bool = True
    description: str | None = None
    from_task: str | None = None
    """Take the value from this task's output (the task must be a dependency)."""
    output_name: str | None = None
    """Which output of ``from_task``; defaults to this input's name."""

    @model_validator(mode="after")
    def _output_needs_task(self) -> TaskInput:
        if self.output_name is not None and self.from_task is None:
            raise ValueError(
                f"input '{self.name}' names output_name '{self.output_name}' but no from_task"
            )
        return self


class TaskOutput(WaveModel):
    name: str
    type: OutputType = OutputType.TEXT
    schema_: str | None = Field(default=None, alias="schema")
    """A JSON Schema file name in ``.wave/schemas/`` (or a built-in) the output must match."""
    description: str | None = None


class WorkspaceMount(WaveModel):
    source: str
    destination: str
    type: MountType = MountType.BIND
    read_only: bool = False
    options: dict[str, str] = Field(default_factory=dict)


class Task(WaveModel):
    id: str = Field(pattern=ID_PATTERN)
    name: str | None = None
    """Display name; the id when not given."""
    type: TaskType
    persona: str | None = None
    """The persona that runs the task; the pipeline's when not given."""
    description: str | None = None
    dependencies: list[str] = Field(default_factory=list)
    inputs: list[TaskInput] = Field(default_factory=list)
    outputs: list[TaskOutput] = Field(default_factory=list)
    prompt_template: str | None = None
    """The prompt, with ``{{input_name}}`` placeholders; required for claude-code and llm."""
    command: list[str] | None = None
    """For shell tasks: the program and its arguments."""
    workspace_mounts: list[WorkspaceMount] = Field(default_factory=list)
    tools_allowed: list[str] | None = None
    """Tools the task may use; the persona's when not given. ``mcp:server`` /
    ``mcp:server__tool`` entries narrow the MCP tools; an ``llm`` task gets MCP tools only when
    it names them."""
    timeout: Duration | None = None
    """The task's time limit; the system's pipeline.default_timeout when not given."""
    retry_count: int = Field(default=0, ge=0, le=5)
    compensate: list[str] | None = None
    """A command (program and arguments, one of the allowed tools) that undoes what this task did
    outside the run's workspace; run, newest task first, when ``on_failure: rollback``."""

    @model_validator(mode="after")
    def _type_needs(self) -> Task:
        if self.type in PROMPTED_TASK_TYPES and not self.prompt_template:
            raise ValueError(f"a {self.type.value} task needs a prompt_template")
        if self.type is TaskType.SHELL and not self.command:
            raise ValueError("a shell task needs a command (a list: program and arguments)")
        return self

    @property
    def display_name(self) -> str:
        return self.name or self.id

    def output_names(self) -> frozenset[str]:
        return frozenset(o.name for o in self.outputs) | IMPLICIT_OUTPUTS[self.type]


class OnFailure(StrEnum):
    CONTINUE = "continue"
    STOP = "stop"
    ROLLBACK = "rollback"


class ExecutionSettings(WaveModel):
    parallel: bool = True
    max_parallel_tasks: int = Field(default=3, ge=1)
    on_failure: OnFailure = OnFailure.STOP


class WebhookNotification(WaveModel):
    type: Literal["webhook"]
    url: str
    secret: str | None = None
    """A signing secret (or env:VAR) for Standard Webhooks signatures."""


class EmailNotification(WaveModel):
    type: Literal["email"]
    recipients: list[str] = Field(min_length=1)
    smtp_host: str = "localhost"
    """The SMTP server (``${VAR}`` from the environment allowed)."""
    smtp_port: int = Field(default=25, ge=1, le=65535)
    sender: str = "wave@localhost"


class SlackNotification(WaveModel):
    type: Literal["slack"]
    channel: str
    webhook_url: str | None = None


Notification = Annotated[
    WebhookNotification | EmailNotification | SlackNotification,
    Field(discriminator="type"),
]


class Notifications(WaveModel):
    on_start: list[Notification] = Field(default_factory=list)
    on_complete: list[Notification] = Field(default_factory=list)
    on_failure: list[Notification] = Field(default_factory=list)


class PipelineMetadata(WaveModel):
    created_by: str | None = None
    created_at: datetime | None = None
    tags: list[str] = Field(default_factory=list)


class Pipeline(WaveModel):
    """The Wave seed's pipeline definition."""

    id: str = Field(pattern=r"^[a-z0-9-]+$")
    name: str
    version: str = Field(default="1.0", pattern=r"^\d+\.\d+$")
    description: str | None = None
    metadata: PipelineMetadata = Field(default_factory=PipelineMetadata)
    persona: str | None = None
    """The persona of tasks that name none; the system's default persona when not given."""
    workspace: WorkspaceType = WorkspaceType.EPHEMERAL
    tasks: list[Task] = Field(min_length=1)
    execution: ExecutionSettings = Field(default_factory=ExecutionSettings)
    notifications: Notifications = Field(default_factory=Notifications)

    def user_inputs(self) -> list[dict[str, object]]:
        """The inputs a user gives to run it (not those fed from another task), each once."""
        inputs: dict[str, dict[str, object]] = {
            i.name: {"name": i.name, "type": i.type.value, "required": i.required}
            for t in self.tasks
            for i in t.inputs
            if i.from_task is None
        }
        return list(inputs.values())

    def task(self, task_id: str) -> Task | None:
        return next((t for t in self.tasks if t.id == task_id), None)


class PipelineFile(WaveModel):
    """A file of ``.wave/pipelines/``: one ``pipeline:`` document."""

    pipeline: Pipeline
