"""Raw dirt at a small rate, every injected case listed in ``truth/suciedad.csv``.

Kinds: stray spaces and mixed case in codes (cleanable: BRONZE trims and upper-cases codes), exact
duplicate rows, missing required values, unparseable dates and numbers, and foreign keys without a
parent. Destructive dirt goes on *extra* rows with a new key in the tables other rows depend on
(rejecting a real customer would orphan its whole chain), and on the real rows of the leaf tables
(acumulado, inspeccion, evento_medidor), where losing a record is what really happens.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from lds_utils.lake.schema import FOREIGN_KEYS, PRIMARY_KEYS
from lds_utils.synthetic import text
from lds_utils.synthetic.population import ANCHO_CLIENTE, ANCHO_SUMINISTRO
from lds_utils.synthetic.settings import TIPOS_SUCIEDAD, GeneratorConfig

SUCIEDAD_COLUMNS = ["tabla", "id", "tipo_suciedad", "detalle"]
FECHAS_INVALIDAS = ("2024-02-30", "31/12/2023", "N/D", "2023-13-01", "00-00-0000")
NUMEROS_INVALIDOS = ("N/D", "12.5.3", "1O5", "-", "s/n", "xx")
ESPACIOS, DUPLICADA, FALTANTE, FECHA, NUMERO, HUERFANA = TIPOS_SUCIEDAD


@dataclass(frozen=True)
class DirtSpec:
    codes: tuple[str, ...]  # code columns BRONZE normalises with upper(trim(...))
    dates: tuple[str, ...]  # required dates
    numbers: tuple[str, ...]  # required numbers
    required: tuple[str, ...]
    in_place: bool  # leaf table: corrupt real rows; otherwise add corrupted extra rows with a new key


SPECS = {
    "sector": DirtSpec(("alimentador",), (), ("lat", "lon"), ("id_sector", "distrito", "zona"), False),
    "tarifa": DirtSpec(("opcion_tarifaria", "nivel_tension"), ("vigencia_desde",), ("cargo_fijo",),
                       ("id_tarifa", "cargo_fijo"), False),
    "cliente": DirtSpec(("tipo_cliente", "tipo_documento"), ("fecha_alta",), (),
                        ("id_cliente", "tipo_cliente", "fecha_alta"), False),
    "suministro": DirtSpec(("nivel_tension",), ("fecha_conexion",), ("potencia_contratada_kw",),
                           ("id_suministro", "id_cliente", "id_sector"), False),
    "medidor": DirtSpec(("tipo_medidor",), ("fecha_instalacion",), ("numero_digitos", "factor_medidor"),
                        ("id_medidor", "id_suministro"), False),
    "asignacion_tarifa": DirtSpec(("opcion_tarifaria",), ("fecha_inicio",), (),
                                  ("id_asignacion", "id_suministro", "opcion_tarifaria"), False),
    "acumulado": DirtSpec(("tipo_lectura",), ("fecha_lectura",), ("lectura_kwh", "registros_esperados"),
                          ("id_lectura", "id_medidor", "fecha_lectura", "lectura_kwh"), True),
    "inspeccion": DirtSpec(("motivo_inspeccion", "resultado"), ("fecha_inspeccion",), (),
                           ("id_inspeccion", "id_suministro", "resultado"), True),
    # The intervals get what interval collection does instead (lds_utils.synthetic.ami).
    "evento_medidor": DirtSpec(("codigo_evento",), ("fecha_hora",), (),
                               ("id_evento", "id_medidor", "codigo_evento"), True),
}


def foreign_columns(tabla: str) -> tuple[str, ...]:
    return tuple(column for (table, column) in FOREIGN_KEYS if table == tabla)


def applicable(tabla: str) -> dict[str, tuple[str, ...]]:
    """Dirt kind -> columns it can hit in this table (kinds without columns do not apply)."""
    spec = SPECS[tabla]
    kinds = {ESPACIOS: spec.codes, DUPLICADA: (PRIMARY_KEYS[tabla],), FALTANTE: spec.required,
             FECHA: spec.dates, NUMERO: spec.numbers, HUERFANA: foreign_columns(tabla)}
    return {kind: columns for kind, columns in kinds.items() if columns}


class Dirtied(NamedTuple):
    """A table after inject_dirt, its truth rows, and the clean row each of them comes from (``origin``)."""

    table: pa.Table
    truth: pa.Table
    origin: np.ndarray  # per row of table
    truth_origin: np.ndarray  # per row of truth


def inject_dirt(cfg: GeneratorConfig, tabla: str, table: pa.Table, rng: np.random.Generator) -> Dirtied:
    """Dirt at ``cfg.tasa_suciedad`` of the rows. Modified rows keep their place; duplicates and extra rows go last."""
    count = int(round(cfg.tasa_suciedad * table.num_rows))
    kinds = applicable(tabla)
    names = list(kinds)
    mix = np.array([dict(cfg.mezcla_suciedad)[kind] for kind in names])
    rows = np.sort(rng.choice(table.num_rows, count, replace=False))
    kind_of_row = rng.choice(len(names), count, p=mix / mix.sum())
    key = PRIMARY_KEYS[tabla]
    spec = SPECS[tabla]
    origin, appended, truths, truth_origin = [np.arange(table.num_rows)], [], [], []
    for index, kind in enumerate(names):
        chosen = rows[kind_of_row == index]
        if len(chosen) == 0:
            continue
        truth_origin.append(chosen)
        if kind == DUPLICADA:
            appended.append(table.take(chosen))
            origin.append(chosen)
            truths.append(_truth(tabla, _values(table, key, chosen), kind, "copia exacta de la fila"))
            continue
        column = np.array(kinds[kind])[rng.integers(0, len(kinds[kind]), len(chosen))]
        if kind == ESPACIOS or spec.in_place:
            table, truth = _corrupt_in_place(cfg, rng, tabla, table, chosen, column, kind)
        else:
            extra, truth = _corrupt_extra_rows(cfg, rng, tabla, table.take(chosen), column, kind)
            appended.append(extra)
            origin.append(chosen)
        truths.append(truth)
    return Dirtied(pa.concat_tables([table, *appended]), pa.concat_tables(truths) if truths else empty_truth(),
                   np.concatenate(origin), np.concatenate(truth_origin) if truth_origin else np.array([], dtype=int))


def empty_truth() -> pa.Table:
    return pa.table({name: pa.array([], pa.string()) for name in SUCIEDAD_COLUMNS})


def _corrupt_in_place(cfg, rng, tabla, table, rows, column, kind):
    key = PRIMARY_KEYS[tabla]
    original_key = _values(table, key, rows)
    original = _shown(table, rows, column)
    for name in np.unique(column):
        hit = rows[column == name]
        table = _replace(table, name, hit, _bad_values(cfg, rng, kind, _values(table, name, hit), name))
    new_key = _values(table, key, rows)
    # The original value lets evaluation trace a record whose key or foreign key was corrupted.
    detail = text.join("columna=", pa.array(column), "; valor=", _shown(table, rows, column),
                       "; valor original=", original)
    return table, _truth(tabla, pc.if_else(pc.is_null(new_key), new_key, original_key), kind, detail)


def _corrupt_extra_rows(cfg, rng, tabla, extra, column, kind):
    key = PRIMARY_KEYS[tabla]
    everything = np.arange(extra.num_rows)
    extra = _replace(extra, key, everything, text.join(extra.column(key).combine_chunks(), "-X"))
    for name in np.unique(column):
        hit = everything[column == name]
        extra = _replace(extra, name, hit, _bad_values(cfg, rng, kind, _values(extra, name, hit), name))
    detail = text.join("fila adicional con clave nueva; columna=", pa.array(column), "; valor=",
                       _shown(extra, everything, column))
    return extra, _truth(tabla, extra.column(key).combine_chunks(), kind, detail)


def _bad_values(cfg, rng, kind, current: pa.Array, column: str) -> pa.Array:
    size = len(current)
    if kind == ESPACIOS:
        variants = [text.join(" ", current), text.join(current, "  "), pc.utf8_lower(current),
                    text.join(" ", pc.utf8_capitalize(current), " ")]
        return pc.choose(pa.array(rng.integers(0, len(variants), size).astype(np.int8)), *variants)
    if kind == FALTANTE:
        return pa.nulls(size, pa.string())
    if kind == FECHA:
        return text.codes(FECHAS_INVALIDAS, rng.integers(0, len(FECHAS_INVALIDAS), size))
    if kind == NUMERO:
        return text.codes(NUMEROS_INVALIDOS, rng.integers(0, len(NUMEROS_INVALIDOS), size))
    return orphan_ids(cfg, rng, column, size)


def orphan_ids(cfg: GeneratorConfig, rng: np.random.Generator, column: str, size: int) -> pa.Array:
    """Well-formed keys of customers beyond n_clientes (or of a sector number no district has)."""
    beyond = cfg.n_clientes + 1 + rng.integers(0, 1_000_000, size)
    if column == "id_cliente":
        return text.ids("C", beyond, ANCHO_CLIENTE)
    if column == "id_suministro":
        return text.ids("S", beyond * 10 + 1, ANCHO_SUMINISTRO)
    if column == "id_medidor":
        return text.ids("M", beyond * 10 + 1, ANCHO_SUMINISTRO, suffix=np.ones(size, int))
    if column == "id_sector":
        return text.join(text.ids("SE150", rng.integers(0, 1000, size), 3), "-99")
    raise ValueError(f"no orphan rule for column {column!r}")


def _replace(table: pa.Table, column: str, rows: np.ndarray, values: pa.Array) -> pa.Table:
    """Put values (in the order of rows) at those rows of a column."""
    order = np.argsort(rows, kind="stable")
    mask = np.zeros(table.num_rows, dtype=bool)
    mask[rows] = True
    current = table.column(column).combine_chunks()
    updated = pc.replace_with_mask(current, pa.array(mask), values.take(pa.array(order)))
    return table.set_column(table.schema.get_field_index(column), column, updated)


def _values(table: pa.Table, column: str, rows: np.ndarray) -> pa.Array:
    return table.column(column).take(pa.array(rows)).combine_chunks()


def _shown(table: pa.Table, rows: np.ndarray, column: np.ndarray) -> pa.Array:
    """The value each corrupted row now holds in its corrupted column ('(vacio)' for null)."""
    shown = pa.nulls(len(rows), pa.string())
    for name in np.unique(column):
        hit = np.flatnonzero(column == name)
        values = _values(table, name, rows[hit])
        mask = np.zeros(len(rows), dtype=bool)
        mask[hit] = True
        shown = pc.replace_with_mask(shown, pa.array(mask), values)
    return pc.fill_null(shown, "(vacio)")


def _truth(tabla: str, ids, kind: str, detail) -> pa.Table:
    size = len(ids)
    if isinstance(ids, pa.ChunkedArray):
        ids = ids.combine_chunks()
    if isinstance(detail, str):
        detail = pa.repeat(pa.scalar(detail), size)
    return pa.table({
        "tabla": pa.repeat(pa.scalar(tabla), size),
        "id": ids,
        "tipo_suciedad": pa.repeat(pa.scalar(kind), size),
        "detalle": detail,
    })
