"""AWS provisioning (``python -m lds_utils setup``): the S3 bucket and its layout, the Glue databases and the Athena
workgroup with its per-query scan cutoff. Idempotent: safe to run again; ``--dry-run`` prints the actions only."""

from __future__ import annotations

from typing import TextIO

from lds_utils.aws import plan as aws_plan
from lds_utils.aws.plan import Plan, Step, describe
from lds_utils.aws.settings import AwsSettings

ATHENA_ENGINE_VERSION = "Athena engine version 3"
RESULTS_EXPIRY_DAYS = 30


def setup_aws(settings: AwsSettings, dry_run: bool = False, out: TextIO | None = None) -> Plan:
    """Create (or bring up to date) what the pipeline needs: the bucket and its layout, the Glue databases and the
    Athena workgroup with its per-query scan cutoff. Idempotent: safe to run again."""
    plan = Plan(dry_run, out)
    session = None
    if dry_run:
        plan.note(f"-- AWS setup dry run: {describe(settings)}")
    else:
        session = aws_plan.aws_session(settings)
    _setup_bucket(plan, settings, session)
    _setup_databases(plan, settings, session)
    _setup_workgroup(plan, settings, session)
    return plan


LAKE_FOLDERS = ("raw", "bronze", "silver", "gold", "athena_results")


def _setup_bucket(plan: Plan, settings: AwsSettings, session) -> None:
    bucket = settings.bucket
    s3 = session.client("s3") if session else None
    if plan.add(Step("s3", "create_bucket", settings.uri(), f"in {settings.region}, if missing")):
        try:
            s3.head_bucket(Bucket=bucket)
        except s3.exceptions.ClientError as error:
            if error.response["Error"]["Code"] not in ("404", "NoSuchBucket", "NotFound"):
                raise
            location = {} if settings.region == "us-east-1" else {
                "CreateBucketConfiguration": {"LocationConstraint": settings.region}}
            s3.create_bucket(Bucket=bucket, **location)
    if plan.add(Step("s3", "put_public_access_block", settings.uri(), "block every kind of public access")):
        s3.put_public_access_block(Bucket=bucket, PublicAccessBlockConfiguration={
            "BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": True,
            "RestrictPublicBuckets": True})
    if plan.add(Step("s3", "put_bucket_encryption", settings.uri(), "SSE-S3 by default")):
        s3.put_bucket_encryption(Bucket=bucket, ServerSideEncryptionConfiguration={
            "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]})
    detail = f"athena_results/ expires after {RESULTS_EXPIRY_DAYS} days; unfinished uploads aborted after 7"
    if plan.add(Step("s3", "put_bucket_lifecycle_configuration", settings.uri(), detail)):
        s3.put_bucket_lifecycle_configuration(Bucket=bucket, LifecycleConfiguration={"Rules": [
            {"ID": "expirar-resultados-athena", "Status": "Enabled", "Filter": {"Prefix": "athena_results/"},
             "Expiration": {"Days": RESULTS_EXPIRY_DAYS}},
            {"ID": "abortar-cargas-incompletas", "Status": "Enabled", "Filter": {"Prefix": ""},
             "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 7}},
        ]})
    for folder in LAKE_FOLDERS:
        if plan.add(Step("s3", "put", settings.prefix(folder), "empty folder marker")):
            s3.put_object(Bucket=bucket, Key=f"{folder}/", Body=b"")


def _setup_databases(plan: Plan, settings: AwsSettings, session) -> None:
    for layer, name in settings.databases.items():
        if plan.add(Step("glue", "create_database", name, f"{layer.upper()} layer, if missing")):
            import awswrangler as wr

            wr.catalog.create_database(name, description=f"Luz del Sur - capa {layer.upper()}", exist_ok=True,
                                       boto3_session=session)


def workgroup_configuration(settings: AwsSettings) -> dict:
    """The workgroup's settings. Client-side settings are not enforced, because an enforced workgroup would
    ignore each CTAS's external_location; the per-query scan cutoff applies to every query regardless."""
    return {
        "ResultConfiguration": {
            "OutputLocation": settings.results_prefix,
            "EncryptionConfiguration": {"EncryptionOption": "SSE_S3"},
        },
        "EnforceWorkGroupConfiguration": False,
        "PublishCloudWatchMetricsEnabled": True,
        "BytesScannedCutoffPerQuery": settings.scan_limit_bytes,
        "RequesterPaysEnabled": False,
        "EngineVersion": {"SelectedEngineVersion": ATHENA_ENGINE_VERSION},
    }


def _setup_workgroup(plan: Plan, settings: AwsSettings, session) -> None:
    wanted = workgroup_configuration(settings)
    detail = (f"results in {settings.results_prefix}, per-query cutoff {settings.scan_limit_bytes:,} bytes, "
              f"{ATHENA_ENGINE_VERSION}; created if missing, updated if different")
    if not plan.add(Step("athena", "create_work_group", settings.workgroup, detail)):
        return
    athena = session.client("athena")
    try:
        current = athena.get_work_group(WorkGroup=settings.workgroup).get("WorkGroup")
    except athena.exceptions.InvalidRequestException:  # AWS's answer for a missing workgroup
        current = None
    if current is None:
        athena.create_work_group(Name=settings.workgroup, Configuration=wanted,
                                 Description="Luz del Sur - facturación atípica (pipeline y Power BI)")
        return
    stored = current.get("Configuration", {})
    engine_version = stored.get("EngineVersion", {}).get("SelectedEngineVersion")
    if engine_version != ATHENA_ENGINE_VERSION or any(
        stored.get(key) != value for key, value in wanted.items() if key != "EngineVersion"
    ):
        updates = {key: value for key, value in wanted.items() if key != "ResultConfiguration"}
        updates["ResultConfigurationUpdates"] = wanted["ResultConfiguration"]
        athena.update_work_group(WorkGroup=settings.workgroup, ConfigurationUpdates=updates)
