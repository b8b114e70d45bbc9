"""A project that never destroys and says one line for every bad argument and resource.

Each case runs through ``lds_utils.cli.main`` (and some as a real process) and asserts the exit code, that stderr is
one line, and that nothing changed: every file's bytes and modification time are compared before and after
(``tree_digest``). Lakes are copied as a user would (``cp -a``); a read-only share is a real read-only bind mount and
a full disk a real small tmpfs (tests/mounts.py: they skip where the test may not mount), and a simulated ENOSPC runs
everywhere.
"""

from __future__ import annotations

import errno
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from lds_utils import cli, config
from lds_utils.aws.settings import AwsSettings, load_settings
from lds_utils.config import PROJECT_ROOT, UsageError
from lds_utils.lake import rawcheck
from lds_utils.lake.pipeline import run_pipeline
from lds_utils.reporting import book
from lds_utils.synthetic import generate
from lds_utils.synthetic.generate import GENERACION, STAGING, GeneratorConfig, run_generate
from tests.lakecopy import cp_a
from tests.mounts import read_only_view, small_disk
from tests.test_readonly import tree_digest

TINY = ["--clientes", "20", "--desde", "2025-01", "--hasta", "2025-03", "--historia-previa", "0", "--quiet"]
TINY_SAMPLE = GeneratorConfig(n_clientes=20, seed=1, desde="2025-01", hasta="2025-03", historia_previa_meses=0)
SECRET = "root:x:0:0:secreto-de-etc"


def one_line(stderr: str, prefix: str = "error: ") -> str:
    progress = ("pipeline: ", "Preparando el lago de demostración")
    messages = [line for line in stderr.splitlines() if not line.startswith(progress)]
    assert len(messages) == 1 and messages[0].startswith(prefix) and "Traceback" not in stderr, stderr
    return messages[0]


def run(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "lds_utils", *args], capture_output=True, text=True, cwd=PROJECT_ROOT,
                          timeout=300, env={**os.environ, "PYTHONPATH": str(PROJECT_ROOT), **(env or {})})


@pytest.fixture(scope="module")
def generated(tmp_path_factory) -> Path:
    """A small generated lake (RAW and truth only); tests use copies of it."""
    lake = tmp_path_factory.mktemp("generado") / "lake"
    run_generate(TINY_SAMPLE, lake)
    return lake


def etc_copy(folder: Path) -> Path:
    """A folder like /etc: files that are not a lake (a first line that must never be shown)."""
    folder.mkdir()
    (folder / "passwd").write_text(f"{SECRET}\n", encoding="utf-8")
    (folder / "hosts").write_text("127.0.0.1 localhost\n", encoding="utf-8")
    return folder


# -- 6. arguments ------------------------------------------------------------------------------------------
def test_a_lake_path_that_is_a_file_is_one_line_in_every_command(tmp_path, monkeypatch, capsys):
    afile = tmp_path / "datos.txt"
    afile.write_text("no es un lago\n")
    before = tree_digest(tmp_path)
    for command in (["pipeline"], ["generate", *TINY], ["book"], ["alertas", "--period", "2025-01"]):
        assert cli.main([*command, "--lake", str(afile)]) == 2
        assert "is a file, not a folder" in one_line(capsys.readouterr().err)
    monkeypatch.setenv("LDS_LAKE", str(afile))
    assert cli.main(["pipeline"]) == 2
    assert "is a file, not a folder" in one_line(capsys.readouterr().err)
    done = run("pipeline", env={"LDS_LAKE": str(afile)})
    assert done.returncode == 2 and "is a file, not a folder" in one_line(done.stderr)
    assert tree_digest(tmp_path) == before


def test_a_lake_path_under_a_file_is_one_line(tmp_path, capsys):
    afile = tmp_path / "datos.txt"
    afile.write_text("no es un lago\n")
    before = tree_digest(tmp_path)
    for command in (["pipeline"], ["generate", *TINY], ["book"]):
        assert cli.main([*command, "--lake", str(afile / "sub")]) == 2
        assert f"is under {afile}, which is a file" in one_line(capsys.readouterr().err)
    done = run("generate", *TINY, "--lake", str(afile / "sub" / "lake"))
    assert done.returncode == 2 and "which is a file" in one_line(done.stderr)
    assert tree_digest(tmp_path) == before


