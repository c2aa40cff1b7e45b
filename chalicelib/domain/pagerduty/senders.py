"""Who may send PagerDuty events: the ``routing_key`` is a Tripline API key, and its one source
is the alert's.

PagerDuty's clients send no ``Authorization`` header; the key travels in the body, where a tool's
configuration already has a place for it (Alertmanager's ``routing_key``, Grafana's "Integration
Key"). A key that writes events and names exactly one source (an ingest key made with
``tripline keys create --role ingest --source NAME``) says which source the alerts are of; the
fingerprint holds that source, so a key of another source never touches them. Every refusal is
PagerDuty's 400, naming ``routing_key``: PagerDuty answers a bad key that way too.
"""

from __future__ import annotations

from chalicelib.domain.access import Principal, split_key
from chalicelib.domain.errors import Detail
from chalicelib.domain.pagerduty.fields import problem

WRITER_ROLES = ("ingest", "operator", "admin")  # the roles that write events
CREATE_ONE = "tripline keys create --name NAME --role ingest --source SOURCE"


def well_formed(routing_key: str | None) -> bool:
    """Whether the text is a key worth looking up (``tl_<12 hex>_<32 characters>``)."""
    return routing_key is not None and split_key(routing_key) is not None


def sender_problems(routing_key: str | None, sender: Principal | None) -> list[Detail]:
    """What is wrong with the key (nothing when it is missing: the body's reading says so);
    ``sender`` is the key as the key store found it, None when unknown or revoked."""
    if routing_key is None:
        return []
    if not well_formed(routing_key):
        return [problem("routing_key", "is not a Tripline API key (tl_<id>_<secret>)")]
    if sender is None:
        return [problem("routing_key", "is not a valid Tripline API key (unknown or revoked)")]
    if sender.role not in WRITER_ROLES:
        return [
            problem(
                "routing_key",
                f"is a {sender.role} key, which cannot send events; use a key made with "
                f"`{CREATE_ONE}`",
            )
        ]
    if sender.single_source is None:
        named = ", ".join(sender.sources) or "none"
        return [
            problem(
                "routing_key",
                f"must name exactly one source, the alerts' (this key names: {named}); use a "
                f"key made with `{CREATE_ONE}`",
            )
        ]
    return []


def alert_source(sender: Principal) -> str:
    """The one source of a key ``sender_problems`` accepted."""
    source = sender.single_source
    assert source is not None  # sender_problems refused any other key
    return source
