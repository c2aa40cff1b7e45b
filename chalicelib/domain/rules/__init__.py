"""Rules: their model, the parser of ``rules/*.yaml``, and the engine that judges events.

- :mod:`.model`, :mod:`.templates`: a checked rule, its alert policy and message template, and
  the one rule for how long an alert waits before it resolves (:attr:`Rule.quiet_after`);
- :mod:`.parsing`: a rule document to a :class:`Rule`, every problem with its line;
- :mod:`.enrichment`, :mod:`.fields`: lookups and derived fields, and what a rule may name;
- :mod:`.engine`, :mod:`.verdicts`, :mod:`.windows`, :mod:`.absence`: judging a batch of events
  (matches, threshold windows, absences) as values; :mod:`.buckets`: a window's state, added up
  per time bucket;
- :mod:`.book`: everything in ``rules/``, checked; :mod:`.pipeline`: conform, enrich, judge.
- :mod:`.match_counts`: how often each version of a rule matched, as stored.

Imports the kernel, ``expressions``, ``sources`` and ``events``.
"""

from __future__ import annotations

from chalicelib.domain.rules.absence import (
    Sighting,
    expected_groups,
    silent_groups,
)
from chalicelib.domain.rules.book import (
    RuleBook,
    rule_catalog,
)
from chalicelib.domain.rules.buckets import (
    GroupKey,
    WindowBucket,
    WindowEntry,
    aggregate,
    bucket_deltas,
    collect,
    merge_into,
)
from chalicelib.domain.rules.engine import (
    RuleEngine,
)
from chalicelib.domain.rules.enrichment import (
    Enrichment,
    ReferenceTable,
)
from chalicelib.domain.rules.fields import (
    RuleCatalog,
)
from chalicelib.domain.rules.match_counts import (
    MatchCount,
)
from chalicelib.domain.rules.model import (
    SEVERITIES,
    AlertPolicy,
    Rule,
    Threshold,
)
from chalicelib.domain.rules.parsing.enrichment import (
    parse_enrichment,
)
from chalicelib.domain.rules.parsing.rule import (
    parse_rule,
)
from chalicelib.domain.rules.pipeline import (
    EventPipeline,
)
from chalicelib.domain.rules.verdicts import (
    GroupValues,
    RuleFailure,
    RuleMatch,
    SightingHit,
    Verdicts,
    WindowHit,
    describe_group,
    fingerprint,
)
from chalicelib.domain.rules.windows import (
    COMPARE,
    BucketRead,
    bucket_reads,
    crossings,
    prune_before,
    threshold_match,
    window_at,
)

__all__ = [
    "COMPARE",
    "SEVERITIES",
    "AlertPolicy",
    "BucketRead",
    "Enrichment",
    "EventPipeline",
    "GroupKey",
    "GroupValues",
    "MatchCount",
    "ReferenceTable",
    "Rule",
    "RuleBook",
    "RuleCatalog",
    "RuleEngine",
    "RuleFailure",
    "RuleMatch",
    "Sighting",
    "SightingHit",
    "Threshold",
    "Verdicts",
    "WindowBucket",
    "WindowEntry",
    "WindowHit",
    "aggregate",
    "bucket_deltas",
    "bucket_reads",
    "collect",
    "crossings",
    "describe_group",
    "expected_groups",
    "fingerprint",
    "merge_into",
    "parse_enrichment",
    "parse_rule",
    "prune_before",
    "rule_catalog",
    "silent_groups",
    "threshold_match",
    "window_at",
]
