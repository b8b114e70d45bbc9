"""Regulated bill parameters: IGV, FOSE, public lighting (alumbrado público).

The tariff charges themselves (cargo fijo, energy, power) come from ``bronze_db.bronze_tarifa``, one
pliego per option and month. What this module holds are the rules that sit on top of the pliego, each
with the source it was taken from (copied from the project's reference file, so the package works
from its own clone). They reach the SQL as bound parameters (``billing_parameters()``), never as text.
What each tariff option is (voltage level, one or two energy registers, power charge, FOSE) is
reference data of its own, ``sql/bronze/ref_opcion_tarifaria.sql``: the SQL joins that relation and
Python reads it by running the same file (``tariff_options()``), so no list of options is written twice.

How the theoretical bill is built (``sql/gold/gold_factura_evaluada_mes.sql`` and its pandas
twin in the test oracle, ``tests/oracle.py``); amounts in S/, before IGV unless stated:

1. cargo fijo: the pliego's ``cargo_fijo`` (S/ per month).
2. energy: single-register options (today BT5B, BT4, MT4) pay ``consumo_kwh x cargo_energia / 100``;
   double-register options (``doble_registro``: BT5A, BT3, BT2, MT3, MT2) pay HP kWh at ``cargo_energia_hp``
   and HFP kWh at ``cargo_energia_hfp`` (charges are ctm. S/ per kWh, hence / 100); kWh that no HP
   register measured (a month read partly on a single-register meter) are billed as HFP.
3. power: demand options (``cobra_potencia``: BT4, BT3, BT2, MT4, MT3, MT2) pay the month's maximum
   demand (kW) x (``cargo_potencia_generacion`` + ``cargo_potencia_distribucion``). BT5A/BT5B have no
   power charge.
4. alumbrado público: a monthly alícuota by kWh band (not charged to public-lighting supplies).
5. FOSE, residential supplies on an ``aplica_fose`` option (BT5B) only: up to 30 kWh, 25 % off the
   energy charge; above 30 kWh and up to the threshold (100 kWh before 2022-03, 140 kWh from
   2022-03), a fixed 7.5 kWh valued at the energy charge; above the threshold, a surcharge on the
   energy charge (4.3 % before the reform, 3.4 % after). Limits are inclusive: 30 kWh gets the 25 %,
   the threshold itself gets the 7.5 kWh.
6. subtotal = 1 + 2 + 3 + 4 - FOSE discount + FOSE surcharge; IGV 18 % on the subtotal;
   ``facturacion_teorica`` = subtotal + IGV. No rounding: amounts stay exact for parity tests.

Simplifications (stated in the methodology chapter): billed power is the measured maximum demand
(no contracted-power floor, no 'presente en punta' qualification); no reactive energy, no
reconnection/maintenance charge, no rural-electrification levy, no ctm. rounding; the FOSE
exclusions of Ley 31429 art. 3-A (high strata, beach houses) are not modelled.
"""

from __future__ import annotations

from functools import lru_cache
from types import MappingProxyType

import duckdb
import pandas as pd

from lds_utils.lake import sql as sqlmod

#: Each regulated value with the source it comes from (reference file, 2026-11-27 compilation).
SOURCES = MappingProxyType(
    {
        "igv": "IGV 16 % + IPM 2 % = 18 % on the bill subtotal. Source: approx, common knowledge "
        "(not found in the searched corpora; verify before relying on it).",
        "fose_umbral_kwh": "FOSE threshold 140 kWh/month after Ley 31429 (published 2022-02-26). Source: "
        "CIER_31429, http://ciertarifas.org/peru-oficializan-ley-que-reduce-las-tarifas-electricas",
        "fose_umbral_kwh_antes": "FOSE threshold 100 kWh/month before Ley 31429. Source: FOSE_MONO, "
        "https://es.scribd.com/document/493909660/Monografia-FOSE-y-FISE",
        "fose_reforma_desde": "First billing month under Ley 31429 (published 2022-02-26): 2022-03. "
        "Source: OSI_236_2023, https://busquedas.elperuano.pe/api/visor_html/2247049-1",
        "fose_tramo1": "0-30 kWh: 25 % reduction of the energy charge (Ley 28307 table, SEIN urbano). "
        "Source: approx, common knowledge (not found in the searched corpora; verify before relying on it).",
        "fose_tramo2": "31-threshold kWh: fixed reduction of 7.5 kWh valued at the energy charge. "
        "Source: approx, common knowledge (not found in the searched corpora; verify before relying on it).",
        "recargo_fose": "Surcharge paid by non-beneficiaries: ~4 % before 2022 (4.3 % per MINEM data cited "
        "by Gestión), projected 3.4 % for residential > 140 kWh after Ley 31429. Sources: EYN_2022, "
        "https://revistaenergiaynegocios.com/2022/11/08/quienes-acceden-al-subsidio-del-fose/ ; GESTION_FOSE, "
        "https://gestion.pe/economia/"
        "usuarios-pagarian-mas-por-electricidad-en-casas-de-playa-por-retiro-del-subsidio-noticia",
        "alumbrado": "Alumbrado público: monthly alícuota assigned by consumption band (Art. 94 Ley de "
        "Concesiones Eléctricas; RM 074-2009-MEM/DM), S/ 1.5-8 per month for residential, increasing by "
        "kWh band. Sources: OSI_AP_2024, "
        "https://es.scribd.com/document/717026672/INFORME-FINAL-DE-INSTRUCCION-202000010792 ; "
        "OSI_AP_PROC, https://fr.scribd.com/document/448970220/Facturacion-del-Servicio-de-AP-osi ; band "
        "limits and amounts approx, common knowledge (not found in the searched corpora; verify before relying on it).",
    }
)

