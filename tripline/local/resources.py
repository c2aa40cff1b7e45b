"""Create the AWS resources of ``topology`` on an endpoint (moto locally); safe to run again."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING

from chalicelib.topology import (
    ALERTS_TOPIC,
    DIGESTS_TOPIC,
    DLQ_RETENTION_SECONDS,
    INCOMING_PREFIX,
    QUEUES,
    UPLOADS_QUEUE,
)

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_s3.type_defs import CORSRuleTypeDef
    from mypy_boto3_sns import SNSClient
    from mypy_boto3_sqs import SQSClient


# A browser page may POST a granted file to the bucket from any origin, and do nothing else: the
# presigned POST's signed policy (one key, text/csv, a size limit, an expiry) is what authorizes an
# upload, never the origin, so the origin adds no protection worth the API's origin being known
# here. infra/template.yaml gives the AWS bucket the same rule (a test checks both agree).
UPLOAD_CORS_RULE: CORSRuleTypeDef = {
    "AllowedMethods": ["POST"],
    "AllowedOrigins": ["*"],
    "AllowedHeaders": ["*"],
    "MaxAgeSeconds": 3000,
}


@dataclass(frozen=True)
class CreatedResources:
    queue_urls: dict[str, str]
    bucket: str
    topic_arn: str  # the alerts topic's
    digests_topic_arn: str


def ensure_resources(sqs: SQSClient, s3: S3Client, sns: SNSClient, bucket: str) -> CreatedResources:
    """Each queue with its DLQ and redrive policy, the bucket notifying the uploads queue of
    every object created under ``incoming/`` and taking browser form uploads from any page
    (``UPLOAD_CORS_RULE``), as infra/ configures it on AWS, the alerts topic and the digests
    topic."""
    urls: dict[str, str] = {}
    for spec in QUEUES:
        dlq_url = sqs.create_queue(
            QueueName=spec.dead_letter_queue,
            Attributes={"MessageRetentionPeriod": str(DLQ_RETENTION_SECONDS)},
        )["QueueUrl"]
        dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])[
            "Attributes"
        ]["QueueArn"]
        redrive = {"deadLetterTargetArn": dlq_arn, "maxReceiveCount": str(spec.max_receive_count)}
        urls[spec.dead_letter_queue] = dlq_url
        urls[spec.name] = sqs.create_queue(
            QueueName=spec.name,
            Attributes={
                "VisibilityTimeout": str(spec.visibility_timeout_seconds),
                "RedrivePolicy": json.dumps(redrive),
            },
        )["QueueUrl"]
    existing = {entry["Name"] for entry in s3.list_buckets().get("Buckets", [])}
    if bucket not in existing:
        s3.create_bucket(Bucket=bucket)
    s3.put_bucket_cors(Bucket=bucket, CORSConfiguration={"CORSRules": [UPLOAD_CORS_RULE]})
    uploads_arn = sqs.get_queue_attributes(
        QueueUrl=urls[UPLOADS_QUEUE], AttributeNames=["QueueArn"]
    )["Attributes"]["QueueArn"]
    s3.put_bucket_notification_configuration(
        Bucket=bucket,
        NotificationConfiguration={
            "QueueConfigurations": [
                {
                    "Id": "incoming-to-uploads-queue",
                    "QueueArn": uploads_arn,
                    "Events": ["s3:ObjectCreated:*"],
                    "Filter": {
                        "Key": {"FilterRules": [{"Name": "prefix", "Value": INCOMING_PREFIX}]}
                    },
                }
            ],
        },
    )
    topic_arn = sns.create_topic(Name=ALERTS_TOPIC)["TopicArn"]
    digests_topic_arn = sns.create_topic(Name=DIGESTS_TOPIC)["TopicArn"]
    return CreatedResources(urls, bucket, topic_arn, digests_topic_arn)
