"""The child side of the cold-start figure: one fresh interpreter, one contender, one batch.

Run as ``python -m bench.cold_child tripline|reference URL`` with one SQS event as JSON on stdin;
prints the seconds from before the handler's import to after its first answer as the last line
of stdout. It imports only the standard library before the clock starts, so that whatever the
contender imports is counted against it.
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Callable
from typing import Any


def _first_handler(contender: str, url: str) -> Callable[[dict[str, Any], Any], dict[str, Any]]:
    if contender == "tripline":
        os.environ["DATABASE_URL"] = url
        import app

        return app.process_events  # type: ignore[no-any-return]
    from bench.reference import reference_handler_for

    return reference_handler_for(url)


def main(contender: str, url: str) -> None:
    event = json.loads(sys.stdin.read())
    start = time.perf_counter()
    answer = _first_handler(contender, url)(event, None)
    elapsed = time.perf_counter() - start
    if answer["batchItemFailures"]:
        raise SystemExit(f"cold {contender}: the first batch reported failures: {answer}")
    print(f"{elapsed:.6f}")


if __name__ == "__main__":
    main(*sys.argv[1:3])
