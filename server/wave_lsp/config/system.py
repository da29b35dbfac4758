"""The Wave seed's system configuration: server, security (authentication, personas), pipeline,
context, workspace and the coding-agent CLI ("claude")."""

from __future__ import annotations

from datetime import timedelta
from enum import StrEnum

from pydantic import Field

from wave_lsp.config.base import WaveModel
from wave_lsp.config.units import ByteSize, Duration, Percent
from wave_lsp.context.models import CompressionType
from wave_lsp.personas.models import ToolRules


class LogLevel(StrEnum):
    DEBUG = "debug"
    INFO = "info"
    WARN = "warn"
    ERROR = "error"


class ServerSettings(WaveModel):
    host: str = "localhost"
    """Host the daemon listens on (``wave lsp --tcp`` uses it when no host is given)."""
    port: int = Field(default=8080, ge=1, le=65535)
    daemon_mode: bool = False
    log_level: LogLevel = LogLevel.INFO


class AuthenticationType(StrEnum):
    FILE = "file"
    LDAP = "ldap"
    OAUTH = "oauth"


class AuthenticationSettings(WaveModel):
    type: AuthenticationType = AuthenticationType.FILE
    config_file: str | None = None


class PersonaSettings(WaveModel):
    config_dir: str = ".wave/personas"
    """Directory of persona files, relative to the workspace root."""
    default_persona: str = "developer"
    """The persona used when none is selected; it must exist."""
    enforce_boundaries: bool = True


class SecuritySettings(WaveModel):
    authentication: AuthenticationSettings = Field(default_factory=AuthenticationSettings)
    personas: PersonaSettings = Field(default_factory=PersonaSettings)


class PipelineEngine(StrEnum):
    LOCAL = "local"
    TEMPORAL = "temporal"


class TemporalSettings(WaveModel):
    address: str = "localhost:7233"
    """The Temporal frontend (``temporal server start-dev`` listens on 7233)."""
    namespace: str = "default"
    task_queue: str = "wave"
    """Where runs are queued; `wave worker` processes take them from here."""
    heartbeat_timeout: Duration = timedelta(seconds=20)
    """A worker silent this long during a task is taken as lost: the task runs again elsewhere."""


class PipelineSettings(WaveModel):
    engine: PipelineEngine = PipelineEngine.LOCAL
    """Where runs execute: in the process that starts them, or durably on Temporal (runs
    survive a closed editor or a crash; `wave worker` processes run the tasks)."""
    temporal: TemporalSettings = Field(default_factory=TemporalSettings)
    max_concurrent: int = Field(default=4, ge=1)
    """How many pipeline runs may be in progress at once."""
    default_timeout: Duration = timedelta(minutes=30)
    """Timeout of a task that names none."""
    workspace_cleanup: Duration = timedelta(hours=1)


class ContextSettings(WaveModel):
    max_size: ByteSize = 100_000_000
    compaction_threshold: Percent = 80.0
    persistence_enabled: bool = True
    """Whether the session's conversation is kept on disk (under ``storage_dir``) across
    restarts of the server."""
    storage_dir: str = "~/.local/state/wave/contexts"
    compression: CompressionType = CompressionType.LZ4
    """How a persisted context is compressed on disk: ``none``, ``gzip`` or ``lz4``."""
    session_ttl: Duration = timedelta(days=7)
    """How long a conversation is kept after its last message (its ``expires_at``)."""


class IsolationType(StrEnum):
    NAMESPACE = "namespace"
    CHROOT = "chroot"
    SIMPLE = "simple"


class WorkspaceSettings(WaveModel):
    base_dir: str = "~/.cache/wave/workspaces"
    isolation_type: IsolationType = IsolationType.SIMPLE
    cleanup_delay: Duration = timedelta(minutes=5)


class AgentChoice(StrEnum):
    AUTO = "auto"
    """Claude Code when ``binary_path`` is found, else the built-in agent."""
    CLAUDE_CODE = "claude-code"
    BUILTIN = "builtin"


class ClaudeSettings(WaveModel):
    binary_path: str = "claude"
    """The coding-agent CLI: a path, or a name looked up on PATH."""
    agent: AgentChoice = AgentChoice.AUTO
    """What runs ``claude-code`` tasks: Claude Code, the built-in agent on the configured
    provider, or Claude Code when it is installed and the built-in agent otherwise."""
    timeout: Duration = timedelta(minutes=10)
    max_retries: int = Field(default=3, ge=0, le=10)
    workspace_dir: str = "~/.cache/wave/claude"


class AgentSettings(WaveModel):
    """The built-in agent's limits and approval rules (a persona's own rules come first)."""

    max_steps: int = Field(default=30, ge=1, le=1000)
    """Model calls in one run."""
    max_time: Duration = timedelta(minutes=15)
    max_tokens: int = Field(default=200_000, ge=1)
    """Prompt and answer tokens of all the run's model calls together."""
    command_timeout: Duration = timedelta(minutes=2)
    """The longest a ``run_command`` call may take (less when the persona's limit is lower)."""
    max_result_chars: int = Field(default=20_000, ge=100)
    """A tool result longer than this is cut, with a note saying so."""
    tool_rules: ToolRules = Field(default_factory=ToolRules)


class CompletionSettings(WaveModel):
    """Inline completions (ghost text as you type, ``textDocument/inlineCompletion``)."""

    enabled: bool = True
    model: str | None = None
    """``provider:model`` for completions (a small, fast one); the session's model when unset."""
    languages: list[str] | None = None
    """The language ids it runs for (``python``, ``typescript``, ...); every language when unset."""
    debounce_ms: int = Field(default=75, ge=0, le=2000)
    """How long a typed (automatic) request waits for the next keystroke before asking the
    model; an invoked one does not wait."""
    max_tokens: int = Field(default=96, ge=1, le=2048)
    """The longest suggestion, in tokens."""
    context_tokens: int = Field(default=1500, ge=64, le=32_000)
    """What a request carries: the text before and after the cursor and snippets of other open
    documents, together."""
    other_documents: int = Field(default=2, ge=0, le=10)
    """Snippets from this many other open documents (the most similar to the cursor's code)."""


class SystemConfiguration(WaveModel):
    """The Wave seed's system configuration."""

    version: str = Field(default="1.0", pattern=r"^\d+\.\d+$")
    server: ServerSettings = Field(default_factory=ServerSettings)
    security: SecuritySettings = Field(default_factory=SecuritySettings)
    pipeline: PipelineSettings = Field(default_factory=PipelineSettings)
    context: ContextSettings = Field(default_factory=ContextSettings)
    workspace: WorkspaceSettings = Field(default_factory=WorkspaceSettings)
    claude: ClaudeSettings = Field(default_factory=ClaudeSettings)
    agent: AgentSettings = Field(default_factory=AgentSettings)
    completion: CompletionSettings = Field(default_factory=CompletionSettings)
