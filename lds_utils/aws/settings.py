"""AWS deployment settings: bucket, region, Athena workgroup, Glue database names and the per-query scan limit.

Each setting comes from, highest priority first: an explicit value (a CLI flag), an ``LDS_AWS_*`` environment
variable, a YAML config file (``--aws-config`` or ``$LDS_AWS_CONFIG``), then the default. Credentials are never
settings: boto3 finds them through the standard AWS chain (environment, shared profile, instance or task role),
so they never reach a notebook parameter, a log or the book. A config file that holds a credential is refused.

Config file example (every key optional)::

    bucket: lds-s3-bucket-demo
    region: us-east-1
    workgroup: lds_luzdelsur
    scan_limit_gb: 50
    databases: {raw: raw_db, bronze: bronze_db, silver: silver_db, gold: gold_db}
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from lds_utils.config import DATABASES, LAYERS, UsageError, finite_number
from lds_utils.lake.sql import check_identifier

DEFAULT_BUCKET = "lds-s3-bucket-demo"
DEFAULT_REGION = "us-east-1"
DEFAULT_WORKGROUP = "lds_luzdelsur"
# Per-query cutoff: about 5x the largest statement of a monthly run at 1.3 M customers, the BRONZE reconciliation
# that reads every raw CSV (~9 GB; book/despliegue_aws.md computes it): a runaway query stops, a normal run never does.
DEFAULT_SCAN_LIMIT_GB = 50.0
ATHENA_MIN_SCAN_LIMIT_BYTES = 10_000_000  # the smallest cutoff Athena accepts (10 MB)

ENV_PREFIX = "LDS_AWS_"
CONFIG_ENV = "LDS_AWS_CONFIG"

_FILE_KEYS = {"bucket", "region", "workgroup", "scan_limit_gb", "databases"}
_CREDENTIAL_WORDS = ("access_key", "secret", "session_token", "password", "credential", "token")
#: Athena stores the cutoff in bytes as a 64-bit integer.
ATHENA_MAX_SCAN_LIMIT_BYTES = 2**63 - 1

# General purpose bucket naming rules (docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html).
_BUCKET_RE = re.compile(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")
_IP_ADDRESS_RE = re.compile(r"[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+")
_BUCKET_RESERVED_PREFIXES = ("xn--", "sthree-", "amzn-s3-demo-")
_BUCKET_RESERVED_SUFFIXES = ("-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3")
_REGION_RE = re.compile(r"[a-z]{2}(-[a-z]+)+-[0-9]{1,2}")
_WORKGROUP_RE = re.compile(r"[A-Za-z0-9._-]{1,128}")
_CONTROL_RE = re.compile(r"[\x00-\x1f\x7f]")


@dataclass(frozen=True)
class AwsSettings:
    """Where the lake lives on AWS. Holds no credentials by construction."""

    bucket: str = DEFAULT_BUCKET
    region: str = DEFAULT_REGION
    workgroup: str = DEFAULT_WORKGROUP
    scan_limit_bytes: int = int(DEFAULT_SCAN_LIMIT_GB * 1e9)
    databases: Mapping[str, str] = field(default_factory=lambda: dict(DATABASES))

    def database(self, canonical: str) -> str:
        """The Glue database that plays the role of a canonical one ('silver_db' -> configured name)."""
        layer = canonical.removesuffix("_db")
        if canonical not in DATABASES.values():
            raise UsageError(f"unknown database {canonical!r}")
        return self.databases[layer]

    @property
    def renames_databases(self) -> bool:
        return dict(self.databases) != DATABASES

    def uri(self, *parts: str) -> str:
        """s3://bucket/part/part... (no trailing slash); each part a non-blank key part without control characters."""
        return "/".join([f"s3://{self.bucket}", *map(check_key_part, parts)])

    def prefix(self, *parts: str) -> str:
        """s3://bucket/part/.../ : a folder-like prefix, always with the trailing slash."""
        return self.uri(*parts) + "/"

    @property
    def results_prefix(self) -> str:
        return self.prefix("athena_results")