@pytest.mark.parametrize("special", ["/proc/self", "/proc/self/lake", "/sys/kernel", "/dev/shm/../null"])
def test_system_folders_are_not_lakes(special, capsys):
    for command in (["pipeline"], ["generate", *TINY], ["book"]):
        assert cli.main([*command, "--lake", special]) == 2
        assert "inside the system folder" in one_line(capsys.readouterr().err)


def test_a_real_process_refuses_proc_self():
    done = run("pipeline", "--lake", "/proc/self")
    assert done.returncode == 2 and "inside the system folder /proc" in one_line(done.stderr)


def test_a_lake_path_that_cannot_be_created_is_one_line(tmp_path, capsys):
    too_long = tmp_path / ("x" * 300) / "lake"
    assert cli.main(["generate", *TINY, "--lake", str(too_long)]) == 2
    assert "cannot be used: File name too long" in one_line(capsys.readouterr().err)
    assert list(tmp_path.iterdir()) == []


NUMBERS = [
    (["generate", "--clientes", "٣"], "--clientes must be a whole number written with the digits 0-9"),
    (["generate", "--clientes", "３"], "--clientes must be a whole number written with the digits 0-9"),
    (["generate", "--seed", "١"], "--seed must be a whole number written with the digits 0-9"),
    (["generate", "--seed", "1_000"], "--seed must be a whole number written with the digits 0-9"),
    (["generate", "--seed", str(2**64)], "--seed must be at most"),
    (["generate", "--historia-previa", "١٢"], "--historia-previa must be a whole number written with the digits 0-9"),
    (["generate", "--historia-previa", "100000"], "--historia-previa must be at most 120"),
    (["generate", "--desde", "1900-06"], "months of history before 1900-06 start before 1900-01"),
    (["generate", "--desde", "٢٠٢٥-٠١"], "--desde must be a month"),
    (["pipeline", "--period", "٢٠٢٥-٠١"], "--period must be a month"),
    (["alertas", "--period", "2025-01", "--capacidad", "٠.٥"], "--capacidad must be a number written with the digits"),
    (["alertas", "--period", "2025-01", "--capacidad", "nan"], "--capacidad must be a number written with the digits"),
    (["alertas", "--period", "2025-01", "--capacidad", "1e400"], "--capacidad is out of range"),
    (["setup", "--dry-run", "--scan-limit-gb", "inf"], "scan limit (GB) must be a number"),
    (["setup", "--dry-run", "--scan-limit-gb", "nan"], "scan limit (GB) must be a number"),
    (["setup", "--dry-run", "--scan-limit-gb", "1e400"], "scan limit (GB) is out of range"),
    (["setup", "--dry-run", "--scan-limit-gb", "-1"], "scan limit must be at least 0.01 GB"),
    (["setup", "--dry-run", "--scan-limit-gb", "1e300"], "scan limit must be at least 0.01 GB"),
    (["setup", "--dry-run", "--scan-limit-gb", "٥٠"], "scan limit (GB) must be a number"),
]


@pytest.mark.parametrize("args, message", NUMBERS, ids=[" ".join(args[-2:]) for args, _ in NUMBERS])
def test_numbers_are_ascii_finite_and_in_range(args, message, tmp_path, capsys):
    lake = ["--lake", str(tmp_path / "lake")] if args[0] != "setup" else []
    assert cli.main([*args, *lake]) == 2
    assert message in one_line(capsys.readouterr().err)
    assert list(tmp_path.iterdir()) == []


def test_numbers_are_refused_by_a_real_process_too():
    done = run("setup", "--dry-run", "--scan-limit-gb", "inf")
    assert done.returncode == 2 and "scan limit (GB) must be a number" in one_line(done.stderr)
    done = run("generate", "--clientes", "٣", "--lake", "/nonexistent/never")
    assert done.returncode == 2 and "--clientes must be a whole number" in one_line(done.stderr)


