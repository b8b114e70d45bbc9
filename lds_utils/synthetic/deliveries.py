"""Which monthly delivery of the commercial system brings each RAW row: the month it learned of the row.

A reading or an inspection arrives in the month of its date; a tariff schedule in the month it takes effect; a
customer in the month of its registration; a supply, a meter or a tariff assignment in the month it starts, with its
closing date empty, and again, closed, in the month of its closing date (a disconnection, a meter removed, an
option changed): the later delivery's row replaces the earlier one in BRONZE. Sectors, and whatever happened before
the first month of data, arrive in the first delivery.

Deliveries are months as indices (``config.month_index``); the folders are ``raw/<tabla>/entrega=YYYY-MM/``.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from lds_utils import config

#: Tables whose rows close once: (column of the start date, column of the closing date).
CLOSING = {
    "suministro": ("fecha_conexion", "fecha_baja"),
    "medidor": ("fecha_instalacion", "fecha_retiro"),
    "asignacion_tarifa": ("fecha_inicio", "fecha_fin"),
}
#: The date that makes each other table's row known (None: every row is in the first delivery).
KNOWN_ON = {"sector": None, "tarifa": "vigencia_desde", "cliente": "fecha_alta", "acumulado": "fecha_lectura",
            "inspeccion": "fecha_inspeccion"}


def folder(month: int) -> str:
    return f"entrega={config.period_from_index(month)}"


def delivered(tabla: str, table: pa.Table, first: int) -> tuple[pa.Table, np.ndarray]:
    """The clean rows as the deliveries bring them (a closed row twice: open, then closed) and each one's delivery.

    ``first`` is the first delivery: rows known before it arrive in it.
    """
    if tabla in CLOSING:
        return _open_then_closed(table, *CLOSING[tabla], first)
    column = KNOWN_ON[tabla]
    if column is None:
        return table, np.full(table.num_rows, first)
    return table, np.maximum(_months(table.column(column)), first)


def _open_then_closed(table: pa.Table, start: str, closing: str, first: int) -> tuple[pa.Table, np.ndarray]:
    closes = pc.is_valid(table.column(closing)).to_numpy(zero_copy_only=False)
    opened = np.maximum(_months(table.column(start)), first)
    closed = np.where(closes, np.maximum(_months(table.column(closing)), first), opened)
    reopened = closed > opened  # closed in a later delivery than the one that opened it
    still_open = table.filter(pa.array(reopened))
    still_open = still_open.set_column(still_open.schema.get_field_index(closing), closing,
                                       pa.nulls(still_open.num_rows, table.schema.field(closing).type))
    return pa.concat_tables([still_open, table]), np.concatenate([opened[reopened], closed])


def _months(dates: pa.ChunkedArray) -> np.ndarray:
    """Month index of ISO date strings ('2024-03-15' -> month_index('2024-03')); -1 for nulls."""
    year = pc.cast(pc.utf8_slice_codeunits(dates, 0, 4), pa.int64())
    month = pc.cast(pc.utf8_slice_codeunits(dates, 5, 7), pa.int64())
    index = pc.subtract(pc.add(pc.multiply(year, 12), month), 1)
    return pc.fill_null(index, -1).to_numpy()


def by_delivery(table: pa.Table, delivery: np.ndarray, desde: int, hasta: int,
                every_month: bool = False) -> Iterator[tuple[int, pa.Table]]:
    """(delivery, its rows) for every delivery desde..hasta that has rows (every one, empty or not, when every_month),
    in month order; rows keep their order."""
    wanted = np.flatnonzero((delivery >= desde) & (delivery <= hasta))
    wanted = wanted[np.argsort(delivery[wanted], kind="stable")]
    bounds = np.searchsorted(delivery[wanted], np.arange(desde, hasta + 2))
    table = table.combine_chunks()  # Arrow's take gathers from one buffer per column twice as fast as from several
    for month, begin, end in zip(range(desde, hasta + 1), bounds[:-1], bounds[1:]):
        if end > begin or every_month:
            yield month, table.take(pa.array(wanted[begin:end]))
