"""The local runtime's loggers, named ``local.<module>`` rather than by their import path.

Powertools' logger is named after the service, ``tripline``, so a ``tripline.local.mailbox``
logger would be its child: its lines would go out as Powertools JSON on stdout and never reach the
console's handler on stderr (``console.configure_logging``).
"""

from __future__ import annotations

import logging


def local_logger(module: str) -> logging.Logger:
    return logging.getLogger("local." + module.rpartition(".")[2])
