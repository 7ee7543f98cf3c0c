"""Keeps the app's console as it is without Connect.

Exporting logs puts the bridge on the root logger and may widen the root's level to the export
floor. Python and the frameworks read both: `logging.lastResort` only prints when no handler is
reachable, Flask only adds its stderr handler when none is, and a handler the app already had
would print what the widening lets through. `Console` answers, for one record, what would have
happened without Connect; the bridge and the handlers Connect finds use it.
"""

from __future__ import annotations

import functools
import logging
import logging.config
import sys
from collections.abc import Callable
from typing import Any


def logger_of(record: logging.LogRecord) -> logging.Logger:
    """The logger that made `record`, without taking logging's module lock."""
    found = logging.Logger.manager.loggerDict.get(record.name)
    return found if isinstance(found, logging.Logger) else logging.getLogger()


class Console:
    """What the console would show without Connect's handlers and the root's widening."""

    def __init__(self) -> None:
        self.connect_handlers: set[logging.Handler] = set()
        self._root_level_before: int | None = None
        self._root_level_set: int | None = None

    def widen_root(self, level: int) -> None:
        """Lowers the root's level to `level` so records below it reach the bridge, and keeps the
        handlers the app has from printing what that lets through."""
        root = logging.getLogger()
        before = root.getEffectiveLevel()
        if before <= level:
            return
        self._root_level_before, self._root_level_set = before, level
        for handler in _handlers_below_unlevelled_loggers():
            self.keep_unwidened(handler)
        root.setLevel(level)

    def keep_unwidened(self, handler: logging.Handler) -> None:
        """Makes `handler` see only the records it would have seen without the widening."""
        if self._root_level_before is not None and handler not in self.connect_handlers:
            handler.addFilter(self.created_without_widening)

    def created_without_widening(self, record: logging.LogRecord) -> bool:
        before = self._root_level_before
        if before is None or record.levelno >= before:
            return True
        root = logging.getLogger()
        if root.level != self._root_level_set:
            return True  # the app has set the root's level since: that level is the app's choice
        logger: logging.Logger | None = logger_of(record)
        # Below the old root level the record exists only if a logger on the way set a level.
        while logger is not None and logger is not root:
            if logger.level:
                return True
            logger = logger.parent
        return False

    def reaches_other_handler(self, logger: logging.Logger, levelno: int | None = None) -> bool:
        """Whether a handler that is not Connect's is reachable from `logger`, as
        `Logger.callHandlers` walks; with `levelno`, only one whose level lets it through."""
        current: logging.Logger | None = logger
        while current is not None:
            for handler in current.handlers:
                if handler not in self.connect_handlers and (
                    levelno is None or levelno >= handler.level
                ):
                    return True
            if not current.propagate:
                return False
            current = current.parent
        return False

    def let_the_app_configure_logging(self, bridge: logging.Handler) -> None:
        """Runs `basicConfig()`, `dictConfig()` and `fileConfig()` without the bridge on the
        root, as the contrib handler's own set-up does: the first does nothing while the root
        has a handler, the others would remove it. Handlers they add keep the old root level."""

        def without_the_bridge(configure: Callable[..., None]) -> Callable[..., None]:
            @functools.wraps(configure)
            def configure_without_the_bridge(*args: Any, **kwargs: Any) -> None:
                root = logging.getLogger()
                attached = bridge in root.handlers
                if attached:
                    root.removeHandler(bridge)
                try:
                    configure(*args, **kwargs)
                finally:
                    if attached and bridge not in root.handlers:
                        root.addHandler(bridge)
                    for handler in _handlers_below_unlevelled_loggers():
                        self.keep_unwidened(handler)

            return configure_without_the_bridge

        for module, name in (
            (logging, "basicConfig"),
            (logging.config, "dictConfig"),
            (logging.config, "fileConfig"),
        ):
            setattr(module, name, without_the_bridge(getattr(module, name)))

    def stand_in_for_last_resort(self, record: logging.LogRecord) -> None:
        """Prints `record` with `logging.lastResort` when Python would have without Connect."""
        last_resort = logging.lastResort
        if (
            last_resort is not None
            and record.levelno >= last_resort.level
            and self.created_without_widening(record)
            and not self.reaches_other_handler(logger_of(record))
        ):
            last_resort.handle(record)


# One per process, as the pipeline is.
CONSOLE = Console()


class ConnectConsole(logging.Handler):
    """Prints Connect's own records on stderr when no handler of the app's would print them."""

    def __init__(self, console: Console = CONSOLE) -> None:
        super().__init__()
        self._console = console

    def emit(self, record: logging.LogRecord) -> None:
        if self._console.reaches_other_handler(logger_of(record), record.levelno):
            return
        try:
            sys.stderr.write(self.format(record) + "\n")
            sys.stderr.flush()
        except Exception:
            self.handleError(record)


def _handlers_below_unlevelled_loggers() -> list[logging.Handler]:
    """Handlers on loggers whose effective level comes from the root's."""
    root = logging.getLogger()
    loggers = [root] + [
        logger for logger in list(logging.Logger.manager.loggerDict.values())
        if isinstance(logger, logging.Logger)
    ]  # fmt: skip
    handlers: list[logging.Handler] = []
    for logger in loggers:
        current: logging.Logger | None = logger
        while current is not None and current is not root and not current.level:
            current = current.parent
        if current is root:
            handlers.extend(h for h in logger.handlers if h not in handlers)
    return handlers
