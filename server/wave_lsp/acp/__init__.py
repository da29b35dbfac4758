"""The Agent Client Protocol front end (``wave acp``): the only package that imports ``acp``."""
