"""Edits: code-change proposals made from model output, and how they are applied."""
