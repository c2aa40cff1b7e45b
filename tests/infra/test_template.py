"""What a reviewer signs, read off the packaged CloudFormation of each stage: every queue has a DLQ
and a visibility timeout six times its consumer's, every SQS trigger reports partial failures, the
database is private, encrypted and behind RDS Proxy, and every failure mode has an alarm."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from chalicelib.access_edge import UNCHECKABLE_BODY, UNCHECKABLE_RETRY_AFTER
from chalicelib.topology import DIGESTS_TOPIC, QUEUES

ROOT = Path(__file__).resolve().parents[2]
STAGES = ["dev", "prod"]
FUNCTIONS = [
    "APIHandler",
    "ApiKey",
    "ProcessEvents",
    "FanOutUploads",
    "ProcessRows",
    "Tick",
    "GenerateReports",
    "RunReplays",
    "SendDigest",
    "Purge",
    "Migrate",
]
# max_connections of RDS MySQL is DBInstanceClassMemory / 12582880: about 85 on a 1 GiB
# db.t4g.micro (dev), 341 on a 4 GiB db.t4g.medium (prod); the proxy lends the functions 75%.
PROXY_CONNECTIONS = {"dev": 85 * 75 // 100, "prod": 341 * 75 // 100}
OWNER_SECRET = {"Fn::GetAtt": ["Database", "MasterUserSecret.SecretArn"]}
APP_SECRET = {"Ref": "AppDatabaseSecret"}
# What one API request costs the API function, measured (docs/deploy.md, "What it costs"): the
# stage's throttle is sized so its steady rate and its burst fit the function's containers.
API_SECONDS_PER_REQUEST = 0.04

pytestmark = pytest.mark.slow


@cache
def _load(path: Path) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(path.read_text())
    return loaded


@pytest.fixture(params=STAGES)
def stage(request: pytest.FixtureRequest) -> str:
    name: str = request.param
    return name


@pytest.fixture
def template(packages: Any, stage: str) -> dict[str, Any]:
    return _load(packages[stage].cloudformation_path)


def of_type(template: dict[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    return {
        name: resource.get("Properties", {})
        for name, resource in template["Resources"].items()
        if resource["Type"] == kind
    }


def queue_name(arn: Any) -> str:
    """The queue an ARN names, whether written as Fn::Sub or Fn::GetAtt."""
    if isinstance(arn, dict) and "Fn::Sub" in arn:
        return str(arn["Fn::Sub"]).rsplit(":", 1)[1]
    raise AssertionError(f"unexpected queue ARN {arn!r}")


def queues_by_name(template: dict[str, Any]) -> dict[str, tuple[str, dict[str, Any]]]:
    return {
        props["QueueName"]: (logical, props)
        for logical, props in of_type(template, "AWS::SQS::Queue").items()
    }


def stage_parameters(stage: str) -> dict[str, str]:
    parameters: dict[str, str] = json.loads(
        (ROOT / "infra" / "parameters" / f"{stage}.json").read_text()
    )["Parameters"]
    return parameters


def test_every_sqs_trigger_reports_partial_batch_failures(template: dict[str, Any]) -> None:
    # GIVEN the event source mappings Chalice made (it does not set FunctionResponseTypes)
    mappings = of_type(template, "AWS::Lambda::EventSourceMapping")
    # THEN there is one per SQS queue with a consumer, and each reports failed items only
    assert sorted(queue_name(m["EventSourceArn"]) for m in mappings.values()) == sorted(
        q.name for q in QUEUES
    )
    for mapping in mappings.values():
        assert mapping["FunctionResponseTypes"] == ["ReportBatchItemFailures"]


def test_every_consumed_queue_has_a_dlq_and_six_times_its_consumers_timeout(
    template: dict[str, Any],
) -> None:
    # GIVEN each event source mapping, its queue and its function
    queues = queues_by_name(template)
    functions = of_type(template, "AWS::Lambda::Function")
    for mapping in of_type(template, "AWS::Lambda::EventSourceMapping").values():
        _, queue = queues[queue_name(mapping["EventSourceArn"])]
        function = functions[mapping["FunctionName"]["Ref"]]
        # THEN the queue hides a received message for at least six of the function's timeouts
        assert queue["VisibilityTimeout"] >= 6 * function["Timeout"]
        # AND gives up on a message after a few receives, into a DLQ that keeps it two weeks
        dead_letters = queue["RedrivePolicy"]["deadLetterTargetArn"]["Fn::GetAtt"][0]
        assert 1 < queue["RedrivePolicy"]["maxReceiveCount"] <= 10
        dlq = template["Resources"][dead_letters]["Properties"]
        assert dlq["MessageRetentionPeriod"] == 14 * 24 * 3600


def test_sqs_triggers_take_the_stages_batch_settings(template: dict[str, Any], stage: str) -> None:
    # GIVEN the stage's lambda_functions in .chalice/config.json
    config = json.loads((ROOT / ".chalice" / "config.json").read_text())["stages"][stage]
    functions = config["lambda_functions"]
    by_function = {
        m["FunctionName"]["Ref"]: m
        for m in of_type(template, "AWS::Lambda::EventSourceMapping").values()
    }
    cfn_names = {
        "process_events": "ProcessEvents",
        "fan_out_uploads": "FanOutUploads",
        "process_rows": "ProcessRows",
        "generate_reports": "GenerateReports",
        "run_replays": "RunReplays",
    }
    for name, logical in cfn_names.items():
        mapping, wanted = by_function[logical], functions[name]
        # THEN each mapping has the batch, window and concurrency the stage sets
        assert mapping["BatchSize"] == wanted["batch_size"]
        assert (
            mapping["MaximumBatchingWindowInSeconds"]
            == wanted["maximum_batching_window_in_seconds"]
        )
        assert mapping["ScalingConfig"]["MaximumConcurrency"] == wanted["maximum_concurrency"]
        # AND the trigger never asks for more concurrency than the function may have
        assert wanted["maximum_concurrency"] <= wanted["reserved_concurrency"]


def test_every_function_is_private_bounded_and_within_the_proxys_connections(
    template: dict[str, Any], stage: str
) -> None:
    # GIVEN every function of the stage
    functions = of_type(template, "AWS::Lambda::Function")
    assert sorted(functions) == sorted(FUNCTIONS)
    for name, function in functions.items():
        # THEN it runs in the private subnets, behind the functions' security group
        assert function["VpcConfig"] == {
            "SubnetIds": [{"Ref": "PrivateSubnetA"}, {"Ref": "PrivateSubnetB"}],
            "SecurityGroupIds": [{"Ref": "FunctionSecurityGroup"}],
        }, name
        # AND reaches the database through the proxy, logging in as the application user; only
        # migrate logs in as the owner, and knows the application login to keep its user
        variables = function["Environment"]["Variables"]
        assert variables["TRIPLINE_DATABASE_HOST"] == {"Fn::GetAtt": ["DatabaseProxy", "Endpoint"]}
        logins = {
            name: variables.get(name)
            for name in ("TRIPLINE_DATABASE_SECRET_ARN", "TRIPLINE_DATABASE_APP_SECRET_ARN")
        }
        assert logins == (
            {
                "TRIPLINE_DATABASE_SECRET_ARN": OWNER_SECRET,
                "TRIPLINE_DATABASE_APP_SECRET_ARN": APP_SECRET,
            }
            if name == "Migrate"
            else {
                "TRIPLINE_DATABASE_SECRET_ARN": APP_SECRET,
                "TRIPLINE_DATABASE_APP_SECRET_ARN": None,
            }
        ), name
        assert "DATABASE_URL" not in variables
    # AND a burst of every function at its reserved concurrency, one connection per container,
    # fits in the connections the proxy lends
    reserved = sum(f["ReservedConcurrentExecutions"] for f in functions.values())
    assert reserved <= PROXY_CONNECTIONS[stage]


def test_the_database_is_private_encrypted_backed_up_and_behind_a_tls_proxy(
    template: dict[str, Any],
) -> None:
    (database,) = of_type(template, "AWS::RDS::DBInstance").values()
    (proxy,) = of_type(template, "AWS::RDS::DBProxy").values()
    (targets,) = of_type(template, "AWS::RDS::DBProxyTargetGroup").values()
    # THEN MySQL 8, encrypted, backed up, not public, its password kept and rotated by RDS
    assert database["Engine"] == "mysql" and database["EngineVersion"].startswith("8.")
    assert database["StorageEncrypted"] is True
    assert database["BackupRetentionPeriod"] == {"Ref": "DatabaseBackupDays"}
    assert database["PubliclyAccessible"] is False
    assert database["ManageMasterUserPassword"] is True
    assert database["MultiAZ"] == {"Fn::If": ["IsMultiAZ", True, False]}
    # AND only the proxy reaches it, over TLS, taking the owner login and the application's
    assert proxy["RequireTLS"] is True
    assert [(auth["SecretArn"], auth["AuthScheme"], auth["IAMAuth"]) for auth in proxy["Auth"]] == [
        (OWNER_SECRET, "SECRETS", "DISABLED"),
        (APP_SECRET, "SECRETS", "DISABLED"),
    ]
    assert targets["DBInstanceIdentifiers"] == [{"Ref": "Database"}]
    ingress = template["Resources"]["DatabaseSecurityGroup"]["Properties"]["SecurityGroupIngress"]
    assert [rule["SourceSecurityGroupId"] for rule in ingress] == [{"Ref": "ProxySecurityGroup"}]


def test_multi_az_and_deletion_protection_follow_the_stage(stage: str) -> None:
    parameters = stage_parameters(stage)
    expected = "true" if stage == "prod" else "false"
    assert parameters["DatabaseMultiAZ"] == expected
    assert parameters["DatabaseDeletionProtection"] == expected


def test_the_bucket_is_private_encrypted_tls_only_and_feeds_the_uploads_queue(
    template: dict[str, Any],
) -> None:
    bucket = template["Resources"]["DataBucket"]["Properties"]
    # THEN no public access, encrypted at rest
    assert set(bucket["PublicAccessBlockConfiguration"].values()) == {True}
    assert bucket["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    # AND plain HTTP is refused by policy
    policy = template["Resources"]["DataBucketPolicy"]["Properties"]["PolicyDocument"]
    assert {"Bool": {"aws:SecureTransport": "false"}} in [
        s["Condition"] for s in policy["Statement"] if s["Effect"] == "Deny"
    ]
    # AND reports/ expire, and incoming/ notifies the uploads queue
    rules = {rule.get("Prefix"): rule for rule in bucket["LifecycleConfiguration"]["Rules"]}
    assert rules["reports/"]["ExpirationInDays"] == {"Ref": "ReportRetentionDays"}
    (notification,) = bucket["NotificationConfiguration"]["QueueConfigurations"]
    assert notification["Event"] == "s3:ObjectCreated:*"
    assert notification["Queue"] == {"Fn::GetAtt": ["UploadsQueue", "Arn"]}
    assert notification["Filter"]["S3Key"]["Rules"] == [{"Name": "prefix", "Value": "incoming/"}]


def test_the_bucket_takes_browser_form_posts_only_with_the_local_runtimes_rule(
    template: dict[str, Any],
) -> None:
    # GIVEN the bucket's CORS rules, and the one the local runtime gives moto's bucket
    from tripline.local.resources import UPLOAD_CORS_RULE

    bucket = template["Resources"]["DataBucket"]["Properties"]
    (rule,) = bucket["CorsConfiguration"]["CorsRules"]
    # THEN a page may POST a granted form from its origin, and nothing else (no GET, PUT, DELETE)
    assert rule["AllowedMethods"] == ["POST"]
    # AND the rule is the one the console's browser tests run against locally
    local = dict(UPLOAD_CORS_RULE)
    local["MaxAge"] = local.pop("MaxAgeSeconds")
    assert rule == local


def test_each_on_call_address_gets_an_email_subscription_with_an_optional_severity_filter(
    template: dict[str, Any],
) -> None:
    subscriptions = of_type(template, "AWS::SNS::Subscription")
    for slot in (1, 2, 3):
        # GIVEN the address parameter of the slot
        subscription = subscriptions[f"OnCallEmail{slot}Subscription"]
        # THEN it subscribes that address to the alerts topic by email
        assert subscription["TopicArn"] == {"Ref": "AlertsTopic"}
        assert (subscription["Protocol"], subscription["Endpoint"]) == (
            "email",
            {"Ref": f"OnCallEmail{slot}"},
        )
        assert template["Resources"][f"OnCallEmail{slot}Subscription"]["Condition"] == (
            f"HasOnCallEmail{slot}"
        )
        # AND filters on the severity attribute the notifier sets, when severities are given
        assert subscription["FilterPolicy"] == {
            "Fn::If": [
                f"FiltersOnCallEmail{slot}",
                {"severity": {"Fn::Split": [",", {"Ref": f"OnCallEmail{slot}Severities"}]}},
                {"Ref": "AWS::NoValue"},
            ]
        }
    # AND every topic is encrypted
    for topic in of_type(template, "AWS::SNS::Topic").values():
        assert topic["KmsMasterKeyId"]


def test_each_digest_address_gets_an_email_subscription_to_the_digests_topic(
    template: dict[str, Any],
) -> None:
    subscriptions = of_type(template, "AWS::SNS::Subscription")
    topics = {
        props["TopicName"]: logical
        for logical, props in of_type(template, "AWS::SNS::Topic").items()
    }
    assert topics[DIGESTS_TOPIC] == "DigestsTopic"
    for slot in (1, 2, 3):
        # GIVEN the digest address parameter of the slot
        subscription = subscriptions[f"DigestEmail{slot}Subscription"]
        # THEN it subscribes that address to the digests topic by email, when it is given
        assert subscription["TopicArn"] == {"Ref": "DigestsTopic"}
        assert (subscription["Protocol"], subscription["Endpoint"]) == (
            "email",
            {"Ref": f"DigestEmail{slot}"},
        )
        assert template["Resources"][f"DigestEmail{slot}Subscription"]["Condition"] == (
            f"HasDigestEmail{slot}"
        )
    # AND every function knows the topic's ARN, as it knows the alerts topic's
    for name, function in of_type(template, "AWS::Lambda::Function").items():
        variables = function["Environment"]["Variables"]
        assert variables["TRIPLINE_DIGESTS_TOPIC_ARN"] == {"Ref": "DigestsTopic"}, name
        assert variables["TRIPLINE_ALERTS_TOPIC_ARN"] == {"Ref": "AlertsTopic"}, name


def test_the_report_functions_get_the_memory_and_tmp_space_a_workbook_needs(
    template: dict[str, Any],
) -> None:
    # GIVEN the functions that write workbooks (xlsxwriter spools each sheet to /tmp)
    functions = of_type(template, "AWS::Lambda::Function")
    for name in ("GenerateReports", "SendDigest"):
        # THEN each has more /tmp than Lambda's 512 MB default, and memory to zip in
        assert functions[name]["EphemeralStorage"] == {"Size": 2048}, name
        assert functions[name]["MemorySize"] >= 1024, name


def test_every_failure_mode_has_an_alarm_on_the_ops_topic(template: dict[str, Any]) -> None:
    alarms = of_type(template, "AWS::CloudWatch::Alarm").values()
    queues = queues_by_name(template)

    def watched(metric: str, dimension: str) -> set[str]:
        return {
            json.dumps(alarm["Dimensions"][0]["Value"], sort_keys=True)
            for alarm in alarms
            if alarm.get("MetricName") == metric and alarm["Dimensions"][0]["Name"] == dimension
        }

    def queue_ref(name: str) -> str:
        return json.dumps({"Fn::GetAtt": [queues[name][0], "QueueName"]}, sort_keys=True)

    # THEN every DLQ alarms on its first message, every queue on the age of its oldest
    assert watched("ApproximateNumberOfMessagesVisible", "QueueName") == {
        queue_ref(q.dead_letter_queue) for q in QUEUES
    }
    assert watched("ApproximateAgeOfOldestMessage", "QueueName") == {
        queue_ref(q.name) for q in QUEUES
    }
    # AND every function on errors and on throttles
    functions = {json.dumps({"Ref": name}) for name in FUNCTIONS}
    assert watched("Errors", "FunctionName") == functions
    assert watched("Throttles", "FunctionName") == functions
    # AND every alarm tells the ops topic when it fires and when it clears
    for alarm in alarms:
        assert alarm["AlarmActions"] == [{"Ref": "OpsTopic"}]
        assert alarm["OKActions"] == [{"Ref": "OpsTopic"}]


def test_gateway_refusals_answer_in_the_apis_error_shape(template: dict[str, Any]) -> None:
    # GIVEN API Gateway's own answers for a missing or refused key
    (api,) = of_type(template, "AWS::ApiGateway::RestApi").values()
    responses = api["Body"]["x-amazon-apigateway-gateway-responses"]
    for kind, status, code in (
        ("UNAUTHORIZED", 401, "unauthorized"),
        ("ACCESS_DENIED", 403, "forbidden"),
    ):
        # THEN each is JSON with the same {"error": {code, message, details}} as the app's errors
        body = json.loads(responses[kind]["responseTemplates"]["application/json"])
        assert responses[kind]["statusCode"] == status
        assert body["error"]["code"] == code and body["error"]["details"] == []


def test_an_authorizer_that_cannot_check_a_key_is_a_503_to_retry_as_locally(
    template: dict[str, Any],
) -> None:
    # GIVEN API Gateway's answer when the authorizer fails (its database is down)
    (api,) = of_type(template, "AWS::ApiGateway::RestApi").values()
    failure = api["Body"]["x-amazon-apigateway-gateway-responses"]["AUTHORIZER_FAILURE"]
    # THEN it is the 503, Retry-After and body the local gateway gives, never a 500
    assert failure["statusCode"] == 503
    retry_after = failure["responseParameters"]["gatewayresponse.header.Retry-After"]
    assert retry_after == f"'{UNCHECKABLE_RETRY_AFTER}'"
    assert json.loads(failure["responseTemplates"]["application/json"]) == json.loads(
        UNCHECKABLE_BODY
    )


def test_the_application_login_is_a_generated_secret_only_the_proxy_and_the_functions_read(
    template: dict[str, Any],
) -> None:
    # GIVEN the application login's secret and the proxy's role
    secret = template["Resources"]["AppDatabaseSecret"]
    proxy_role = template["Resources"]["ProxyRole"]["Properties"]
    # THEN CloudFormation generates its password, long, under the user name migrate creates
    generated = secret["Properties"]["GenerateSecretString"]
    assert secret["Type"] == "AWS::SecretsManager::Secret"
    assert json.loads(generated["SecretStringTemplate"]) == {"username": "tripline_app"}
    assert generated["GenerateStringKey"] == "password" and generated["PasswordLength"] >= 32
    # AND the proxy may read both logins' secrets, as it must to let either through
    (statement,) = proxy_role["Policies"][0]["PolicyDocument"]["Statement"]
    assert statement["Action"] == "secretsmanager:GetSecretValue"
    assert statement["Resource"] == [OWNER_SECRET, APP_SECRET]


def test_the_api_stage_throttles_every_method_at_the_stages_numbers(
    template: dict[str, Any], stage: str
) -> None:
    # GIVEN the API's stage, as SAM made it from Chalice's RestAPI and infra/'s additions
    (api_stage,) = of_type(template, "AWS::ApiGateway::Stage").values()
    # THEN one method setting covers every resource and method, at the stage's parameters
    assert api_stage["MethodSettings"] == [
        {
            "ResourcePath": "/*",
            "HttpMethod": "*",
            "ThrottlingRateLimit": {"Ref": "ApiThrottleRateLimit"},
            "ThrottlingBurstLimit": {"Ref": "ApiThrottleBurstLimit"},
        }
    ]
    # AND the stage's parameters set both, within API Gateway's account defaults
    parameters = stage_parameters(stage)
    rate, burst = (
        int(parameters[name]) for name in ("ApiThrottleRateLimit", "ApiThrottleBurstLimit")
    )
    assert 0 < rate <= 10_000 and 0 < burst <= 5_000
    # AND a full burst on top of the steady rate fits the API function's reserved concurrency, so
    # a client is refused with the gateway's 429 before the function would be throttled (a 5xx)
    (reserved,) = [
        function["ReservedConcurrentExecutions"]
        for name, function in of_type(template, "AWS::Lambda::Function").items()
        if name == "APIHandler"
    ]
    assert burst + rate * API_SECONDS_PER_REQUEST <= reserved


def test_a_throttled_client_gets_429_in_the_apis_error_shape_and_when_to_retry(
    template: dict[str, Any],
) -> None:
    # GIVEN API Gateway's answer when the stage's (or the account's) throttle refuses a request
    (api,) = of_type(template, "AWS::ApiGateway::RestApi").values()
    throttled = api["Body"]["x-amazon-apigateway-gateway-responses"]["THROTTLED"]
    # THEN it is 429 with the app's error shape, not API Gateway's {"message": "Too Many Requests"}
    body = json.loads(throttled["responseTemplates"]["application/json"])
    assert throttled["statusCode"] == 429
    assert body["error"]["code"] == "throttled" and body["error"]["details"] == []
    # AND it says when to try again: after a second, the bucket has refilled a second's rate
    assert throttled["responseParameters"]["gatewayresponse.header.Retry-After"] == "'1'"
