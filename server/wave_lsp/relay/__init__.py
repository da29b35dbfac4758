"""The relay: messages exchanged between Wave's parts and the coding agent."""
