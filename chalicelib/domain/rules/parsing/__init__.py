"""A rule document (``rules/*.yaml``, already read into located values) to a checked
:class:`~chalicelib.domain.rules.model.Rule`, every problem reported at once with its line:
the document's keys (:mod:`.rule`), its kind (:mod:`.kinds`), alerting options (:mod:`.alerting`),
a source's enrichment (:mod:`.enrichment`), the content version (:mod:`.version`) and the problems
gathered on the way (:mod:`.problems`).
"""

from __future__ import annotations

from chalicelib.domain.rules.parsing.enrichment import parse_enrichment
from chalicelib.domain.rules.parsing.rule import parse_rule

__all__ = ["parse_enrichment", "parse_rule"]
