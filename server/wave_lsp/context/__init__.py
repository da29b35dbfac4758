"""Context: what the model sees (files, conversation) and what is kept (contexts, checkpoints)."""
