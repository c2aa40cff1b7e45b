"""infra/, .chalice/ and app.py agree on the resources: names, DLQs, timeouts, batch sizes."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path
from typing import Any

import yaml
from chalice.app import ScheduledEventConfig, SQSEventConfig

import app
from chalicelib.topology import ALERTS_TOPIC, DIGESTS_TOPIC, QUEUES

ROOT = Path(__file__).resolve().parents[1]


def resources(kind: str) -> dict[str, dict[str, Any]]:
    template = yaml.safe_load((ROOT / "infra" / "template.yaml").read_text())
    return {
        name: r["Properties"] for name, r in template["Resources"].items() if r.get("Type") == kind
    }


def test_infra_declares_every_queue_with_its_dead_letter_queue() -> None:
    queues = resources("AWS::SQS::Queue")
    by_name = {props["QueueName"]: (logical, props) for logical, props in queues.items()}
    for spec in QUEUES:
        _, props = by_name[spec.name]
        dlq_logical, _ = by_name[spec.dead_letter_queue]
        assert props["VisibilityTimeout"] == spec.visibility_timeout_seconds
        assert props["RedrivePolicy"] == {
            "deadLetterTargetArn": {"Fn::GetAtt": [dlq_logical, "Arn"]},
            "maxReceiveCount": spec.max_receive_count,
        }
    assert set(by_name) == {q.name for q in QUEUES} | {q.dead_letter_queue for q in QUEUES}


def test_infra_declares_the_alerts_digests_and_ops_topics() -> None:
    assert sorted(p["TopicName"] for p in resources("AWS::SNS::Topic").values()) == [
        ALERTS_TOPIC,
        DIGESTS_TOPIC,
        "tripline-ops",
    ]


def test_visibility_timeout_is_six_times_the_consumer_timeout() -> None:
    config = json.loads((ROOT / ".chalice" / "config.json").read_text())
    consumers = {source.queue: source.name for source in sqs_sources()}
    for stage in config["stages"].values():
        for spec in QUEUES:
            timeout = stage["lambda_functions"][consumers[spec.name]]["lambda_timeout"]
            assert spec.visibility_timeout_seconds >= 6 * timeout


def test_sqs_triggers_set_their_batch_size_instead_of_chalices_default_of_one() -> None:
    # events are small: ten a batch; a fan-out may scan a gigabyte: one; a chunk is 1 MiB: four;
    # a report may take the function's whole timeout: one
    assert {source.name: source.batch_size for source in sqs_sources()} == {
        "process_events": 10,
        "fan_out_uploads": 1,
        "process_rows": 4,
        "generate_reports": 1,
        "run_replays": 1,
    }


def test_the_clock_driven_work_runs_every_minute_and_the_digest_and_purge_every_hour() -> None:
    schedules = [
        source for source in app.app.event_sources if isinstance(source, ScheduledEventConfig)
    ]
    assert [
        (one.name, one.schedule_expression.to_string())
        for one in schedules  # type: ignore[union-attr]
    ] == [("tick", "rate(1 minute)"), ("send_digest", "rate(1 hour)"), ("purge", "rate(1 hour)")]


def sqs_sources() -> list[SQSEventConfig]:
    return [source for source in app.app.event_sources if isinstance(source, SQSEventConfig)]


def test_lambda_requirements_match_the_package_dependencies() -> None:
    # GIVEN the dependencies in pyproject.toml and the Lambda bundle's requirements.txt
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    bundle = [
        line
        for line in (ROOT / "requirements.txt").read_text().splitlines()
        if line and not line.startswith("#")
    ]
    # THEN every bundled requirement is pinned as in pyproject, and only boto3 and chalice
    # (provided by Lambda, and the deploy tool) and the tools' own libraries (tripline/, never in
    # the bundle) are left out: alembic runs in the migrate function
    assert set(bundle) <= set(project)
    left_out = {spec.split(">")[0].split("<")[0] for spec in set(project) - set(bundle)}
    assert left_out == {"boto3", "chalice", "httpx", "rich"}


def test_each_stages_parameters_are_the_templates_and_set_the_api_throttle() -> None:
    # GIVEN the parameters infra/template.yaml declares, and each stage's parameter file, which
    # `aws cloudformation deploy --parameter-overrides` refuses whole if it names another
    declared = yaml.safe_load((ROOT / "infra" / "template.yaml").read_text())["Parameters"]
    for stage in ("dev", "prod"):
        given = json.loads((ROOT / "infra" / "parameters" / f"{stage}.json").read_text())
        parameters: dict[str, str] = given["Parameters"]
        # THEN it names only declared parameters, numbers within their bounds
        assert set(parameters) <= set(declared), stage
        for name, value in parameters.items():
            if declared[name]["Type"] == "Number":
                assert (
                    declared[name].get("MinValue", 0)
                    <= float(value)
                    <= declared[name].get("MaxValue", float("inf"))
                ), (stage, name)
        # AND sets the API's throttle itself rather than take the template's defaults
        assert {"ApiThrottleRateLimit", "ApiThrottleBurstLimit"} <= set(parameters), stage