BAD_BUCKETS = {
    "192.168.0.1": "formatted as an IP address",
    "xn--bucket": "uses 'xn--'",
    "sthree-datos": "uses 'sthree-'",
    "amzn-s3-demo-lago": "uses 'amzn-s3-demo-'",
    "bucket-s3alias": "uses '-s3alias'",
    "bucket--ol-s3": "uses '--ol-s3'",
    "bucket.mrap": "uses '.mrap'",
    "bucket--x-s3": "uses '--x-s3'",
    "bucket--table-s3": "uses '--table-s3'",
    "ab": "invalid S3 bucket name",
    "a" * 64: "invalid S3 bucket name",
    "Lago-Datos": "invalid S3 bucket name",
    "lago..datos": "invalid S3 bucket name",
    "-lago": "invalid S3 bucket name",
    "lago_datos": "invalid S3 bucket name",
    "lago\n": "invalid S3 bucket name",
}


@pytest.mark.parametrize("bucket", BAD_BUCKETS)
def test_bucket_names_follow_the_s3_rules(bucket, capsys):
    assert cli.main(["setup", "--dry-run", f"--bucket={bucket}"]) == 2
    assert BAD_BUCKETS[bucket] in one_line(capsys.readouterr().err)


def test_good_bucket_names_are_accepted_and_a_real_process_refuses_an_ip_address():
    for bucket in ("abc", "lds-s3-bucket-demo", "datos.lds.2025", "a" * 63):
        assert load_settings(bucket=bucket, environ={}).bucket == bucket
    done = run("setup", "--dry-run", "--bucket", "192.168.0.1")
    assert done.returncode == 2 and "formatted as an IP address" in one_line(done.stderr)


@pytest.mark.parametrize("part", ["\x00", "\x00\x00\x00", " ", "", "raw\nx", "raw\x7f", "gold\tx"])
def test_s3_key_parts_refuse_blank_and_control_characters(part):
    with pytest.raises(UsageError, match="invalid S3 key part"):
        AwsSettings().uri("raw", part)
    with pytest.raises(UsageError, match="invalid S3 key part"):
        AwsSettings().prefix(part)


def test_an_aws_config_path_with_a_nul_is_one_line(capsys):
    assert cli.main(["setup", "--dry-run", "--aws-config", "conf\x00.yml"]) == 2
    assert "must not contain control characters" in one_line(capsys.readouterr().err)


# -- 5. never a destroyer ----------------------------------------------------------------------------------
def test_what_is_a_lake(generated, tmp_path):
    extracts = tmp_path / "extractos"
    (extracts / "raw" / "cliente").mkdir(parents=True)
    assert config.is_lake(generated) and config.is_lake(extracts)
    assert not config.is_lake(etc_copy(tmp_path / "etc"))
    (tmp_path / "casi" / "raw").mkdir(parents=True)
    assert not config.is_lake(tmp_path / "casi")


def test_generate_refuses_a_folder_that_is_not_a_lake(tmp_path, capsys):
    folder = tmp_path / "carpeta"
    (folder / "raw").mkdir(parents=True)
    (folder / "truth").mkdir()
    (folder / "raw" / "important.txt").write_text("no borrar\n")
    (folder / "truth" / "notes.txt").write_text("notas\n")
    before = tree_digest(folder)
    assert cli.main(["generate", *TINY, "--lake", str(folder)]) == 2
    assert f"{folder} is not empty and is not a lake" in one_line(capsys.readouterr().err)
    assert tree_digest(folder) == before
    done = run("generate", *TINY, "--lake", str(folder))
    assert done.returncode == 2 and "is not a lake" in one_line(done.stderr)
    assert tree_digest(folder) == before


def test_generate_in_a_lake_refuses_to_delete_files_it_did_not_write(generated, tmp_path, capsys):
    lake = cp_a(generated, tmp_path / "lake")
    (lake / "raw" / "important.txt").write_text("no borrar\n")
    (lake / "truth" / "notes.txt").write_text("notas\n")
    (lake / "raw" / "cliente" / "extracto_2025.csv").write_text("id_cliente\n")
    os.symlink("/etc", lake / "raw" / "medidor" / "part-00009.csv")
    before = tree_digest(lake)
    assert cli.main(["generate", *TINY, "--lake", str(lake)]) == 2
    message = one_line(capsys.readouterr().err)
    for name in ("raw/important.txt", "truth/notes.txt", "raw/cliente/extracto_2025.csv", "raw/medidor/part-00009.csv"):
        assert name in message
    assert tree_digest(lake) == before


