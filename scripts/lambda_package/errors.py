"""The one error a packaging step raises."""

from __future__ import annotations


class BuildError(RuntimeError):
    """A step of the build failed; the message says which, and what to run when that helps."""
