"""The keys of a rule file that say how its alerts behave: ``keep_firing_for``, ``repeat_every``
and ``flapping``. Each has a default that suits most rules, so most files say none of them.

Repeats are sent by the schedule, so one shorter than its period (a minute on AWS) repeats each
time it runs. ``repeat_every: never`` turns repeats off; ``flapping: false`` turns the flapping guard off (for a
rule whose every open and resolve on-call must see, however often).
"""

from __future__ import annotations

from collections.abc import Mapping

from chalicelib.domain.rules.model import AlertPolicy
from chalicelib.domain.rules.parsing.problems import RuleProblems
from chalicelib.domain.sources import LocatedMapping, yaml_kind

ALERTING_KEYS = ("keep_firing_for", "repeat_every", "flapping")
FLAPPING_KEYS = ("opens", "within")
NEVER_FLAPS = 1_000_000_000  # more opens than any window will hold


def parse_alerting(document: LocatedMapping, problems: RuleProblems) -> AlertPolicy:
    policy = AlertPolicy()
    keep = problems.duration(document.get("keep_firing_for"), "keep_firing_for")
    if keep is not None:
        policy = AlertPolicy(keep_firing_for=keep)
    return _flapping(document, problems, _repeat(document, problems, policy))


def _repeat(document: LocatedMapping, problems: RuleProblems, policy: AlertPolicy) -> AlertPolicy:
    entry = document.get("repeat_every")
    if entry is None or entry.value is None:
        return policy
    if entry.value in ("never", False):
        return AlertPolicy(policy.quiet_after, policy.keep_firing_for, None)
    every = problems.duration(entry, "repeat_every")
    if every is None:
        return policy
    return AlertPolicy(policy.quiet_after, policy.keep_firing_for, every)


def _flapping(document: LocatedMapping, problems: RuleProblems, policy: AlertPolicy) -> AlertPolicy:
    entry = document.get("flapping")
    if entry is None or entry.value is None:
        return policy
    if entry.value is False:
        return AlertPolicy(
            policy.quiet_after, policy.keep_firing_for, policy.repeat_every, NEVER_FLAPS
        )
    if not isinstance(entry.value, Mapping):
        problems.at(
            f"must be a mapping {{opens: 3, within: 1h}} or false, not {yaml_kind(entry.value)}",
            "flapping",
            entry,
        )
        return policy
    settings: LocatedMapping = entry.value
    problems.keys(settings, FLAPPING_KEYS, "flapping.")
    opens = settings.get("opens")
    count = policy.flap_opens
    if opens is not None:
        if isinstance(opens.value, bool) or not isinstance(opens.value, int) or opens.value < 1:
            problems.at("must be a whole number of at least 1", "flapping.opens", opens)
        else:
            count = opens.value
    within = problems.duration(settings.get("within"), "flapping.within") or policy.flap_within
    return AlertPolicy(
        policy.quiet_after, policy.keep_firing_for, policy.repeat_every, count, within
    )