def test_generate_replaces_its_own_files_in_a_lake(generated, tmp_path, capsys):
    lake = cp_a(generated, tmp_path / "lake")
    assert cli.main(["generate", *TINY, "--seed", "2", "--lake", str(lake)]) == 0
    assert '"seed": 2' in (lake / GENERACION).read_text()


def test_generate_and_book_refuse_a_symlink_to_a_folder_that_is_not_a_lake(tmp_path, monkeypatch, capsys):
    etc = etc_copy(tmp_path / "etc")
    link = tmp_path / "lake"
    link.symlink_to(etc)
    before = tree_digest(etc)
    assert cli.main(["generate", *TINY, "--lake", str(link)]) == 2
    assert f"{etc} is not empty and is not a lake" in one_line(capsys.readouterr().err)
    monkeypatch.setattr(book, "DEMO_LAKE", etc)  # the demo lake's folder is a link to it
    assert cli.main(["book", "--lake", str(link)]) == 2
    assert f"{etc} is not empty and is not a lake" in one_line(capsys.readouterr().err)
    assert tree_digest(etc) == before


@pytest.mark.parametrize("link", ["file", "table folder", "raw"])
def test_rawcheck_refuses_symlinks_without_showing_the_target(link, generated, tmp_path, capsys):
    lake = cp_a(generated, tmp_path / "lake")
    outside = etc_copy(tmp_path / "etc")
    if link == "file":
        target = rawcheck.table_files(lake / "raw" / "sector", "sector")[0]
        target.unlink()
        target.symlink_to(outside / "passwd")
    elif link == "table folder":
        shutil.rmtree(lake / "raw" / "sector")
        (lake / "raw" / "sector").symlink_to(outside)
    else:
        moved = shutil.move(lake / "raw", tmp_path / "raw_fuera")
        (lake / "raw").symlink_to(moved)
    before = tree_digest(outside)
    assert cli.main(["pipeline", "--lake", str(lake)]) == 2
    message = one_line(capsys.readouterr().err)
    assert "symbolic link" in message and "secreto" not in message
    assert tree_digest(outside) == before


# -- 4. resources: a full disk, a read-only target ---------------------------------------------------------
def test_generate_on_a_full_disk_is_one_line_and_leaves_no_staging(generated, tmp_path, monkeypatch, capsys):
    """Simulated ENOSPC (runs everywhere): the previous lake stays as it was."""
    lake = cp_a(generated, tmp_path / "lake")
    before = tree_digest(lake)
    real_write_part = generate._write_part

    def full_disk(staging, tabla, delivery, chunk, table):
        if tabla == "acumulado":
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(staging / "raw" / tabla))
        return real_write_part(staging, tabla, delivery, chunk, table)

    monkeypatch.setattr(generate, "_write_part", full_disk)
    assert cli.main(["generate", *TINY, "--lake", str(lake)]) == 1
    message = one_line(capsys.readouterr().err, "failed: ")
    assert "no space left on the device" in message and "python -m lds_utils generate" in message
    assert not (lake / STAGING).exists() and not (lake / ".write_probe").exists()
    def data(digest):  # the lake folder's own time changes (the staging came and went), and the lock's
        return {name: value for name, value in digest.items() if name not in (".", ".lock")}

    assert data(tree_digest(lake)) == data(before)


def test_generate_removes_a_stale_staging_and_probe_before_checking_the_disk(tmp_path, capsys):
    """A real small disk filled by a killed run's staging: the next generate removes it first, then fits."""
    with small_disk(tmp_path / "disco", "1m") as disk:
        lake = disk / "lake"
        (lake / STAGING / "raw").mkdir(parents=True)
        (lake / ".lock").write_text("1")
        with pytest.raises(OSError) as full:
            (lake / STAGING / "raw" / "relleno.csv").write_bytes(b"0" * (2 << 20))
        assert full.value.errno == errno.ENOSPC
        (lake / ".write_probe").touch()
        assert cli.main(["generate", *TINY, "--lake", str(lake)]) == 0, capsys.readouterr().err
        assert not (lake / STAGING).exists() and not (lake / ".write_probe").exists()
        assert (lake / GENERACION).is_file()


