"""Theoretical bills computed by hand, checked against the gold SQL and the pandas reference.

Charges (sin IGV) used by every case, the same in 2022-02 and 2024-01:
BT5B fijo 3.20, energía 60 ctm; BT5A fijo 3.50, HP 150 ctm, HFP 30 ctm; BT4 fijo 4.00, energía 28 ctm,
potencia 50 + 40 S/ per kW; MT2 fijo 4.87, HP 27.69 ctm, HFP 23.76 ctm, potencia 61.35 + 15.13.
Alumbrado: <=30 kWh 1.50, <=100 3.00, <=150 4.50, <=300 6.00, more 8.00. FOSE on residential BT5B:
<=30 kWh 25 % of energy; up to the threshold (100 kWh in 2022-02, 140 in 2024-01) 7.5 kWh x 0.60 =
4.50; above it a surcharge of 4.3 % (2022-02) or 3.4 % (2024-01) of energy. IGV 18 %.
"""

from __future__ import annotations

import pandas as pd
import pytest

from lds_utils.rules import billing
from tests import minilake, oracle

TARIFAS = {
    "BT5B": dict(cargo_fijo=3.20, cargo_energia=60.0),
    "BT5A": dict(cargo_fijo=3.50, cargo_energia_hp=150.0, cargo_energia_hfp=30.0),
    "BT4": dict(cargo_fijo=4.00, cargo_energia=28.0, cargo_potencia_generacion=50.0, cargo_potencia_distribucion=40.0),
    "MT2": dict(
        cargo_fijo=4.87,
        cargo_energia_hp=27.69,
        cargo_energia_hfp=23.76,
        cargo_potencia_generacion=61.35,
        cargo_potencia_distribucion=15.13,
    ),
}
MESES = ("2022-02", "2024-01")

# case: (month, tipo_cliente, nivel, opcion, kWh, HP kWh, demand kW, meter factor)
SUPPLIES = {
    "fose_0_kwh": ("2024-01", "RESIDENCIAL", "BT", "BT5B", 0, None, 0.2, 1),
    "fose_30_kwh_25pct": ("2024-01", "RESIDENCIAL", "BT", "BT5B", 30, None, 0.2, 1),
    "fose_31_kwh_7_5": ("2024-01", "RESIDENCIAL", "BT", "BT5B", 31, None, 0.2, 1),
    "fose_140_kwh_7_5": ("2024-01", "RESIDENCIAL", "BT", "BT5B", 140, None, 0.5, 1),
    "fose_141_kwh_recargo": ("2024-01", "RESIDENCIAL", "BT", "BT5B", 141, None, 0.5, 1),
    "ley_antigua_100_kwh": ("2022-02", "RESIDENCIAL", "BT", "BT5B", 100, None, 0.4, 1),
    "ley_antigua_101_kwh": ("2022-02", "RESIDENCIAL", "BT", "BT5B", 101, None, 0.4, 1),
    "ley_antigua_120_kwh": ("2022-02", "RESIDENCIAL", "BT", "BT5B", 120, None, 0.4, 1),
    "comercial_sin_fose": ("2024-01", "COMERCIAL", "BT", "BT5B", 120, None, 0.6, 1),
    "bt5a_hp_hfp": ("2024-01", "COMERCIAL", "BT", "BT5A", 200, 40, 1.5, 1),
    "bt4_potencia": ("2024-01", "INDUSTRIAL", "BT", "BT4", 5000, None, 20, 1),
    "mt2_factor_40": ("2024-01", "INDUSTRIAL", "MT", "MT2", 60000, 12000, 150, 40),
    "alumbrado_publico": ("2024-01", "ALUMBRADO_PUBLICO", "BT", "BT5B", 2000, None, 4, 1),
}
# case: S/ fijo, energía, potencia, alumbrado, descuento FOSE, recargo FOSE, subtotal, total with IGV
EXPECTED = {
    "fose_0_kwh": (3.2, 0.0, 0.0, 1.5, 0.0, 0.0, 4.7, 5.546),
    "fose_30_kwh_25pct": (3.2, 18.0, 0.0, 1.5, 4.5, 0.0, 18.2, 21.476),
    "fose_31_kwh_7_5": (3.2, 18.6, 0.0, 3.0, 4.5, 0.0, 20.3, 23.954),
    "fose_140_kwh_7_5": (3.2, 84.0, 0.0, 4.5, 4.5, 0.0, 87.2, 102.896),
    "fose_141_kwh_recargo": (3.2, 84.6, 0.0, 4.5, 0.0, 2.8764, 95.1764, 112.308152),
    "ley_antigua_100_kwh": (3.2, 60.0, 0.0, 3.0, 4.5, 0.0, 61.7, 72.806),
    "ley_antigua_101_kwh": (3.2, 60.6, 0.0, 4.5, 0.0, 2.6058, 70.9058, 83.668844),
    "ley_antigua_120_kwh": (3.2, 72.0, 0.0, 4.5, 0.0, 3.096, 82.796, 97.69928),
    "comercial_sin_fose": (3.2, 72.0, 0.0, 4.5, 0.0, 0.0, 79.7, 94.046),
    "bt5a_hp_hfp": (3.5, 108.0, 0.0, 6.0, 0.0, 0.0, 117.5, 138.65),
    "bt4_potencia": (4.0, 1400.0, 1800.0, 8.0, 0.0, 0.0, 3212.0, 3790.16),
    "mt2_factor_40": (4.87, 14727.6, 11472.0, 8.0, 0.0, 0.0, 26212.47, 30930.7146),
    "alumbrado_publico": (3.2, 1200.0, 0.0, 0.0, 0.0, 0.0, 1203.2, 1419.776),
}
COMPONENTS = [
    "cargo_fijo_soles",
    "energia_soles",
    "potencia_soles",
    "alumbrado_soles",
    "descuento_fose_soles",
    "recargo_fose_soles",
    "subtotal_soles",
    "facturacion_teorica",
]