IGV = 0.18

FOSE_REFORMA_DESDE = "2022-03"
FOSE_UMBRAL_KWH_ANTES = 100.0
FOSE_UMBRAL_KWH = 140.0
FOSE_TRAMO1_KWH = 30.0
FOSE_TRAMO1_DESCUENTO = 0.25
FOSE_TRAMO2_KWH_DESCONTADOS = 7.5
RECARGO_FOSE_ANTES = 0.043
RECARGO_FOSE = 0.034

#: Public lighting alícuota: (upper kWh limit of the band, inclusive; S/ per month). Last band open.
ALUMBRADO_TRAMOS = ((30.0, 1.5), (100.0, 3.0), (150.0, 4.5), (300.0, 6.0), (None, 8.0))

#: The reference relation of the tariff options (bronze_db.<it>, a view of sql/bronze/<it>.sql).
TARIFF_OPTIONS = "ref_opcion_tarifaria"


@lru_cache(maxsize=1)
def _tariff_option_rows() -> tuple[tuple[str, ...], tuple[tuple, ...]]:
    """The column names and rows of the reference file, run once on an in-memory DuckDB."""
    with duckdb.connect() as con:
        result = con.execute(sqlmod.to_duckdb(sqlmod.load_sql("bronze", TARIFF_OPTIONS)))
        return tuple(column[0] for column in result.description), tuple(result.fetchall())


def tariff_options() -> pd.DataFrame:
    """Every tariff option's attributes (sql/bronze/ref_opcion_tarifaria.sql), indexed by opcion_tarifaria."""
    columns, rows = _tariff_option_rows()
    return pd.DataFrame(list(rows), columns=list(columns)).set_index("opcion_tarifaria")


def options_where(attribute: str) -> tuple[str, ...]:
    """The options for which a yes/no attribute of the reference holds (e.g. ``cobra_potencia``), in its order."""
    options = tariff_options()
    return tuple(options.index[options[attribute]])


def _alumbrado_parameters() -> dict:
    params = {}
    for number, (limit, amount) in enumerate(ALUMBRADO_TRAMOS, start=1):
        if limit is not None:
            params[f"ap_tramo{number}_hasta_kwh"] = limit
        params[f"ap_tramo{number}_soles"] = amount
    return params


def billing_parameters() -> dict:
    """The bound parameters of the gold SQL's billing rules (names match its ``:placeholders``)."""
    return {
        "igv": IGV,
        "fose_reforma_desde": FOSE_REFORMA_DESDE,
        "fose_umbral_kwh_antes": FOSE_UMBRAL_KWH_ANTES,
        "fose_umbral_kwh": FOSE_UMBRAL_KWH,
        "fose_tramo1_kwh": FOSE_TRAMO1_KWH,
        "fose_tramo1_descuento": FOSE_TRAMO1_DESCUENTO,
        "fose_tramo2_kwh_descontados": FOSE_TRAMO2_KWH_DESCONTADOS,
        "recargo_fose_antes": RECARGO_FOSE_ANTES,
        "recargo_fose": RECARGO_FOSE,
        **_alumbrado_parameters(),
    }