def test_generate_too_big_for_a_real_small_disk_is_one_line_and_leaves_nothing(tmp_path):
    with small_disk(tmp_path / "disco", "1m") as disk:
        done = run("generate", "--clientes", "400", "--quiet", "--lake", str(disk / "lake"))
        assert done.returncode == 1
        assert "no space left on the device" in one_line(done.stderr, "failed: ")
        assert sorted(path.name for path in (disk / "lake").iterdir()) == [".lock"]


def test_generate_on_a_read_only_lake_is_one_line(generated, tmp_path, capsys):
    lake = cp_a(generated, tmp_path / "lake")
    (lake / STAGING).mkdir()  # a killed run's leftover: cannot be removed either
    before = tree_digest(lake)
    with read_only_view(lake, tmp_path / "solo_lectura") as view:
        assert cli.main(["generate", *TINY, "--lake", str(view)]) == 2
        message = one_line(capsys.readouterr().err)
        assert f"the lake {view} is read-only" in message and "Read-only file system" in message
    assert tree_digest(lake) == before


def test_book_on_a_full_disk_removes_its_staging(generated, tmp_path, monkeypatch):
    """Simulated ENOSPC while the notebooks run; the context of the edition is faked (no built lake needed)."""
    build = tmp_path / "_build"

    class Context:
        period, engine_name = "2025-03", "duckdb"

        def data_dictionary(self):
            return book.pd.DataFrame({"base_datos": [], "tabla": [], "filas": []})

        def close(self):
            pass

    monkeypatch.setattr(book.report, "open_report", lambda *args: Context())
    monkeypatch.setattr(book.report, "require_generation", lambda lake: {})
    monkeypatch.setattr(book.alerts, "require_tables", lambda ctx: None)

    def full_disk(ejecuciones, progress):
        a_medias = ejecuciones[0].destino
        a_medias.write_text("{")
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(a_medias))

    monkeypatch.setattr(book, "run_notebooks", full_disk)
    with pytest.raises(config.RunFailed, match="no space left on the device of .* while building the book of 2025-03"):
        book.build_book(lake=generated, build_root=build, progress=False)
    assert list((build / ".staging").iterdir()) == []


# -- 3. a read-only demo lake: readers work, a needed writer step is one line ------------------------------
def test_read_only_demo_lake_that_needs_the_pipeline_is_one_line(generated, tmp_path, monkeypatch, capsys):
    lake = cp_a(generated, tmp_path / "lake")
    before = tree_digest(lake)
    with read_only_view(lake, tmp_path / "publicado") as view:
        monkeypatch.setattr(book, "DEMO_LAKE", view)
        assert cli.main(["book", "--lake", str(view)]) == 2
        message = one_line(capsys.readouterr().err)
        assert message.startswith(f"error: the demo lake {view} needs the pipeline run, but {view} cannot be written")
    assert tree_digest(lake) == before


def test_read_only_demo_lake_that_needs_its_alerts_is_one_line(generated, tmp_path, monkeypatch, capsys):
    lake = cp_a(generated, tmp_path / "lake")
    run_pipeline(lake)  # no alert relations
    capsys.readouterr()
    before = tree_digest(lake)
    with read_only_view(lake, tmp_path / "publicado") as view:
        monkeypatch.setattr(book, "DEMO_LAKE", view)
        assert cli.main(["book", "--lake", str(view)]) == 2
        assert "needs its alert relations built, but" in one_line(capsys.readouterr().err)
    assert tree_digest(lake) == before


def test_read_only_empty_demo_lake_is_one_line(tmp_path, monkeypatch, capsys):
    empty = tmp_path / "vacio"
    empty.mkdir()
    with read_only_view(empty, tmp_path / "publicado") as view:
        monkeypatch.setattr(book, "DEMO_LAKE", view)
        assert cli.main(["book", "--lake", str(view)]) == 2
        assert "needs the default sample generated, but" in one_line(capsys.readouterr().err)
    assert list(empty.iterdir()) == []