def _previous_month(month: str) -> str:
    year, number = int(month[:4]), int(month[5:])
    return f"{year - 1}-12" if number == 1 else f"{year}-{number - 1:02d}"


def _bronze() -> dict[str, pd.DataFrame]:
    rows = {name: [] for name in ("cliente", "suministro", "medidor", "asignacion_tarifa", "acumulado")}
    for case, (month, tipo, nivel, opcion, kwh, hp, demanda, factor) in SUPPLIES.items():
        meter = f"M_{case}"
        rows["cliente"].append(dict(id_cliente=f"C_{case}", tipo_cliente=tipo, tipo_documento="DNI"))
        rows["suministro"].append(
            dict(id_suministro=case, id_cliente=f"C_{case}", id_sector="SEC1", nivel_tension=nivel)
        )
        rows["medidor"].append(dict(id_medidor=meter, id_suministro=case, numero_digitos=6, factor_medidor=factor))
        rows["asignacion_tarifa"].append(
            dict(id_asignacion=f"A_{case}", id_suministro=case, opcion_tarifaria=opcion, fecha_inicio="2020-01-01")
        )
        hp_start = 500.0 if hp is not None else None
        hp_end = 500.0 + hp / factor if hp is not None else None
        rows["acumulado"] += [
            dict(
                id_lectura=f"{meter}-0",
                id_medidor=meter,
                fecha_lectura=f"{_previous_month(month)}-20",
                tipo_lectura="INSTALACION",
                lectura_kwh=1000.0,
                lectura_kwh_hp=hp_start,
                registros_esperados=0,
                registros_error=0,
            ),
            dict(
                id_lectura=f"{meter}-1",
                id_medidor=meter,
                fecha_lectura=f"{month}-20",
                tipo_lectura="REAL",
                lectura_kwh=1000.0 + kwh / factor,
                lectura_kwh_hp=hp_end,
                demanda_max_kw=demanda,
                registros_esperados=2976,
                registros_error=3,
            ),
        ]
    tarifa = [
        dict(id_tarifa=f"{opcion}-{month}", opcion_tarifaria=opcion, vigencia_desde=f"{month}-04", **charges)
        for opcion, charges in TARIFAS.items()
        for month in MESES
    ]
    sector = [dict(id_sector="SEC1", distrito="Santiago de Surco", zona="Lima Centro")]
    return {name: pd.DataFrame(data) for name, data in {**rows, "tarifa": tarifa, "sector": sector}.items()}


