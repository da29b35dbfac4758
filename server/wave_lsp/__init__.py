"""Wave LSP: governed, multi-provider AI assistance for any editor, as a language server."""

__version__ = "0.1.0"
