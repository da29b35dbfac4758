"""Feature objects: each owns one capability and receives the LSP events it needs from the
single registration point in :mod:`wave_lsp.lsp.setup`."""