@pytest.fixture(scope="module")
def hand_lake(tmp_path_factory):
    engine = minilake.open_lake(tmp_path_factory.mktemp("billing"), _bronze())
    minilake.run_monthly(engine, "2022-01", "2024-12")
    yield engine
    engine.close()


def _expected() -> pd.DataFrame:
    return pd.DataFrame.from_dict(EXPECTED, orient="index", columns=COMPONENTS).rename_axis("id_suministro")


def _check(bills: pd.DataFrame) -> None:
    got = bills.set_index("id_suministro").loc[_expected().index, COMPONENTS]
    pd.testing.assert_frame_equal(got.astype(float), _expected().astype(float), rtol=1e-12, atol=1e-9)


def test_one_bill_per_case_and_month(hand_lake):
    gold = minilake.read(hand_lake, "gold_facturacion_teorica_mes")
    assert dict(zip(gold["id_suministro"], gold["anio_mes"])) == {case: spec[0] for case, spec in SUPPLIES.items()}


def test_sql_bills_match_hand_computation(hand_lake):
    _check(minilake.read(hand_lake, "gold_facturacion_teorica_mes"))


def test_reference_bills_match_hand_computation(hand_lake):
    gold = oracle.gold_reference(oracle.read_bronze(hand_lake), "2022-01", "2024-12")
    _check(gold)


def test_igv_is_18_percent_of_subtotal(hand_lake):
    gold = minilake.read(hand_lake, "gold_facturacion_teorica_mes")
    assert (gold["igv_soles"] - 0.18 * gold["subtotal_soles"]).abs().max() < 1e-9


def test_parameters_match_the_sql_placeholders():
    from lds_utils.lake import graph
    from lds_utils.lake import sql as sqlmod

    bills = graph.statement("gold_factura_evaluada_mes")
    needed = sqlmod.placeholders(bills) - {"desde", "hasta", "suministro_desde", "suministro_hasta"}
    assert needed == set(billing.billing_parameters())


def test_every_rule_cites_a_source():
    assert all("http" in text or "approx" in text for text in billing.SOURCES.values())
    assert billing.billing_parameters()["igv"] == 0.18


# -- the tariff options' reference -------------------------------------------------------------------------
def test_tariff_options_state_the_regulated_structure():
    """Each option's attributes, stated once in sql/bronze/ref_opcion_tarifaria.sql, against the pliego's rules
    and the generator's own list (written independently in lds_utils.synthetic.settings)."""
    from lds_utils.synthetic.settings import OPCIONES, OPCIONES_DOBLE_REGISTRO

    opciones = billing.tariff_options()
    assert tuple(opciones.index) == OPCIONES
    assert (opciones["nivel_tension"] == opciones.index.str[:2]).all()
    assert set(billing.options_where("doble_registro")) == set(OPCIONES_DOBLE_REGISTRO)
    assert set(billing.options_where("cobra_potencia")) == set(OPCIONES) - {"BT5B", "BT5A"}
    assert billing.options_where("aplica_fose") == ("BT5B",)
    assert billing.options_where("admite_residencial") == ("BT5B", "BT5A")


def test_python_reads_the_relation_the_sql_joins(hand_lake):
    view = hand_lake.read_sql(f"select * from bronze_db.{billing.TARIFF_OPTIONS}").set_index("opcion_tarifaria")
    pd.testing.assert_frame_equal(view, billing.tariff_options(), check_dtype=False)


def test_no_sql_file_but_the_reference_names_a_tariff_option():
    import re

    from lds_utils.lake import sql as sqlmod

    for path in sqlmod.all_sql_files():
        code = "\n".join(line.split("--", 1)[0] for line in path.read_text(encoding="utf-8").splitlines())
        options = set(re.findall(r"'((?:BT|MT)\d\w*)'", code))
        assert not options or path.stem == billing.TARIFF_OPTIONS, f"{path.name} writes {sorted(options)}"
