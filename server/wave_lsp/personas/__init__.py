"""Personas: who the AI acts as, with which permissions, constraints and tools."""
