"""Every use case of the API and the triggers, bound once to the container's collaborators.

A route parses its request, makes one call here and answers; a trigger parses its records, makes
one call and returns what it gets. The services keep their collaborators as explicit keyword
arguments, so tests drive them with real adapters; the binding lives here, and only here.

Collaborators are read from the container at each call, never captured: the container builds
each on first use, and a test may swap its clock. Each service module is imported by the first
call that needs it, so a function's cold start loads its own service and no other.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from chalicelib import bootstrap, observability
from chalicelib.bound_use_cases import JsonObject
from chalicelib.housekeeping_use_cases import HousekeepingUseCases
from chalicelib.incident_use_cases import IncidentUseCases
from chalicelib.replay_use_cases import ReplayUseCases
from chalicelib.reporting_use_cases import ReportingUseCases

if TYPE_CHECKING:
    from chalicelib.domain.access import Principal
    from chalicelib.domain.messages import QueueMessage
    from chalicelib.domain.protocols import CloudEventsMessage
    from chalicelib.services.health import HealthReport
    from chalicelib.services.intake import IntakeResult


def page_body(
    items: Sequence[Any], next_cursor: str | None, view: Callable[[Any], JsonObject]
) -> JsonObject:
    """One page of a keyset-paginated list, as every list route answers it."""
    return {"items": [view(item) for item in items], "next_cursor": next_cursor}


def use_cases() -> UseCases:
    """This process's use cases, over its container (``bootstrap.container()``): what a route or
    trigger calls once it has parsed its input. Nothing is kept but the container, so this is
    as cheap as a lookup."""
    return UseCases(bootstrap.container())


class UseCases(ReportingUseCases, ReplayUseCases, HousekeepingUseCases, IncidentUseCases):
    """The use cases bound to one container's collaborators (the reading side's, KPIs, reports
    and digests, in ``reporting_use_cases``)."""

    # -- events ------------------------------------------------------------------------------

    def accept_events(self, payload: object, caller: Principal) -> IntakeResult:
        """``POST /events``: the caller may write every source the body names, or nothing is
        queued; then each item's answer, and the intake metrics. CloudEvents (the edge reads a
        ``CloudEventsMessage``) take ``services.cloudevents_intake``'s path to the same end."""
        from chalicelib.domain.protocols import CloudEventsMessage
        from chalicelib.services.access import written_sources
        from chalicelib.services.intake import accept_events

        container = self._container
        if isinstance(payload, CloudEventsMessage):
            result = self._accept_cloudevents(payload, caller)
        else:
            caller.check_sources(written_sources(payload))
            result = accept_events(
                payload,
                queue=container.events_queue,
                clock=container.clock,
                new_id=container.new_id,
                limits=container.settings.limits,
                sources=container.sources,
            )
        observability.record_intake(result)
        return result

    def _accept_cloudevents(self, message: CloudEventsMessage, caller: Principal) -> IntakeResult:
        from chalicelib.services.cloudevents_intake import accept_cloudevents

        container = self._container
        return accept_cloudevents(
            message,
            caller=caller,
            routes=container.cloudevent_routes,
            queue=container.events_queue,
            clock=container.clock,
            new_id=container.new_id,
            limits=container.settings.limits,
            sources=container.sources,
        )

    def list_events(self, params: Mapping[str, str]) -> JsonObject:
        from chalicelib.services.reads import list_events

        page = list_events(params, reader=self._container.reader, **self._page_limits())
        return page_body(page.items, page.next_cursor, lambda view: view.as_dict())

    def get_event(self, source: str, event_id: str, caller: Principal) -> JsonObject:
        from chalicelib.services.reads import get_event

        return get_event(source, event_id, reader=self._container.reader, caller=caller).as_dict()

    def accept_segment_calls(
        self, body: object, call_type: str | None, caller: Principal
    ) -> IntakeResult:
        """``POST /v1/batch`` (``call_type`` None) and ``/v1/<call_type>``: Segment's calls for
        the caller's one source, each queued, the rejected ones to be kept with their errors."""
        from chalicelib.services.segment_intake import accept_segment_calls

        container = self._container
        result = accept_segment_calls(
            body,
            call_type,
            caller=caller,
            queue=container.events_queue,
            clock=container.clock,
            new_id=container.new_id,
            limits=container.settings.limits,
            sources=container.sources,
        )
        observability.record_intake(result)
        return result

    def list_rejections(self, params: Mapping[str, str], caller: Principal) -> JsonObject:
        """``GET /rejections``: rejected items with their errors, newest first; an ingest key's
        own sources only."""
        from chalicelib.services.rejections import list_rejections

        page = list_rejections(
            params, reader=self._container.rejections, caller=caller, **self._page_limits()
        )
        return page_body(page.items, page.next_cursor, lambda view: view.as_dict())

    # -- uploads -----------------------------------------------------------------------------

    def grant_upload(self, payload: object, caller: Principal) -> JsonObject:
        """``POST /uploads``: the caller may write the source the body names."""
        from chalicelib.services.access import written_sources
        from chalicelib.services.uploads import grant_upload

        caller.check_sources(written_sources(payload))
        container = self._container
        grant = grant_upload(
            payload,
            sources=container.sources,
            objects=container.objects,
            uploads=container.uploads,
            clock=container.clock,
            new_id=container.new_upload_id,
            limits=container.upload_limits,
        )
        return grant.as_dict()

    def list_uploads(self, params: Mapping[str, str]) -> JsonObject:
        from chalicelib.domain.uploads import upload_view
        from chalicelib.services.uploads import list_uploads

        page = list_uploads(params, uploads=self._container.uploads, **self._page_limits())
        return page_body(page.items, page.next_cursor, lambda item: upload_view(*item))

    def describe_upload(self, upload_id: str, caller: Principal) -> JsonObject:
        from chalicelib.services.uploads import describe_upload

        container = self._container
        return describe_upload(
            upload_id,
            uploads=container.uploads,
            objects=container.objects,
            limits=container.upload_limits,
            caller=caller,
        )

    def upload_origin(self) -> str | None:
        """The origin the console's uploads are sent to, for its ``connect-src``; ``None`` when
        the bucket cannot sign one now. Whatever stops the signing (without credentials
        botocore's presigner fails with an ``AttributeError``) must not take the page down: it
        is served without the bucket, an upload from it fails, and the next page load retries."""
        try:
            return self._container.upload_origin
        except Exception as error:  # any failure: the page is served without the bucket
            observability.logger().warning(
                "upload origin unknown", extra={"error": f"{type(error).__name__}: {error}"}
            )
            return None

    def fan_out_uploads(self, messages: Sequence[QueueMessage]) -> JsonObject:
        """The uploads queue's batch: each landed object cut into chunk tasks."""
        from chalicelib.services.fanout import fan_out_uploads

        container = self._container
        outcome = fan_out_uploads(
            messages, ports=container.upload_ports, settings=container.fan_out_settings
        )
        return self._answer_batch(messages, outcome.failed_message_ids)

    def process_rows(self, messages: Sequence[QueueMessage]) -> JsonObject:
        """The rows queue's batch: each chunk task's rows stored and judged."""
        from chalicelib.services.chunks import process_chunks

        container = self._container
        outcome = process_chunks(
            messages, ports=container.upload_ports, settings=container.chunk_settings
        )
        return self._answer_batch(messages, outcome.failed_message_ids)

    # -- rules -------------------------------------------------------------------------------

    def list_rules(self) -> JsonObject:
        from chalicelib.services.rules import list_rules

        container = self._container
        return {"items": list_rules(book=container.rulebook, reader=container.rule_reader)}

    def dry_run_rule(self, payload: object) -> JsonObject:
        from chalicelib.services.dry_run import dry_run_rule

        container = self._container
        return dry_run_rule(
            payload,
            pipeline=container.pipeline,
            reader=container.rule_reader,
            clock=container.clock,
            limits=container.settings.limits,
            parse_rule=container.parse_rule,
        )

    def list_known_errors(self) -> JsonObject:
        """``GET /known-errors``: each known error with its matches and remedies' outcomes."""
        from chalicelib.services.known_errors import list_known_errors

        container = self._container
        return list_known_errors(book=container.known_errors, store=container.known_error_store)

    # -- silences ----------------------------------------------------------------------------

    def create_silence(self, payload: object) -> JsonObject:
        from chalicelib.services.silences import create_silence

        container = self._container
        silence = create_silence(
            payload,
            store=container.silences,
            clock=container.clock,
            new_id=container.new_id,
            book=container.rulebook,
        )
        return silence.as_dict(container.clock.now())

    def list_silences(self, params: Mapping[str, str]) -> JsonObject:
        from chalicelib.services.silences import list_silences

        container = self._container
        found = list_silences(params, store=container.silences, clock=container.clock)
        now = container.clock.now()
        return {"items": [silence.as_dict(now) for silence in found]}

    def get_silence(self, silence_id: str) -> JsonObject:
        from chalicelib.services.silences import get_silence

        container = self._container
        return get_silence(silence_id, store=container.silences).as_dict(container.clock.now())

    def expire_silence(self, silence_id: str) -> JsonObject:
        from chalicelib.services.silences import expire_silence

        container = self._container
        silence = expire_silence(silence_id, store=container.silences, clock=container.clock)
        return silence.as_dict(container.clock.now())

    # -- access and operations ---------------------------------------------------------------

    def authenticate(self, token: str | None) -> Principal | None:
        from chalicelib.services.access import authenticate

        return authenticate(token, keys=self._container.keys)

    def describe_caller(self, caller: Principal) -> JsonObject:
        """``GET /me``: the key, its role and the routes it reaches."""
        from chalicelib.services.access import describe_caller

        return describe_caller(caller)

    def record_action(
        self,
        principal: Principal | None,
        action: str,
        target: str,
        detail: Mapping[str, Any],
        *,
        origin: str | None,
    ) -> None:
        from chalicelib.services.access import record_action

        container = self._container
        record_action(
            principal,
            action,
            target,
            detail,
            audit=container.audit,
            clock=container.clock,
            origin=origin,
        )

    def list_audit(self, params: Mapping[str, str]) -> JsonObject:
        from chalicelib.services.access import list_audit

        page = list_audit(params, audit=self._container.audit, **self._page_limits())
        return page_body(page.items, page.next_cursor, lambda entry: entry.view())

    def check_health(self) -> HealthReport:
        from chalicelib.services.health import check_health

        container = self._container
        return check_health(
            {"database": container.reader.ping, "queue": container.events_queue.ping}
        )

    def migrate(self, request: Mapping[str, Any]) -> JsonObject:
        from chalicelib.services.schema import migrate

        container = self._container
        return migrate(
            request,
            schema=container.schema,
            keys=container.keys,
            audit=container.audit,
            clock=container.clock,
            book=container.rulebook,
            app_login=container.app_login,
        )

    # -- the event processor and alerts ------------------------------------------------------
    # Bound to these services' signatures as they are; the processor's unit of work and the
    # alert services are being reworked (issue 15), so their bindings stay together here.

    def process_events(self, messages: Sequence[QueueMessage]) -> JsonObject:
        """The events queue's batch: stored, judged, and the metrics of what happened."""
        from chalicelib.services.processing import process_event_messages

        container = self._container
        outcome = process_event_messages(
            messages,
            store=container.store,
            clock=container.clock,
            limits=container.settings.limits,
            pipeline=container.pipeline,
            notifier=container.notifier,
        )
        observability.record_processing(outcome)
        return self._answer_batch(messages, outcome.failed_message_ids)

    def tick(self) -> JsonObject:
        from chalicelib.services.tick import tick

        container = self._container
        return tick(
            book=container.rulebook,
            absence_state=container.absence_state,
            alerts=container.alerts,
            silences=container.silences,
            notifier=container.notifier,
            windows=container.window_state,
            clock=container.clock,
            incidents=self._watch_incidents,
        )

    def list_alerts(self, params: Mapping[str, str]) -> JsonObject:
        from chalicelib.domain.alerts import alert_view
        from chalicelib.services.alerts import list_alerts

        page = list_alerts(params, store=self._container.alerts, **self._page_limits())
        return page_body(page.items, page.next_cursor, alert_view)

    def describe_alert(self, alert_id: str) -> JsonObject:
        from chalicelib.services.alerts import describe_alert

        return describe_alert(alert_id, store=self._container.alerts)

    def acknowledge_alert(self, alert_id: str, payload: object, caller: Principal) -> JsonObject:
        from chalicelib.services.alerts import acknowledge_alert

        container = self._container
        return acknowledge_alert(
            alert_id,
            payload,
            store=container.alerts,
            book=container.rulebook,
            clock=container.clock,
            actor=caller.actor,
        )

    def resolve_alert(self, alert_id: str, payload: object, caller: Principal) -> JsonObject:
        from chalicelib.services.alerts import resolve_alert

        container = self._container
        return resolve_alert(
            alert_id,
            payload,
            store=container.alerts,
            book=container.rulebook,
            clock=container.clock,
            actor=caller.actor,
        )

    def enqueue_pagerduty_event(self, payload: object) -> JsonObject:
        """``POST /v2/enqueue``: a PagerDuty Events API v2 event, its key in the body
        (``routing_key``), carried out on the alerts; PagerDuty's answer."""
        from chalicelib.services.pagerduty import PagerDutyPorts, enqueue_event

        c = self._container
        done = enqueue_event(payload, ports=PagerDutyPorts(c.keys, c.alerts, c.clock, c.notifier))
        return {"status": "success", "message": "Event processed", "dedup_key": done.dedup_key}
