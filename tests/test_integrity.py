"""What a lake publishes is recorded, checked by what relies on it, verified whole and repaired.

Each test damages a copy of the built sample (``cp -a``, as a user would copy it) the way the issue found it: a GOLD
month removed, a Parquet file truncated, a BRONZE file damaged before a period run that reuses BRONZE, the catalog
truncated or overwritten with random bytes. Every command that relies on the damaged part stops with one line naming
the table, the partition and the command that repairs it; running that command repairs the lake, and its tables then
hold what they held before the damage.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess

import pytest

from lds_utils import cli
from lds_utils.config import LakePaths, RunFailed
from lds_utils.lake import integrity
from lds_utils.lake.engines import DuckDBEngine
from lds_utils.reporting import report
from tests import lakecopy
from tests.lakecopy import run_cli

BILLS = "gold_factura_evaluada_mes"
FENCE = "gold_cerco_segmento_mes"
REPAIR = re.compile(r"repair with `python -m lds_utils ([^`]+)`")


def copy_lake(source, target):
    subprocess.run(["cp", "-a", str(source), str(target)], check=True)
    return target


@pytest.fixture
def lake(built_lake, tmp_path):
    return copy_lake(built_lake, tmp_path / "lago")


def version(lake, layer: str, table: str):
    (folder,) = [p for p in (LakePaths(lake).layer(layer) / table).iterdir() if p.name.startswith("v")]
    return folder


def partition_files(lake, table: str, month: str, layer: str = "gold"):
    return sorted((version(lake, layer, table) / f"anio_mes={month}").glob("*.parquet"))


def truncate(path, keep: int = 1000) -> None:
    data = path.read_bytes()
    path.write_bytes(data[:keep])


def repair(capsys, message: str, lake) -> None:
    """Run the command a failure line names, as printed; it must succeed."""
    command = REPAIR.search(message)
    assert command, message
    args = shlex.split(command.group(1))
    assert args[args.index("--lake") + 1] == str(lake)
    code, err = run_cli(capsys, *args)
    assert code == 0, err


def test_every_version_records_its_files_rows_and_sizes(built_lake):
    record = integrity.read_record(built_lake)
    with DuckDBEngine(built_lake, read_only=True) as engine:
        assert record == engine.published()
        for name, folder in integrity.published_folders(built_lake, record):
            content = integrity.read_content(folder)
            rows = engine.con.execute(f"select count(*) from {name}").fetchone()[0]
            assert content["filas"] == rows, name
            assert set(content["archivos"]) == {p.relative_to(folder).as_posix() for p in integrity.data_files(folder)}
            for relative, entry in content["archivos"].items():
                assert entry["bytes"] == (folder / relative).stat().st_size
    bills = integrity.read_content(version(built_lake, "gold", BILLS))
    assert bills["particion"] == "anio_mes" and "anio_mes=2025-11/data_0_0.parquet" in bills["archivos"]


def test_verificar_on_an_intact_lake_exits_0(lake, capsys):
    capsys.readouterr()
    assert cli.main(["verificar", "--lake", str(lake)]) == 0
    out = capsys.readouterr().out.strip().splitlines()
    assert len(out) == 1 and out[0].startswith(f"verificar: {lake} intact")


def test_a_removed_gold_month_stops_readers_and_period_runs_and_the_printed_command_repairs_it(lake, capsys):
    before = lakecopy.snapshot(lake)
    for path in partition_files(lake, BILLS, "2025-11"):
        path.unlink()
    digests = lakecopy.file_digests(lake)
    expected = (f"failed: gold_db.{BILLS}, partition anio_mes=2025-11: data_0_0.parquet is missing (version "
                f"{version(lake, 'gold', BILLS).name}): repair with `python -m lds_utils pipeline --lake {lake} "
                "--period 2025-11`")
    for command in (["alertas", "--period", "2025-12"], ["pipeline", "--period", "2025-12"],
                    ["book", "--period", "2025-12"]):
        assert run_cli(capsys, *command, "--lake", str(lake)) == (1, expected), command
    with pytest.raises(RunFailed, match=f"gold_db.{BILLS}, partition anio_mes=2025-11"):
        report.open_report("2025-12", lake=lake)
    assert lakecopy.file_digests(lake) == digests, "nothing written"
    repair(capsys, expected, lake)
    assert lakecopy.snapshot(lake) == before
    assert run_cli(capsys, "verificar", "--lake", str(lake))[0] == 0
    assert run_cli(capsys, "alertas", "--period", "2025-12", "--lake", str(lake))[0] == 0


def test_verificar_names_a_removed_month(lake, capsys):
    for path in partition_files(lake, BILLS, "2025-11"):
        path.unlink()
    capsys.readouterr()
    assert cli.main(["verificar", "--lake", str(lake)]) == 1
    out = capsys.readouterr().out.strip().splitlines()
    assert out[0].startswith(f"gold_db.{BILLS}, partition anio_mes=2025-11: data_0_0.parquet is missing")
    assert out[-1] == f"verificar: {lake}: 1 problem (33 tables and the catalog checked)"


def test_a_truncated_file_is_never_linked_into_a_new_version(lake, capsys):
    before = lakecopy.snapshot(lake)
    published = integrity.read_record(lake)
    (damaged,) = partition_files(lake, FENCE, "2025-10")
    truncate(damaged)
    code, err = run_cli(capsys, "pipeline", "--period", "2025-06", "--lake", str(lake))
    assert code == 1
    assert err.startswith(f"failed: gold_db.{FENCE}, partition anio_mes=2025-10: data_0_0.parquet has 1,000 bytes, "
                          "its manifest ")
    assert err.endswith(f"repair with `python -m lds_utils pipeline --lake {lake} --period 2025-10`")
    assert integrity.read_record(lake) == published and not lakecopy.leftovers(lake)
    links = [p for p in LakePaths(lake).gold.rglob("*.parquet") if p.samefile(damaged) and p != damaged]
    assert not links
    repair(capsys, err, lake)
    assert lakecopy.snapshot(lake) == before


def test_the_link_check_itself_refuses_a_damaged_partition(lake):
    """The check before linking, on its own: a period run that skipped the up-front check still stops."""
    from lds_utils.lake import pipeline

    (damaged,) = partition_files(lake, FENCE, "2025-10")
    truncate(damaged)
    published = integrity.read_record(lake)
    original = pipeline.check_reused
    try:
        pipeline.check_reused = lambda *args: None
        with pytest.raises(RunFailed, match=f"gold_db.{FENCE}, partition anio_mes=2025-10: data_0_0.parquet has"):
            pipeline.run_pipeline(lake, period="2025-06")
    finally:
        pipeline.check_reused = original
    assert integrity.read_record(lake) == published and not lakecopy.leftovers(lake)


def test_damaged_bronze_before_a_period_run_that_reuses_it(lake, capsys):
    before = lakecopy.snapshot(lake)
    damaged = version(lake, "bronze", "bronze_cliente") / "data.parquet"
    truncate(damaged)
    code, err = run_cli(capsys, "pipeline", "--period", "2025-06", "--lake", str(lake))
    assert code == 1
    assert err.startswith("failed: bronze_db.bronze_cliente: data.parquet has 1,000 bytes")
    assert err.endswith(f"repair with `python -m lds_utils pipeline --lake {lake}`")
    repair(capsys, err, lake)
    assert lakecopy.snapshot(lake) == before


def _same_size_garbage(path) -> None:
    """The file's last bytes (its footer) overwritten: the size stays, only a deep check sees it."""
    data = bytearray(path.read_bytes())
    data[-200:] = os.urandom(200)
    path.write_bytes(bytes(data))