def load_settings(
    bucket: str | None = None,
    region: str | None = None,
    workgroup: str | None = None,
    scan_limit_gb: float | str | None = None,
    databases: Mapping[str, str] | None = None,
    config_file: str | os.PathLike | None = None,
    environ: Mapping[str, str] | None = None,
) -> AwsSettings:
    """Resolve the settings: explicit values, then LDS_AWS_* variables, then the config file, then defaults."""
    env = os.environ if environ is None else environ
    path = config_file or env.get(CONFIG_ENV)
    from_file = _read_config_file(Path(path)) if path else {}

    def pick(name: str, explicit, default):
        for value in (explicit, env.get(ENV_PREFIX + name.upper()), from_file.get(name)):
            if value not in (None, ""):
                return value
        return default

    region_default = env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION") or DEFAULT_REGION
    database_names = dict(DATABASES)
    database_names.update(_check_database_map(from_file.get("databases") or {}, "config file"))
    database_names.update({layer: env[f"{ENV_PREFIX}DB_{layer.upper()}"] for layer in LAYERS
                           if env.get(f"{ENV_PREFIX}DB_{layer.upper()}")})
    database_names.update(databases or {})
    return AwsSettings(
        bucket=check_bucket(pick("bucket", bucket, DEFAULT_BUCKET)),
        region=_check(_REGION_RE, pick("region", region, region_default), "AWS region"),
        workgroup=_check(_WORKGROUP_RE, pick("workgroup", workgroup, DEFAULT_WORKGROUP), "Athena workgroup"),
        scan_limit_bytes=_scan_limit_bytes(pick("scan_limit_gb", scan_limit_gb, DEFAULT_SCAN_LIMIT_GB)),
        databases=_check_database_map(database_names, "database names"),
    )


def _read_config_file(path: Path) -> dict:
    if _CONTROL_RE.search(str(path)):
        raise UsageError(f"the AWS config file path must not contain control characters: {str(path)!r}")
    try:
        content = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except OSError as error:
        raise UsageError(f"cannot read AWS config file {path}: {error.strerror or error}") from None
    except yaml.YAMLError as error:
        raise UsageError(f"AWS config file {path} is not valid YAML: {error}") from None
    if not isinstance(content, dict):
        raise UsageError(f"AWS config file {path} must hold a mapping of settings")
    credential_keys = [key for key in content if any(word in str(key).lower() for word in _CREDENTIAL_WORDS)]
    if credential_keys:
        raise UsageError(
            f"AWS config file {path} holds credentials ({', '.join(map(str, credential_keys))}): remove them and "
            "use the AWS credential chain (environment variables, a profile or an IAM role)"
        )
    unknown = set(content) - _FILE_KEYS
    if unknown:
        raise UsageError(f"unknown keys in AWS config file {path}: {', '.join(sorted(map(str, unknown)))}")
    return content


def _check(pattern: re.Pattern, value, what: str) -> str:
    text = str(value).strip()
    if not pattern.fullmatch(text) or ".." in text or _CONTROL_RE.search(str(value)):
        raise UsageError(f"invalid {what}: {value!r}")
    return text


def check_bucket(value) -> str:
    """A general purpose bucket name S3 accepts, else UsageError naming the rule it breaks."""
    name = _check(_BUCKET_RE, value, "S3 bucket name (3-63 lowercase letters, digits, dots and hyphens, "
                                     "starting and ending with a letter or digit, no '..')")
    if _IP_ADDRESS_RE.fullmatch(name):
        raise UsageError(f"invalid S3 bucket name: {value!r} is formatted as an IP address")
    reserved = [part for part in _BUCKET_RESERVED_PREFIXES if name.startswith(part)]
    reserved += [part for part in _BUCKET_RESERVED_SUFFIXES if name.endswith(part)]
    if reserved:
        raise UsageError(f"invalid S3 bucket name: {value!r} uses {reserved[0]!r}, which S3 reserves")
    return name


def check_key_part(value: str) -> str:
    """A part of an S3 key or prefix: not blank, no control characters (NUL included)."""
    text = str(value)
    if not text.strip() or _CONTROL_RE.search(text):
        raise UsageError(f"invalid S3 key part {value!r}: it must not be blank or hold control characters")
    return text


def _scan_limit_bytes(value) -> int:
    gigabytes = finite_number(value, "scan limit (GB)")
    if not ATHENA_MIN_SCAN_LIMIT_BYTES <= gigabytes * 1e9 <= ATHENA_MAX_SCAN_LIMIT_BYTES:
        raise UsageError(f"scan limit must be at least 0.01 GB, Athena's minimum, and at most "
                         f"{ATHENA_MAX_SCAN_LIMIT_BYTES / 1e9:,.0f} GB (got {value!r})")
    return int(gigabytes * 1e9)


def _check_database_map(names: Mapping, source: str) -> dict[str, str]:
    if not isinstance(names, Mapping):
        raise UsageError(f"{source}: databases must map layers ({', '.join(LAYERS)}) to Glue database names")
    unknown = set(names) - set(LAYERS)
    if unknown:
        raise UsageError(f"{source}: unknown layers {', '.join(sorted(map(str, unknown)))}")
    checked = {layer: check_identifier(str(name)) for layer, name in names.items()}
    if len(set(checked.values())) != len(checked):
        raise UsageError(f"{source}: two layers share one Glue database")
    return checked
