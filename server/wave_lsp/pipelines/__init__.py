"""Pipelines: DAGs of tasks run by personas."""