@pytest.mark.parametrize("damage, detail", [
    ("missing", "data_0_0.parquet is missing"),
    ("truncated", "data_0_0.parquet has 1,000 bytes"),
    ("footer", "data_0_0.parquet is not a readable Parquet file"),
    ("extra", "data_9_9.parquet is not in the version's manifest"),
])
def test_verificar_names_each_damage_of_a_data_file(lake, capsys, damage, detail):
    (path,) = partition_files(lake, FENCE, "2024-03")
    if damage == "missing":
        path.unlink()
    elif damage == "truncated":
        truncate(path)
    elif damage == "footer":
        _same_size_garbage(path)
    else:
        path.with_name("data_9_9.parquet").write_bytes(path.read_bytes())
    capsys.readouterr()
    assert cli.main(["verificar", "--lake", str(lake)]) == 1
    out = capsys.readouterr().out.strip().splitlines()
    assert out[0].startswith(f"gold_db.{FENCE}, partition anio_mes=2024-03: {detail}")
    assert out[0].endswith(f"repair with `python -m lds_utils pipeline --lake {lake} --period 2024-03`")
    assert len(out) == 2 and "1 problem" in out[-1]


def test_a_damaged_alert_month_is_repaired_by_alertas(lake, capsys):
    before = lakecopy.snapshot(lake)
    (path,) = partition_files(lake, "gold_alertas_mes", "2025-03")
    truncate(path)
    capsys.readouterr()
    assert cli.main(["verificar", "--lake", str(lake)]) == 1
    line = capsys.readouterr().out.splitlines()[0]
    assert line.endswith(f"repair with `python -m lds_utils alertas --lake {lake} --period 2025-03`")
    repair(capsys, line, lake)
    assert lakecopy.snapshot(lake) == before
    assert run_cli(capsys, "verificar", "--lake", str(lake))[0] == 0


