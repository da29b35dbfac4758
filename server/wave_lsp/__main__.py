"""``python -m wave_lsp`` runs the ``wave`` command line."""

from wave_lsp.cli.console import wave

wave()
