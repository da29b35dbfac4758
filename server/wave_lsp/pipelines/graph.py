"""Checks of a pipeline's task graph: unknown or duplicate tasks, dependency cycles, and inputs
taken from tasks that are not dependencies or do not produce the named output."""

from __future__ import annotations

from graphlib import CycleError, TopologicalSorter

from wave_lsp.config.model_errors import did_you_mean
from wave_lsp.config.problems import DataProblem
from wave_lsp.pipelines.models import Pipeline


def _ancestors(pipeline: Pipeline) -> dict[str, set[str]]:
    direct = {t.id: set(t.dependencies) for t in pipeline.tasks}
    closure: dict[str, set[str]] = {}

    def visit(task_id: str, trail: frozenset[str]) -> set[str]:
        if task_id in closure:
            return closure[task_id]
        found: set[str] = set()
        for dep in direct.get(task_id, set()):
            if dep in trail:
                continue  # a cycle, reported separately
            found |= {dep} | visit(dep, trail | {dep})
        closure[task_id] = found
        return found

    for task_id in direct:
        visit(task_id, frozenset({task_id}))
    return closure


def check_pipeline_graph(pipeline: Pipeline, root: tuple[str | int, ...]) -> list[DataProblem]:
    """Problems of the task graph, located under ``root`` (the pipeline's path in its file)."""
    problems: list[DataProblem] = []
    ids = [t.id for t in pipeline.tasks]
    seen: set[str] = set()
    for index, task in enumerate(pipeline.tasks):
        if task.id in seen:
            problems.append(
                DataProblem(
                    (*root, "tasks", index, "id"),
                    f"duplicate task id '{task.id}'",
                    "duplicate-task",
                    "give each task its own id",
                )
            )
        seen.add(task.id)

    known = set(ids)
    for index, task in enumerate(pipeline.tasks):
        task_loc = (*root, "tasks", index)
        for dep_index, dep in enumerate(task.dependencies):
            if dep == task.id:
                problems.append(
                    DataProblem(
                        (*task_loc, "dependencies", dep_index),
                        f"task '{task.id}' depends on itself",
                        "dependency-cycle",
                        "remove it from its own dependencies",
                    )
                )
            elif dep not in known:
                suggestion = did_you_mean(dep, known)
                problems.append(
                    DataProblem(
                        (*task_loc, "dependencies", dep_index),
                        f"task '{task.id}' depends on unknown task '{dep}'",
                        "unknown-task",
                        f"did you mean '{suggestion}'?"
                        if suggestion
                        else "known tasks: " + ", ".join(ids),
                    )
                )

    graph = {t.id: [d for d in t.dependencies if d in known and d != t.id] for t in pipeline.tasks}
    try:
        TopologicalSorter(graph).prepare()
    except CycleError as error:
        cycle: list[str] = list(error.args[1])
        # graphlib lists the cycle ending where it started; report it from the first task in
        # file order, at that task's `dependencies` key.
        first = min(cycle[:-1], key=ids.index)
        start = cycle.index(first)
        ordered = cycle[start:-1] + cycle[:start] + [first]
        ordered.reverse()  # graphlib walks dependants -> dependencies; show task -> dependency
        index = ids.index(first)
        problems.append(
            DataProblem(
                (*root, "tasks", index, "dependencies"),
                "dependency cycle: " + " -> ".join(ordered),
                "dependency-cycle",
                "remove one of these dependencies",
                on_key=True,
            )
        )

    ancestors = _ancestors(pipeline)
    by_id = {t.id: t for t in pipeline.tasks}
    for index, task in enumerate(pipeline.tasks):
        for input_index, task_input in enumerate(task.inputs):
            if task_input.from_task is None:
                continue
            loc = (*root, "tasks", index, "inputs", input_index, "from_task")
            source = by_id.get(task_input.from_task)
            if source is None:
                suggestion = did_you_mean(task_input.from_task, known)
                problems.append(
                    DataProblem(
                        loc,
                        f"input '{task_input.name}' of task '{task.id}' comes from unknown "
                        f"task '{task_input.from_task}'",
                        "unknown-task",
                        f"did you mean '{suggestion}'?"
                        if suggestion
                        else "known tasks: " + ", ".join(ids),
                    )
                )
                continue
            if source.id not in ancestors.get(task.id, set()):
                problems.append(
                    DataProblem(
                        loc,
                        f"input '{task_input.name}' of task '{task.id}' comes from task "
                        f"'{source.id}', which is not among its dependencies",
                        "input-not-dependency",
                        f"add '{source.id}' to the dependencies of '{task.id}'",
                    )
                )
            output = task_input.output_name or task_input.name
            if output not in source.output_names():
                output_loc = (
                    (*root, "tasks", index, "inputs", input_index, "output_name")
                    if task_input.output_name
                    else loc
                )
                suggestion = did_you_mean(output, source.output_names())
                problems.append(
                    DataProblem(
                        output_loc,
                        f"task '{source.id}' has no output '{output}'",
                        "unknown-output",
                        f"did you mean '{suggestion}'?"
                        if suggestion
                        else "its outputs: " + ", ".join(sorted(source.output_names())),
                    )
                )
    return problems
