"""Command line: ``python -m lds_utils <command> --help``.

Every user error (bad month, bad path, bad engine...) is reported as one line on stderr with exit
code 2; tracebacks are kept for real bugs.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import replace
from pathlib import Path

from lds_utils import config
from lds_utils.config import RunFailed, UsageError

NO_INTERVALS = "ninguno"  # --intervalos-desde: a lake without smart-meter data


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # one line, no usage dump
        raise UsageError(message)


def _add_lake(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--lake", default=None, help="lake root (default: $LDS_LAKE or ./lake)")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="python -m lds_utils", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    gen = commands.add_parser("generate", help="write synthetic RAW deliveries and the ground truth; on a lake it "
                              "generated, an option not given keeps the lake's value, and a later --hasta alone "
                              "adds the deliveries after the lake's last month")
    gen.add_argument("--clientes", default=None, help="number of customers (default 1500)")
    gen.add_argument("--seed", default=None, help="random seed (default 42)")
    gen.add_argument("--desde", default=None, help="first reported month YYYY-MM (default 2022-01)")
    gen.add_argument("--hasta", default=None, help="last month delivered YYYY-MM (default 2025-12)")
    gen.add_argument("--horizonte", default=None, help="last month simulated YYYY-MM, the furthest a lake can be "
                     "extended (default: --hasta, at least 2025-12)")
    gen.add_argument("--historia-previa", default=None,
                     help=f"months of readings generated before --desde, so its bills have their own history to "
                          f"compare with (default {config.DEFAULT_HISTORIA_PREVIA})")
    gen.add_argument("--intervalos-desde", default=None,
                     help=f"first month YYYY-MM of smart-meter intervals and events, or '{NO_INTERVALS}' for none "
                          "(default 2025-07; at full scale six months are ~2,000 million interval rows)")
    gen.add_argument("--quiet", action="store_true", help="no progress bar")
    _add_lake(gen)

    pipe = commands.add_parser("pipeline", help="build the relation graph: RAW -> BRONZE -> SILVER -> GOLD -> KPI views "
                               "and alerts")
    pipe.add_argument("--period", default=None, help="one month YYYY-MM (default: every month)")
    pipe.add_argument("--engine", default=config.DEFAULT_ENGINE, help="duckdb (default) or athena")
    pipe.add_argument("--dry-run", action="store_true", help="print the plan without running it")
    _add_lake(pipe)
    _add_aws(pipe)

    book = commands.add_parser("book", help="run the notebooks over a built lake and build the versioned HTML book "
                               "(the default lake is generated and built first when needed)")
    book.add_argument("--period", default=None, help="analysis month YYYY-MM (default: latest with data)")
    book.add_argument("--engine", default=config.DEFAULT_ENGINE, help="duckdb (default) or athena")
    _add_lake(book)

    alertas = commands.add_parser("alertas", help="rank the month's alerts of both detectors and export them as CSV")
    alertas.add_argument("--period", default=None, help="month YYYY-MM")
    alertas.add_argument("--desde", default=None, help="first month YYYY-MM of a range (with --hasta)")
    alertas.add_argument("--hasta", default=None, help="last month YYYY-MM of a range (with --desde)")
    alertas.add_argument("--engine", default=config.DEFAULT_ENGINE, help="duckdb (default) or athena")
    alertas.add_argument("--capacidad", default=None, help="inspections a month as a share of billed supplies "
                         "(default 0.005)")
    alertas.add_argument("--salida", default=None, help="folder for the CSV lists (default: the lake's gold/alertas/; "
                         "needed on a read-only lake)")
    _add_lake(alertas)
    _add_aws(alertas)

    mes = commands.add_parser("mes", help="publish a month: its pipeline run, alerts and book edition, then a summary "
                              "beside the month before")
    mes.add_argument("--period", required=True, help="the month YYYY-MM")
    mes.add_argument("--engine", default=config.DEFAULT_ENGINE, help="duckdb (default) or athena")
    _add_lake(mes)
    _add_aws(mes)

    verificar = commands.add_parser("verificar", help="check every published file of the local lake and its catalog "
                                    "(exit 0 when intact, 1 otherwise)")
    verificar.add_argument("--reparar", action="store_true", help="rebuild a damaged catalog from the version "
                           "folders (the damaged one is moved aside); damaged data files are named with the command "
                           "that re-creates them")
    verificar.add_argument("--engine", default=config.DEFAULT_ENGINE, help="duckdb (default): the local lake")
    _add_lake(verificar)

    setup = commands.add_parser("setup", help="create the AWS bucket layout, Glue databases and Athena workgroup")
    setup.add_argument("--dry-run", action="store_true", help="print the actions without calling AWS")
    _add_aws(setup, scan_limit=True)
    return parser


# -- AWS options (engine athena and `setup`) -----------------------------------------------------------------
def _add_aws(parser: argparse.ArgumentParser, scan_limit: bool = False) -> None:
    group = parser.add_argument_group(
        "AWS (--engine athena)",
        "defaults: $LDS_AWS_*, then the --aws-config file ($LDS_AWS_CONFIG), then built-in values. "
        "Credentials come only from the AWS credential chain (environment, profile, role), never from flags.",
    )
    group.add_argument("--bucket", default=None, help="S3 bucket (default lds-s3-bucket-demo)")
    group.add_argument("--region", default=None, help="AWS region (default $AWS_REGION or us-east-1)")
    group.add_argument("--workgroup", default=None, help="Athena workgroup (default lds_luzdelsur)")
    group.add_argument("--aws-config", default=None, help="YAML file with bucket, region, workgroup, databases")
    if scan_limit:
        group.add_argument("--scan-limit-gb", default=None, help="per-query scan cutoff of the workgroup, GB")


def _aws_options(args: argparse.Namespace) -> dict:
    options = {
        "bucket": args.bucket,
        "region": args.region,
        "workgroup": args.workgroup,
        "config_file": args.aws_config,
        "scan_limit_gb": getattr(args, "scan_limit_gb", None),
    }
    return {name: value for name, value in options.items() if value is not None}


def _engine_aws_options(engine: str, args: argparse.Namespace) -> dict:
    """The AWS options given, refused for an engine that takes none."""
    from lds_utils.lake.registry import engine_class

    aws_options = _aws_options(args)
    if aws_options and not engine_class(engine).uses_aws_settings:
        raise UsageError("--bucket, --region, --workgroup and --aws-config apply to --engine athena only")
    return aws_options


def _generator_config(args: argparse.Namespace, lake: Path):
    """The options given, over what the lake's generacion.json records (over the defaults for a new lake).

    The horizon is kept only while the options that shape the simulation are the lake's.
    """
    from lds_utils.synthetic.generate import GeneratorConfig, recorded_config

    generated = recorded_config(lake)
    recorded = generated or GeneratorConfig()
    given = {
        "n_clientes": args.clientes and config.positive_int(args.clientes, "--clientes", config.MAX_CLIENTES),
        "seed": args.seed and config.non_negative_int(args.seed, "--seed", config.MAX_SEED),
        "desde": args.desde and config.parse_period(args.desde, "--desde"),
        "historia_previa_meses": args.historia_previa and config.non_negative_int(
            args.historia_previa, "--historia-previa", config.MAX_HISTORIA_PREVIA),
    }
    given = {name: value for name, value in given.items() if value is not None}
    if args.intervalos_desde is not None:
        given["intervalos_desde"] = (None if args.intervalos_desde == NO_INTERVALS
                                     else config.parse_period(args.intervalos_desde, "--intervalos-desde"))
    reshaped = any(value != getattr(recorded, name) for name, value in given.items())
    hasta = config.parse_period(args.hasta, "--hasta") if args.hasta else recorded.hasta
    horizonte = (config.parse_period(args.horizonte, "--horizonte") if args.horizonte
                 else None if reshaped or generated is None else recorded.horizonte)
    config.period_range(given.get("desde", recorded.desde), hasta)
    return replace(recorded, **given, hasta=hasta, horizonte=horizonte)


def _run(args: argparse.Namespace) -> int:
    if args.command == "generate":
        from lds_utils.synthetic.generate import run_generate

        lake = config.resolve_lake(args.lake)
        run_generate(_generator_config(args, lake), lake, progress=not args.quiet)
        return 0
    if args.command == "pipeline":
        from lds_utils.lake.pipeline import run_pipeline

        period = config.parse_period(args.period, "--period") if args.period else None
        engine = config.parse_engine(args.engine)
        run_pipeline(config.resolve_lake(args.lake), period=period, engine=engine, dry_run=args.dry_run,
                     **_engine_aws_options(engine, args))
        return 0
    if args.command == "setup":
        from lds_utils.aws.plan import describe
        from lds_utils.aws.settings import load_settings
        from lds_utils.aws.setup import setup_aws

        settings = load_settings(**_aws_options(args))
        setup_aws(settings, dry_run=args.dry_run)
        if not args.dry_run:
            print(f"AWS ready: {describe(settings)}")
        return 0
    if args.command == "alertas":
        from lds_utils.detection.alerts import alert_months, run_alertas
        from lds_utils.rules.companion import CAPACIDAD_INSPECCION

        alert_months(args.period, args.desde, args.hasta)  # checked before anything else
        engine = config.parse_engine(args.engine)
        aws_options = _engine_aws_options(engine, args)
        capacidad = CAPACIDAD_INSPECCION if args.capacidad is None else _share(args.capacidad, "--capacidad")
        run_alertas(config.resolve_lake(args.lake), args.period, engine=engine, capacidad_inspeccion=capacidad,
                    desde=args.desde, hasta=args.hasta, salida=args.salida, **aws_options)
        return 0
    if args.command == "mes":
        from lds_utils.reporting.cycle import run_month

        period = config.parse_period(args.period, "--period")
        engine = config.parse_engine(args.engine)
        resumen = run_month(config.resolve_lake(args.lake), period, engine=engine,
                            **_engine_aws_options(engine, args))
        print(resumen.text())
        return 0
    if args.command == "verificar":
        return _verificar(args)
    if args.command == "book":
        from lds_utils.reporting.book import build_book

        period = config.parse_period(args.period, "--period") if args.period else None
        build_book(period=period, engine=config.parse_engine(args.engine), lake=config.resolve_lake(args.lake))
        return 0
    raise UsageError(f"unknown command {args.command!r}")


def _verificar(args: argparse.Namespace) -> int:
    from lds_utils.lake.integrity import verify_lake
    from lds_utils.lake.pipeline import require_lake
    from lds_utils.lake.registry import engine_class

    if not engine_class(config.parse_engine(args.engine)).keeps_local_state:
        raise UsageError("verificar checks a local lake (--engine duckdb); an Athena lake's files are S3's to keep")
    lake = config.resolve_lake(args.lake)
    require_lake(lake)
    verification = verify_lake(lake, repair=args.reparar)
    for line in verification.lines:
        print(line)
    return 0 if verification.intact else 1


def _share(value: str, name: str) -> float:
    share = config.finite_number(value, name)
    if not 0 < share <= 1:
        raise UsageError(f"{name} must be a share greater than 0 and at most 1 (got {value!r})")
    return share


def main(argv: list[str] | None = None) -> int:
    try:
        return _run(build_parser().parse_args(argv))
    except UsageError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except RunFailed as error:
        print(f"failed: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
