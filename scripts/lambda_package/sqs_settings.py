"""Per-stage SQS batching and concurrency, which Chalice has no setting for, applied to the template.

``@app.on_sqs_message`` fixes the batch size and window for every stage (and the local runtime
uses them), and Chalice knows nothing of an event source's maximum concurrency. So a stage of
``.chalice/config.json`` may carry, under ``lambda_functions.<function>``, the keys below; Chalice
ignores keys it does not know, and this step writes them into that function's SQS event source.
A key for a function without an SQS event source, or a value SQS would refuse, stops the build
here rather than in CloudFormation halfway through a deployment.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from chalice.utils import to_cfn_resource_name

from scripts.lambda_package.errors import BuildError

BATCH = "batch_size"
WINDOW = "maximum_batching_window_in_seconds"
CONCURRENCY = "maximum_concurrency"
LIMITS = {BATCH: (1, 10_000), WINDOW: (0, 300), CONCURRENCY: (2, 1_000)}  # SQS's own ranges
LARGE_BATCH = 10  # a batch larger than this needs a batching window of at least a second


@dataclass(frozen=True)
class SqsSettings:
    """The keys one function's stage entry sets; ``None`` leaves the template's value."""

    function: str
    batch_size: int | None = None
    window_seconds: int | None = None
    maximum_concurrency: int | None = None


def read_sqs_settings(config: Mapping[str, Any], stage: str) -> list[SqsSettings]:
    """The SQS keys of ``stage``, each checked against SQS's range (before anything is built)."""
    stages = config.get("stages", {})
    if stage not in stages:
        raise BuildError(
            f"stage {stage!r} is not in .chalice/config.json "
            f"(it has {', '.join(sorted(stages)) or 'none'})"
        )
    found = []
    for function, entry in sorted(stages[stage].get("lambda_functions", {}).items()):
        values = {key: _checked(stage, function, key, entry[key]) for key in LIMITS if key in entry}
        if values:
            found.append(
                SqsSettings(
                    function, values.get(BATCH), values.get(WINDOW), values.get(CONCURRENCY)
                )
            )
    return found


def apply_sqs_settings(template: dict[str, Any], settings: list[SqsSettings], stage: str) -> None:
    """Write ``settings`` into the SQS event sources of ``template`` (Chalice's SAM output)."""
    resources = template.get("Resources", {})
    for one in settings:
        source = _sqs_source(resources.get(to_cfn_resource_name(one.function), {}))
        if source is None:
            key = next(
                k
                for k, v in (
                    (BATCH, one.batch_size),
                    (WINDOW, one.window_seconds),
                    (CONCURRENCY, one.maximum_concurrency),
                )
                if v is not None
            )
            raise BuildError(
                f"stage {stage!r}, function {one.function!r}: {key} is set, but the "
                "function has no SQS event source in the packaged template"
            )
        if one.batch_size is not None:
            source["BatchSize"] = one.batch_size
        if one.window_seconds is not None:
            source["MaximumBatchingWindowInSeconds"] = one.window_seconds
        if one.maximum_concurrency is not None:
            source["ScalingConfig"] = {"MaximumConcurrency": one.maximum_concurrency}
        if (
            source.get("BatchSize", 10) > LARGE_BATCH
            and source.get("MaximumBatchingWindowInSeconds", 0) < 1
        ):
            raise BuildError(
                f"stage {stage!r}, function {one.function!r}: {BATCH} "
                f"{source['BatchSize']} is over {LARGE_BATCH}, which SQS allows only "
                f"with {WINDOW} of at least 1"
            )


def _checked(stage: str, function: str, key: str, value: Any) -> int:
    low, high = LIMITS[key]
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise BuildError(
            f"stage {stage!r}, function {function!r}: {key} is {value!r}; SQS "
            f"accepts a whole number from {low} to {high}"
        )
    return value


def _sqs_source(resource: Mapping[str, Any]) -> dict[str, Any] | None:
    """The ``Properties`` of the function's one SQS event source, if it has one."""
    events = resource.get("Properties", {}).get("Events", {})
    sources = [event["Properties"] for event in events.values() if event.get("Type") == "SQS"]
    return sources[0] if len(sources) == 1 else None
