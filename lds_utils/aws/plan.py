"""The ordered AWS actions of a run or of the account set-up: each one is performed, or, in dry-run mode, printed.

A dry run needs no credentials: it prints every S3 action, Glue change and SQL statement, in order, as it would be
performed (``pipeline --engine athena --dry-run``, ``setup --dry-run``); ``aws_cost`` reads the statements of a
planned run to estimate what Athena would bill. The AWS session both the engine and the set-up use comes from here
too, from the standard credential chain only.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from typing import TextIO

from lds_utils.aws.settings import AwsSettings
from lds_utils.config import UsageError


@dataclass(frozen=True)
class Step:
    """One AWS action: an S3 transfer, a Glue change or an Athena statement."""

    service: str
    action: str
    target: str
    detail: str = ""
    sql: str | None = None
    params: dict | None = None

    def render(self) -> str:
        line = f"[{self.service} {self.action}] {self.target}"
        if self.detail:
            line += f"  ({self.detail})"
        if self.params:
            line += f"\n  params: {self.params}"
        return line if self.sql is None else f"{line}\n{self.sql.rstrip()};\n"


class Plan:
    """The ordered AWS actions of a run. In dry-run mode each one is printed instead of performed."""

    def __init__(self, dry_run: bool = False, out: TextIO | None = None):
        self.dry_run = dry_run
        self.steps: list[Step] = []
        self._out = out

    def note(self, text: str) -> None:
        """A comment line in a printed (dry-run) plan."""
        if self.dry_run:
            print(text, file=self._out or sys.stdout, flush=True)

    def add(self, step: Step) -> bool:
        """Record a step; True when the caller must really perform it."""
        self.steps.append(step)
        if self.dry_run:
            print(step.render(), file=self._out or sys.stdout, flush=True)
        return not self.dry_run


def aws_session(settings: AwsSettings):
    """A boto3 session in the configured region; credentials come from the standard AWS chain only."""
    import boto3

    session = boto3.Session(region_name=settings.region)
    if session.get_credentials() is None:
        raise UsageError(
            "no AWS credentials found: configure the AWS credential chain (environment variables, "
            "AWS_PROFILE or an IAM role); --dry-run needs none"
        )
    return session


def describe(settings: AwsSettings) -> str:
    databases = ", ".join(f"{layer}={name}" for layer, name in settings.databases.items())
    return (f"bucket={settings.bucket} region={settings.region} workgroup={settings.workgroup} "
            f"scan limit={settings.scan_limit_bytes / 1e9:g} GB databases: {databases}")
