"""The Wave seed's workspace: type, state, resources, mounts and processes."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import Field

from wave_lsp.config.base import WaveModel


class WorkspaceType(StrEnum):
    EPHEMERAL = "ephemeral"
    PERSISTENT = "persistent"
    SHARED = "shared"


class WorkspaceState(StrEnum):
    CREATING = "creating"
    ACTIVE = "active"
    SUSPENDED = "suspended"
    CLEANING = "cleaning"
    DELETED = "deleted"


class MountType(StrEnum):
    BIND = "bind"
    TMPFS = "tmpfs"
    VOLUME = "volume"


class ResourceLimits(WaveModel):
    max_memory: int = Field(default=0, ge=0)
    """Bytes; 0 for no limit."""
    max_cpu: int = Field(default=0, ge=0, le=100)
    """Percentage; 0 for no limit."""
    max_processes: int = Field(default=0, ge=0)
    max_disk: int = Field(default=0, ge=0)
    """Bytes; 0 for no limit."""
    max_files: int = Field(default=0, ge=0)


class MountPoint(WaveModel):
    source: str
    destination: str
    type: MountType = MountType.BIND
    options: dict[str, str] = Field(default_factory=dict)
    read_only: bool = False


class ProcessInfo(WaveModel):
    pid: int
    command: str
    started_at: datetime
    exit_code: int | None = None


class Workspace(WaveModel):
    id: str
    type: WorkspaceType
    state: WorkspaceState = WorkspaceState.CREATING
    created_at: datetime
    updated_at: datetime
    expires_at: datetime | None = None
    path: str
    size: int = Field(default=0, ge=0)
    owner: str = ""
    persona: str = ""
    pipeline: str = ""
    task: str = ""
    resources: ResourceLimits = Field(default_factory=ResourceLimits)
    mounts: list[MountPoint] = Field(default_factory=list)
    processes: list[ProcessInfo] = Field(default_factory=list)
