"""The name of Wave's section in the editor's settings (``workspace/configuration``)."""

SETTINGS_SECTION = "wave"
