"""Workspaces: the directories where pipeline tasks run."""
