"""The built-in coding agent: a loop over any provider with tools, every call governed."""
