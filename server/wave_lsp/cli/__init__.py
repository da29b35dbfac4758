"""The ``wave`` and ``wave-lsp`` command lines."""
