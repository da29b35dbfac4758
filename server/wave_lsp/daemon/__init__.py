"""The daemon (``wave serve``): TCP with file authentication, each user their own Wave server."""
