"""The domain core knows nothing of the protocols: importing every core module loads neither
pygls, lsprotocol nor acp (ruff's TID251 enforces the same on the source); the LSP layer loads
no ACP and the ACP layer no LSP."""

from __future__ import annotations

import pkgutil
import subprocess
import sys

import wave_lsp

FRONT_ENDS = ("wave_lsp.lsp", "wave_lsp.acp", "wave_lsp.mcp")


def core_modules() -> list[str]:
    names = []
    for module in pkgutil.walk_packages(wave_lsp.__path__, "wave_lsp."):
        if not module.name.startswith((*FRONT_ENDS, "wave_lsp.__main__")):
            names.append(module.name)
    return names


def loaded_libraries(modules: list[str], libraries: tuple[str, ...]) -> str:
    code = (
        "import importlib, sys\n"
        f"for name in {modules!r}: importlib.import_module(name)\n"
        f"bad = sorted(m for m in sys.modules if m.split('.')[0] in {libraries!r})\n"
        "print(','.join(bad))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    return result.stdout.strip()


def test_core_imports_no_protocol_library() -> None:
    modules = core_modules()
    assert "wave_lsp.config.workspace" in modules
    assert loaded_libraries(modules, ("pygls", "lsprotocol", "acp", "mcp", "mcp_types")) == ""


def test_each_front_end_loads_only_its_own_protocol() -> None:
    def of(prefix: str) -> list[str]:
        return [m.name for m in pkgutil.walk_packages(wave_lsp.__path__, "wave_lsp.")
                if m.name.startswith(prefix)]  # fmt: skip

    assert "wave_lsp.acp.agent" in of("wave_lsp.acp")
    assert loaded_libraries(of("wave_lsp.acp"), ("pygls", "lsprotocol")) == ""
    assert loaded_libraries(of("wave_lsp.lsp"), ("acp",)) == ""


def test_cli_help_does_not_load_the_server() -> None:
    code = (
        "import sys\nfrom wave_lsp.cli.main import main\n"
        "try:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
        "print('pygls' in sys.modules)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip().endswith("False")


def test_ruff_bans_protocol_imports_in_the_core() -> None:
    ruff = [sys.executable, "-m", "ruff", "check", "--no-cache", "--output-format", "concise"]
    core = subprocess.run(
        [*ruff, "--stdin-filename", "server/wave_lsp/config/sneaky.py", "-"],
        input="from pygls.workspace import TextDocument\n\nTextDocument\n",
        capture_output=True,
        text=True,
        check=False,
    )
    assert "TID251" in core.stdout
    protocol_layer = subprocess.run(
        [*ruff, "--stdin-filename", "server/wave_lsp/lsp/fine.py", "-"],
        input="from pygls.workspace import TextDocument\n\nTextDocument\n",
        capture_output=True,
        text=True,
        check=False,
    )
    assert "TID251" not in protocol_layer.stdout


def test_the_protocol_layer_imports_nothing_from_the_cli() -> None:
    """`lsp/` is a front end beside `cli/`, not above it: what both need lives in the core."""
    import ast
    from pathlib import Path

    package = Path(wave_lsp.__file__).parent
    offenders = []
    for path in sorted((package / "lsp").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = (
                [node.module or ""]
                if isinstance(node, ast.ImportFrom)
                else [a.name for a in node.names]
                if isinstance(node, ast.Import)
                else []
            )
            offenders += [f"{path.name}: {n}" for n in names if n.startswith("wave_lsp.cli")]
    assert offenders == []


def test_no_module_of_the_package_is_over_about_400_lines() -> None:
    from pathlib import Path

    package = Path(wave_lsp.__file__).parent
    sizes = {
        str(path.relative_to(package)): len(path.read_text(encoding="utf-8").splitlines())
        for path in package.rglob("*.py")
    }
    assert {name: n for name, n in sizes.items() if n > 420} == {}
