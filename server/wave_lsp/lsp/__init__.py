"""The protocol layer: the only package that knows LSP. It converts between protocol types and
the domain, and fans every LSP method out to small feature objects."""
