#!/usr/bin/env python3
"""A stand-in for the coding-agent CLI: `claude -p --output-format stream-json --verbose
[--allowedTools A,B]` with the prompt on stdin (or after -p) — it prints the same stream of JSON lines (init, assistant text, result)
and answers the seed pipeline's three tasks: a plan, an implementation (it writes a file in its
working directory), a review. FAKE_CLAUDE_MODE=fail makes it fail; =slow makes it hang."""

import json
import os
import sys
import time
from pathlib import Path

PLAN = {
    "summary": "Add a greeting helper.",
    "technical_approach": "A small function in src/greet.py.",
    "components": [{"name": "greet", "responsibility": "format a greeting"}],
    "steps": [{"order": 1, "description": "write greet()"}],
    "testing_strategy": {"approach": "unit tests"},
    "risks": [],
}
REVIEW = {
    "summary": "Fine, but untested.",
    "verdict": "comment",
    "findings": [
        {
            "file": "src/greet.py",
            "line": 1,
            "severity": "warning",
            "category": "tests",
            "message": "greet() has no tests",
        }
    ],
}


def emit(message: dict) -> None:
    print(json.dumps(message), flush=True)


def main() -> int:
    args = sys.argv[1:]
    after = args[args.index("-p") + 1] if args.index("-p") + 1 < len(args) else "--"
    prompt = sys.stdin.read() if after.startswith("--") else after
    tools = args[args.index("--allowedTools") + 1] if "--allowedTools" in args else ""
    mode = os.environ.get("FAKE_CLAUDE_MODE", "")
    if Path("fake-mode").is_file():  # a file in the project the run copies (for server tests)
        mode = Path("fake-mode").read_text().strip()
    emit({"type": "system", "subtype": "init", "tools": tools.split(",") if tools else []})
    if mode == "slow":
        time.sleep(60)
    if mode == "fail":
        emit(
            {
                "type": "result",
                "subtype": "error_during_execution",
                "is_error": True,
                "result": "the agent crashed",
            }
        )
        return 1
    if mode == "deny":
        denial = {"tool_name": "Write", "tool_use_id": "t1",
                  "tool_input": {"file_path": "src/greet.py", "content": "x"}}  # fmt: skip
        emit({"type": "result", "subtype": "success", "is_error": False, "result": "done",
              "session_id": "s-1", "permission_denials": [denial]})  # fmt: skip
        return 0
    if mode == "log":
        with Path("calls.log").open("a") as log:
            log.write(f"{prompt[:40]!r} tools={tools}\n")
    if "Analyze" in prompt:
        answer = json.dumps(PLAN)
    elif "Implement" in prompt:
        Path("src").mkdir(exist_ok=True)
        Path("src/greet.py").write_text('def greet(name):\n    return f"Hello, {name}!"\n')
        answer = "Implemented greet() in src/greet.py."
    elif "Review" in prompt:
        answer = json.dumps(REVIEW)
    else:
        answer = "done"
    for piece in (answer[: len(answer) // 2], answer[len(answer) // 2 :]):
        emit({"type": "assistant", "message": {"content": [{"type": "text", "text": piece}]}})
    emit({"type": "result", "subtype": "success", "is_error": False, "result": answer,
          "session_id": "fake-session"})  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
