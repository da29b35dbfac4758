"""Logging: records go to stderr and to the client as window/logMessage. Never to stdout,
which carries the protocol."""

from __future__ import annotations

import asyncio
import logging
import sys
import threading

from lsprotocol import types
from pygls.lsp.server import LanguageServer

_LEVELS = {
    "debug": logging.DEBUG,
    "info": logging.INFO,
    "warn": logging.WARNING,
    "error": logging.ERROR,
}


def level_of(name: str | None) -> int:
    return _LEVELS.get(name or "info", logging.INFO)


def _message_type(levelno: int) -> types.MessageType:
    if levelno >= logging.ERROR:
        return types.MessageType.Error
    if levelno >= logging.WARNING:
        return types.MessageType.Warning
    if levelno >= logging.INFO:
        return types.MessageType.Info
    return types.MessageType.Log


class ClientLogHandler(logging.Handler):
    """Sends log records to the client; records from worker threads are handed to the event
    loop's thread, which owns the connection."""

    def __init__(self, server: LanguageServer) -> None:
        super().__init__()
        self.server = server
        self.loop: asyncio.AbstractEventLoop | None = None
        self._loop_thread: int | None = None

    def attach(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self._loop_thread = threading.get_ident()

    def emit(self, record: logging.LogRecord) -> None:
        if self.loop is None or self.loop.is_closed():
            return
        try:
            params = types.LogMessageParams(
                type=_message_type(record.levelno), message=self.format(record)
            )
            if threading.get_ident() == self._loop_thread:
                self.server.window_log_message(params)
            else:
                self.loop.call_soon_threadsafe(self.server.window_log_message, params)
        except Exception:  # logging must never break the server
            self.handleError(record)


def configure_logging(server: LanguageServer, level: str | None) -> ClientLogHandler:
    logger = logging.getLogger("wave_lsp")
    logger.setLevel(level_of(level))
    logger.propagate = False
    for handler in list(logger.handlers):
        logger.removeHandler(handler)
    stderr = logging.StreamHandler(sys.stderr)
    stderr.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    logger.addHandler(stderr)
    client = ClientLogHandler(server)
    client.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    logger.addHandler(client)
    logging.getLogger("pygls").setLevel(logging.WARNING)
    logging.getLogger("pygls").addHandler(stderr)
    return client


def set_level(level: str | None) -> None:
    logging.getLogger("wave_lsp").setLevel(level_of(level))
