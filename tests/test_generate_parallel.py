"""The generator writes its chunks with one worker process per core: the bytes must not depend on that."""

from __future__ import annotations

import hashlib

from lds_utils.synthetic import generate
from lds_utils.synthetic.generate import GeneratorConfig, run_generate

# Three small chunks: enough for a pool of workers, cheap to generate twice.
CFG = GeneratorConfig(n_clientes=2_400, clientes_por_bloque=800)


def _digests(lake) -> dict[str, str]:
    files = sorted(p for folder in ("raw", "truth") for p in (lake / folder).rglob("*") if p.is_file())
    return {str(p.relative_to(lake)): hashlib.sha256(p.read_bytes()).hexdigest() for p in files}


def _generate(lake, cores: int, monkeypatch) -> dict[str, int]:
    monkeypatch.setattr(generate.os, "cpu_count", lambda: cores)
    return run_generate(CFG, lake)


def test_same_bytes_with_a_worker_per_chunk_and_without_workers(tmp_path, monkeypatch):
    counts_pool = _generate(tmp_path / "pool", CFG.n_bloques, monkeypatch)
    counts_inline = _generate(tmp_path / "inline", 1, monkeypatch)
    assert counts_pool == counts_inline
    pool, inline = _digests(tmp_path / "pool"), _digests(tmp_path / "inline")
    readings = [name for name in pool if name.startswith("raw/acumulado/")]
    assert len(readings) == CFG.n_bloques * (len(CFG.periodos) + 1)  # a file per chunk and delivery (opening month)
    assert pool == inline
