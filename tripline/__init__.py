"""Tripline's tools: the ``tripline`` CLI, the upload client and the local runtime.

They run on a developer's or operator's machine and import ``chalicelib``; ``chalicelib`` never
imports them, and ``make package`` ships ``app.py`` and ``chalicelib/`` only, so none of this is in
the Lambda zip.
"""
