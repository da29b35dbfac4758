"""Inline completions: ghost text at the cursor, from the document's unsaved text (no LSP here:
``wave_lsp.lsp.features.inline`` converts)."""
