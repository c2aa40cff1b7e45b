"""The routes ``app.py`` takes from blueprints, registered in one call so it stays one screen:
the pages that need no key (``/openapi.json``, ``/docs``, ``/console``), ``/me``, the reading
side (``/kpis``, ``/reports``, ``/digests``), the operations side (incidents, known errors,
replays, metrics) and the integrators' protocols (Segment, PagerDuty). Each blueprint's module
is one hop from here."""

from __future__ import annotations

from chalice.app import Chalice, ChaliceAuthorizer

from chalicelib import (
    console_page,
    docs_page,
    operations_routes,
    protocol_routes,
    reporting_routes,
    web,
)


def register(app: Chalice, authorizer: ChaliceAuthorizer, incoming: web.RequestReader) -> None:
    app.register_blueprint(docs_page.blueprint(incoming))
    app.register_blueprint(console_page.blueprint(authorizer, incoming))
    app.register_blueprint(reporting_routes.blueprint(authorizer, incoming))
    app.register_blueprint(operations_routes.blueprint(authorizer, incoming))
    app.register_blueprint(protocol_routes.blueprint(authorizer, incoming))