def _truncated(catalog):
    truncate(catalog, catalog.stat().st_size // 2)


def _random(catalog):
    catalog.write_bytes(os.urandom(4096))


@pytest.mark.parametrize("damage", [_truncated, _random], ids=["truncated", "random"])
def test_a_damaged_catalog_stops_every_command_and_verificar_reparar_rebuilds_it(lake, capsys, damage, tmp_path):
    before = lakecopy.snapshot(lake)
    catalog = LakePaths(lake).catalog
    damage(catalog)
    damaged_bytes = catalog.read_bytes()
    for command in (["pipeline"], ["pipeline", "--period", "2025-06"], ["alertas", "--period", "2025-12"],
                    ["book", "--period", "2025-12"]):
        code, err = run_cli(capsys, *command, "--lake", str(lake))
        assert code == 1, command
        assert err.startswith(f"failed: the catalog {catalog} is damaged ("), command
        assert err.endswith(f"`python -m lds_utils verificar --lake {lake} --reparar`"), command
        assert "\n" not in err
    with pytest.raises(RunFailed, match="is damaged"):
        report.open_report("2025-12", lake=lake)
    assert run_cli(capsys, "verificar", "--lake", str(lake))[0] == 1
    capsys.readouterr()
    assert cli.main(["verificar", "--lake", str(lake), "--reparar"]) == 0
    out = capsys.readouterr().out
    assert "rebuilt from publicado.json" in out
    (aside,) = lake.glob("catalog.duckdb.danado-*")
    assert aside.read_bytes() == damaged_bytes, "the damaged catalog is kept"
    assert lakecopy.snapshot(lake) == before
    assert run_cli(capsys, "pipeline", "--period", "2025-06", "--lake", str(lake))[0] == 0
    assert lakecopy.snapshot(lake) == before


def test_a_catalog_that_lost_an_entry_is_rebuilt(lake, capsys):
    before = lakecopy.snapshot(lake)
    with DuckDBEngine(lake) as engine:
        engine.con.execute("drop view gold_db.vw_kpi_atipicos_mes")
        engine.con.execute("drop view silver_db.silver_consumo_mensual")
    folders = sorted(p.name for p in lake.glob("*/*/v*"))
    code, err = run_cli(capsys, "pipeline", "--period", "2025-06", "--lake", str(lake))
    assert (code, err) == (1, f"failed: the catalog {lake / 'catalog.duckdb'} lost entries that publicado.json names "
                              f"(silver_db.silver_consumo_mensual): rebuild it with `python -m lds_utils verificar "
                              f"--lake {lake} --reparar`")
    assert sorted(p.name for p in lake.glob("*/*/v*")) == folders, "no published folder removed"
    capsys.readouterr()
    assert cli.main(["verificar", "--lake", str(lake)]) == 1
    assert "lost entries: silver_db.silver_consumo_mensual, gold_db.vw_kpi_atipicos_mes" in capsys.readouterr().out
    assert cli.main(["verificar", "--lake", str(lake), "--reparar"]) == 0
    assert lakecopy.snapshot(lake) == before


def test_a_crash_between_the_commit_and_the_record_loses_nothing(lake, capsys):
    """The record of what is published is written after the commit: a run killed in between leaves it behind the
    catalog; the next writer rewrites it from the catalog before removing unpublished folders."""
    record = LakePaths(lake).root / integrity.RECORD_NAME
    old = record.read_text(encoding="utf-8")
    assert run_cli(capsys, "pipeline", "--period", "2025-06", "--lake", str(lake))[0] == 0
    after = lakecopy.snapshot(lake)
    record.write_text(old, encoding="utf-8")  # as if killed right after the commit
    capsys.readouterr()
    assert cli.main(["verificar", "--lake", str(lake)]) == 1
    assert "publicado.json differs from the catalog" in capsys.readouterr().out
    assert run_cli(capsys, "pipeline", "--period", "2025-07", "--lake", str(lake))[0] == 0  # the next writer
    assert json.loads(record.read_text(encoding="utf-8")) != json.loads(old)
    assert run_cli(capsys, "verificar", "--lake", str(lake))[0] == 0
    assert lakecopy.snapshot(lake) == after


def test_verificar_is_for_the_local_lake(capsys, lake):
    code, err = run_cli(capsys, "verificar", "--engine", "athena", "--lake", str(lake))
    assert code == 2 and err == ("error: verificar checks a local lake (--engine duckdb); an Athena lake's files are "
                                 "S3's to keep")
