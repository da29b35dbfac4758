"""What a user builds up while working, held once and used by every front end (issue 18 builds
the rest of it here: persona, conversation, proposals, checkpoints)."""
