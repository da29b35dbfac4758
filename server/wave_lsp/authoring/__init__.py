"""Help while writing Wave's own files (``.wave/``): where the cursor is in the YAML, what the
JSON Schema allows there, what a reference points to. No LSP here: ``wave_lsp.lsp.features.
authoring`` converts."""
