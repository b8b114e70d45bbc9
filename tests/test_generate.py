"""Synthetic data generator: contract, integrity, realism, truth and determinism.

Most tests read the shared ``sample_lake`` (default sample, generated once per session) with pandas and
check properties independently of the generator's code: a small validator finds the dirty rows, and the
consumption is rebuilt from the meter registers (rollover, factor, replacements) as SILVER does.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from lds_utils import config
from lds_utils.config import AMI_TABLES, PROJECT_ROOT, RAW_TABLES
from lds_utils.lake.schema import FOREIGN_KEYS, PRIMARY_KEYS, RAW_SCHEMAS, column_names
from lds_utils.synthetic import dirt, reference
from lds_utils.synthetic.generate import GENERACION, GeneratorConfig, consumo_esperado, run_generate
from lds_utils.synthetic.settings import OPCIONES, OPCIONES_DOBLE_REGISTRO, TIPOS_ANOMALIA, TIPOS_LEGITIMOS

CFG = GeneratorConfig()
OPTIONAL = {"suministro": {"fecha_baja"}, "medidor": {"fecha_retiro"}, "asignacion_tarifa": {"fecha_fin"},
            "acumulado": {"lectura_kwh_hp", "demanda_max_kw"},
            "tarifa": {"cargo_energia", "cargo_energia_hp", "cargo_energia_hfp", "cargo_potencia_generacion",
                       "cargo_potencia_distribucion"}}
CODES = {"tipo_cliente", "tipo_documento", "nivel_tension", "opcion_tarifaria", "tipo_lectura", "tipo_medidor",
         "motivo_inspeccion", "resultado", "alimentador"}


def read_folder(folder, with_delivery: bool = False) -> pd.DataFrame:
    """Every delivery of a RAW table, in delivery order (with an 'entrega' column when asked)."""
    parts = sorted(folder.glob("entrega=*/part-*.csv"))
    frames = [pd.read_csv(p, dtype=str, keep_default_na=False) for p in parts]
    if with_delivery:
        frames = [frame.assign(entrega=p.parent.name.removeprefix("entrega=")) for p, frame in zip(parts, frames)]
    return pd.concat(frames, ignore_index=True)


@pytest.fixture(scope="module")
def raw(sample_lake) -> dict[str, pd.DataFrame]:
    """The tables with row dirt (the intervals have collection's instead: tests/test_ami.py)."""
    return {table: read_folder(sample_lake / "raw" / table) for table in dirt.SPECS}


@pytest.fixture(scope="module")
def suciedad(sample_lake) -> pd.DataFrame:
    frame = pd.read_csv(sample_lake / "truth" / "suciedad.csv", dtype=str, keep_default_na=False)
    parts = frame["detalle"].str.extract(r"columna=(?P<columna>\w+); valor=.*?(?:; valor original=(?P<original>.*))?$")
    return pd.concat([frame, parts], axis=1)


@pytest.fixture(scope="module")
def anomalias(sample_lake) -> pd.DataFrame:
    return pd.read_csv(sample_lake / "truth" / "anomalias.csv", dtype={"id_suministro": str})


@pytest.fixture(scope="module")
def esperado() -> pd.DataFrame:
    return consumo_esperado(CFG)


@pytest.fixture(scope="module")
def clean(raw) -> dict[str, pd.DataFrame]:
    """Raw tables without injected extra rows ('-X' keys), blanked keys and duplicates, codes normalised; of a row
    delivered again (closed), its last delivery."""
    tables = {}
    for table, frame in raw.items():
        key = PRIMARY_KEYS[table]
        frame = frame[~frame[key].str.endswith("-X") & (frame[key] != "")].drop_duplicates()
        frame = frame.drop_duplicates(key, keep="last")
        for column in CODES & set(frame.columns):
            frame = frame.assign(**{column: frame[column].str.strip().str.upper()})
        tables[table] = frame
    return tables


@pytest.fixture(scope="module")
def context(clean) -> pd.DataFrame:
    """Supply -> customer type, subzone, meter factor of its first meter."""
    supply = clean["suministro"].merge(clean["cliente"][["id_cliente", "tipo_cliente"]], on="id_cliente")
    supply = supply.merge(clean["sector"][["id_sector", "subzona", "distrito"]], on="id_sector")
    return supply.set_index("id_suministro")


# -- contract ------------------------------------------------------------------------------------------------
def test_every_file_has_the_contract_header(sample_lake):
    for table in RAW_TABLES:
        parts = sorted((sample_lake / "raw" / table).rglob("*.csv"))
        assert parts, table
        assert all(re.fullmatch(r"entrega=\d{4}-\d{2}", part.parent.name) for part in parts), table
        for part in parts:
            assert part.open(encoding="utf-8").readline().rstrip("\n") == ",".join(column_names(table))
    assert not list(sample_lake.glob(".generate-staging")) and not list(sample_lake.glob(".old-*"))


def test_summary_records_parameters_and_row_counts(sample_lake, raw, suciedad, anomalias):
    summary = json.loads((sample_lake / GENERACION).read_text(encoding="utf-8"))
    assert (summary["n_clientes"], summary["seed"], summary["desde"], summary["hasta"]) == (1500, 42, "2022-01", "2025-12")
    assert summary["parametros"]["tasa_anomalias"] == CFG.tasa_anomalias
    assert {table: len(frame) for table, frame in raw.items()} == {t: summary["filas"][t] for t in raw}
    assert (summary["filas"]["suciedad"], summary["filas"]["anomalias"]) == (len(suciedad), len(anomalias))


def test_values_are_plain_text(raw):
    for table, frame in raw.items():
        for column in frame.columns:
            values = frame[column]
            assert not values.str.contains('[,"\n]', regex=True).any(), (table, column)


# -- integrity and dirt --------------------------------------------------------------------------------------
def invalid_rows(table: str, frame: pd.DataFrame, raw: dict[str, pd.DataFrame]) -> pd.Series:
    """Rows BRONZE must reject: empty required value, unparseable date/number, orphan key, extra copy."""
    bad = frame.duplicated()
    for column in RAW_SCHEMAS[table]:
        values = frame[column.name].str.strip()
        present = values != ""
        if column.name not in OPTIONAL.get(table, set()):
            bad |= ~present
        if column.kind in ("date", "timestamp"):
            form = "%Y-%m-%d" if column.kind == "date" else "%Y-%m-%d %H:%M:%S"
            bad |= present & pd.to_datetime(values, format=form, errors="coerce").isna()
        elif column.kind in ("double", "integer"):
            bad |= present & pd.to_numeric(values, errors="coerce").isna()
    for (child, column), parent in FOREIGN_KEYS.items():
        if child == table:
            keys = raw[parent][PRIMARY_KEYS[parent]].str.strip().str.upper()
            bad |= ~frame[column].str.strip().str.upper().isin(keys)
    return bad


def test_every_rejectable_row_is_in_the_truth_and_only_those(raw, suciedad):
    for table, frame in raw.items():
        listed = suciedad[(suciedad["tabla"] == table) & (suciedad["tipo_suciedad"] != "ESPACIOS_MAYUSCULAS")]
        bad = invalid_rows(table, frame, raw)
        assert bad.sum() == len(listed), table
        flagged_keys = set(frame.loc[bad, PRIMARY_KEYS[table]]) - {""}
        assert flagged_keys <= set(listed["id"]), table


def test_dirt_rate_and_kinds(raw, suciedad):
    kinds = suciedad[suciedad["tabla"].isin(list(raw))]["tipo_suciedad"].value_counts()
    assert set(kinds.index) == {kind for kind, _ in CFG.mezcla_suciedad}
    appended = suciedad["detalle"].str.startswith(("copia exacta", "fila adicional"))
    for table, frame in raw.items():
        if table in AMI_TABLES:  # dirtied month by month (and chunk by chunk): each rounds on its own
            continue
        of_table = suciedad["tabla"] == table
        original_rows = len(frame) - (of_table & appended).sum()
        assert of_table.sum() == round(CFG.tasa_suciedad * original_rows), table


def test_cleanable_dirt_only_touches_listed_code_values(raw, suciedad):
    for table, frame in raw.items():
        listed = suciedad[(suciedad["tabla"] == table) & (suciedad["tipo_suciedad"] == "ESPACIOS_MAYUSCULAS")]
        for column in CODES & set(frame.columns):
            values = frame[column]
            messy = values[(values != values.str.strip().str.upper()) & (values != "")]
            expected = listed[listed["columna"] == column]
            assert len(messy) == len(expected), (table, column)
            assert set(messy.str.strip().str.upper()) <= set(expected["original"]), (table, column)


def test_keys_unique_and_references_resolve_in_clean_data(clean, suciedad):
    dirty_ids = set(suciedad["id"]) | set(suciedad["original"].dropna())
    for table, frame in clean.items():
        key = PRIMARY_KEYS[table]
        kept = frame[(frame[key] != "") & ~frame[key].isin(dirty_ids)]
        assert kept[key].is_unique, table
    for (child, column), parent in FOREIGN_KEYS.items():
        if child not in clean:
            continue
        rows = clean[child][~clean[child][PRIMARY_KEYS[child]].isin(dirty_ids) & (clean[child][column] != "")]
        orphans = ~rows[column].isin(clean[parent][PRIMARY_KEYS[parent]])
        assert not orphans.any(), (child, column)


def test_codes_are_valid(clean):
    allowed = {"tipo_cliente": {"RESIDENCIAL", "COMERCIAL", "INDUSTRIAL", "ALUMBRADO_PUBLICO"},
               "nivel_tension": {"BT", "MT"}, "opcion_tarifaria": set(OPCIONES), "tipo_documento": {"DNI", "RUC"},
               "tipo_lectura": {"INSTALACION", "REAL", "ESTIMADA", "RETIRO"},
               "tipo_medidor": {"ELECTROMECANICO", "ELECTRONICO", "DOBLE_REGISTRO", "PERFIL_CARGA"},
               "motivo_inspeccion": {"SOSPECHA", "ALEATORIA"},
               "resultado": {"HURTO_BYPASS", "ERROR_MEDIDOR", "ERROR_FACTURACION", "SIN_ANOMALIA"}}
    for table, frame in clean.items():
        for column, codes in allowed.items():
            if column in frame:
                assert set(frame[column]) - {""} <= codes, (table, column)


# -- reference and realism -----------------------------------------------------------------------------------
def test_reference_districts_and_sources():
    districts = reference.districts()
    assert len(districts) == 55 and districts["distrito"].is_unique
    assert set(districts["zona"]) == {"Lima Centro", "Lima Este", "Lima Sur", "Lima Provincias - Cañete",
                                      "Lima Provincias - Huarochirí"}
    assert districts["approx_customers"].sum() == 1_250_000
    keys = set(reference.sources())

    def cited(node):
        if isinstance(node, dict):
            for name, value in node.items():
                if name == "source":
                    yield value
                else:
                    yield from cited(value)
        elif isinstance(node, list):
            for value in node:
                yield from cited(value)

    for citation in cited(reference.load_reference()):
        assert citation.replace("(", " ").replace(";", " ").split()[0] in keys, citation


def test_config_matches_the_reference():
    consumption = reference.load_reference()["consumption"]
    by_subzone = consumption["residential_by_subzone_lognormal_kwh_month"]
    assert {k: (v["median"], v["sigma"]) for k, v in by_subzone.items()} == dict(CFG.consumo_residencial)
    shares = {k: v for k, v in consumption["customer_class_shares"].items() if k != "source"}
    assert shares == dict(CFG.cuotas_tipo_cliente)
    assert list(consumption["seasonality_residential_multipliers"]["value"]) == list(CFG.estacionalidad_residencial)
    assert set(reference.districts()["subzona"]) == set(by_subzone)


def test_sectors_per_district_near_their_district(clean):
    sector = clean["sector"].merge(reference.districts(), on=["ubigeo", "distrito", "zona", "subzona"],
                                   suffixes=("", "_distrito"))
    assert len(sector) == len(clean["sector"])
    per_district = sector.groupby("ubigeo").size()
    assert len(per_district) == 55 and per_district.between(2, 6).all()
    distance = np.hypot(sector["lat"].astype(float) - sector["lat_distrito"], sector["lon"].astype(float) - sector["lon_distrito"])
    assert (distance < 0.1).all()


def test_customer_type_shares(clean):
    shares = clean["cliente"]["tipo_cliente"].value_counts(normalize=True)
    for tipo, share in CFG.cuotas_tipo_cliente:
        assert abs(shares.get(tipo, 0.0) - share) < 0.03, tipo


def test_documents_are_well_formed(clean):
    cliente = clean["cliente"]
    dni = cliente[cliente["tipo_documento"] == "DNI"]["numero_documento"]
    ruc = cliente[cliente["tipo_documento"] == "RUC"]["numero_documento"]
    assert dni.str.fullmatch(r"\d{8}").all() and ruc.str.fullmatch(r"(10|20)\d{9}").all()
    digits = np.array([[int(c) for c in number] for number in ruc])
    check = 11 - (digits[:, :10] @ np.array([5, 4, 3, 2, 7, 6, 5, 4, 3, 2])) % 11
    assert (np.where(check >= 10, check - 10, check) == digits[:, 10]).all()
    residential = cliente["tipo_cliente"] == "RESIDENCIAL"
    assert (cliente.loc[residential, "tipo_documento"] == "DNI").all()


def test_residential_medians_by_subzone(esperado, context):
    frame = esperado.join(context[["tipo_cliente", "subzona"]], on="id_suministro")
    frame = frame[(frame["tipo_cliente"] == "RESIDENCIAL") & (frame["subzona"] != "Balnearios del sur")]
    monthly = frame["consumo_normal_kwh"] / frame["dias"] * (365.25 / 12)
    per_supply = monthly.groupby([frame["subzona"], frame["id_suministro"]]).median()
    medians = per_supply.groupby(level=0).median()
    counts = per_supply.groupby(level=0).size()
    checked = 0
    for subzona, (median, _) in CFG.consumo_residencial:
        if counts.get(subzona, 0) >= 80:
            assert abs(medians[subzona] / median - 1) < 0.15, subzona
            checked += 1
    assert checked >= 3


def test_many_small_residential_consumers_below_fose_thresholds(esperado, context):
    frame = esperado.join(context["tipo_cliente"], on="id_suministro")
    kwh = frame.loc[frame["tipo_cliente"] == "RESIDENCIAL", "consumo_normal_kwh"]
    assert (kwh <= 140).mean() > 0.3 and (kwh <= 30).mean() > 0.005


def test_summer_seasonality(esperado, context):
    frame = esperado.join(context[["tipo_cliente", "subzona"]], on="id_suministro")
    frame = frame[frame["tipo_cliente"] == "RESIDENCIAL"].assign(
        mes=frame["anio_mes"].str[5:].astype(int), diario=frame["consumo_normal_kwh"] / frame["dias"])
    popular = frame[frame["subzona"] == "Lima Sur popular"].groupby("mes")["diario"].sum()
    curve = 1 + dict(CFG.amplitud_estacional)["Lima Sur popular"] * (np.array(CFG.estacionalidad_residencial) - 1)
    assert popular[2] / popular[9] == pytest.approx(curve[1] / curve[8], rel=0.05)
    # Summer homes: Jan-Mar several times May-Nov, only in the beach districts, about the configured share.
    summer = frame[frame["mes"] <= 3].groupby("id_suministro")["diario"].mean()
    winter = frame[frame["mes"].between(5, 11)].groupby("id_suministro")["diario"].mean()
    summer_home = (summer / winter) > 4
    beach = context.loc[summer_home.index, "subzona"] == "Balnearios del sur"
    assert summer_home.any() and not summer_home[~beach].any()
    assert summer_home[beach].mean() == pytest.approx(CFG.cuota_casas_playa, abs=0.3)


def test_tariff_schedule(clean):
    tarifa = clean["tarifa"]
    assert len(tarifa) == len(OPCIONES) * len(CFG.periodos)
    assert (tarifa["id_tarifa"] == tarifa["opcion_tarifaria"] + "-" + tarifa["vigencia_desde"].str[:7]).all()
    assert (tarifa["vigencia_desde"].str[8:] == "04").all()
    double = tarifa["opcion_tarifaria"].isin(OPCIONES_DOBLE_REGISTRO)
    demand = ~tarifa["opcion_tarifaria"].isin(["BT5B", "BT5A"])
    assert ((tarifa["cargo_energia"] != "") == ~double).all()
    assert ((tarifa["cargo_energia_hp"] != "") == double).all() and ((tarifa["cargo_energia_hfp"] != "") == double).all()
    assert ((tarifa["cargo_potencia_generacion"] != "") == demand).all()
    bt5b = tarifa[tarifa["opcion_tarifaria"] == "BT5B"].set_index("vigencia_desde")["cargo_energia"].astype(float)
    assert 55 <= bt5b.mean() <= 72
    assert bt5b["2024-12-04"] / bt5b["2022-01-04"] == pytest.approx(1.06 / 0.94, rel=0.02)
    assert bt5b["2025-10-04"] / bt5b["2024-12-04"] == pytest.approx(0.93, rel=0.02)


def test_assignments_are_contiguous_over_the_connected_life(clean):
    assignments = clean["asignacion_tarifa"].sort_values(["id_suministro", "fecha_inicio"])
    life = clean["suministro"].set_index("id_suministro")
    start = pd.to_datetime(assignments["fecha_inicio"])
    end = pd.to_datetime(assignments["fecha_fin"].replace("", None))
    same = assignments["id_suministro"].eq(assignments["id_suministro"].shift())
    assert (start[same] == (end.shift()[same] + pd.Timedelta(days=1))).all()
    first = assignments.groupby("id_suministro")["fecha_inicio"].first()
    last = assignments.groupby("id_suministro")["fecha_fin"].last()
    assert (first == life.loc[first.index, "fecha_conexion"]).all()
    assert (last == life.loc[last.index, "fecha_baja"]).all()


def test_some_supplies_change_option_and_some_meters_are_replaced(clean):
    changes = clean["asignacion_tarifa"].groupby("id_suministro")["opcion_tarifaria"].nunique()
    assert (changes > 1).sum() > 10
    assert (clean["medidor"]["id_medidor"].str.endswith("2")).sum() > 20
    factors = clean["medidor"]["factor_medidor"].astype(float)
    assert (factors > 1).any() and (clean["suministro"]["nivel_tension"] == "MT").any()


# -- readings ----------------------------------------------------------------------------------------------
def dirty_supplies(raw, clean, suciedad) -> set[str]:
    """Supplies with a corrupted reading (traced through the key or the original meter)."""
    listed = suciedad[suciedad["tabla"] == "acumulado"]
    acumulado = raw["acumulado"]
    rows = acumulado["id_lectura"].isin(listed["id"]) | (acumulado["id_lectura"] == "")
    meters = set(acumulado.loc[rows, "id_medidor"]) | set(listed.loc[listed["columna"] == "id_medidor", "original"])
    medidor = clean["medidor"]
    return set(medidor.loc[medidor["id_medidor"].isin(meters), "id_suministro"])


def consumption_from_readings(clean) -> pd.DataFrame:
    """kWh per supply and billing month from register differences, as SILVER computes them."""
    readings = clean["acumulado"].drop_duplicates("id_lectura")
    readings = readings.merge(clean["medidor"][["id_medidor", "id_suministro", "numero_digitos", "factor_medidor"]],
                              on="id_medidor")
    readings = readings.assign(
        lectura=pd.to_numeric(readings["lectura_kwh"], errors="coerce"),
        fecha=pd.to_datetime(readings["fecha_lectura"], format="%Y-%m-%d", errors="coerce"),
        orden=readings["tipo_lectura"].map({"INSTALACION": 0, "RETIRO": 2}).fillna(1),
    ).dropna(subset=["lectura", "fecha"]).sort_values(["id_medidor", "fecha", "orden"])
    difference = readings["lectura"] - readings.groupby("id_medidor")["lectura"].shift()
    modulus = 10.0 ** readings["numero_digitos"].astype(int)
    rollover = difference + modulus < modulus / 2
    readings = readings.assign(
        vuelta=rollover, avance=difference.where(~rollover, difference + modulus) / modulus,
        kwh=difference.where(~rollover, difference + modulus) * readings["factor_medidor"].astype(float),
        anio_mes=readings["fecha"].dt.strftime("%Y-%m"))
    return readings[(readings["tipo_lectura"] != "INSTALACION") & difference.notna()]


@pytest.fixture(scope="module")
def rebuilt(clean):
    return consumption_from_readings(clean)


def test_registers_reproduce_the_intended_consumption(raw, clean, suciedad, esperado, rebuilt):
    skip = dirty_supplies(raw, clean, suciedad)
    month = rebuilt[rebuilt["anio_mes"] >= CFG.desde_datos].groupby(["id_suministro", "anio_mes"])["kwh"].sum()
    expected = esperado[~esperado["id_suministro"].isin(skip)].set_index(["id_suministro", "anio_mes"])["consumo_kwh"]
    month = month[~month.index.get_level_values(0).isin(skip)]
    assert len(expected) > 0.8 * len(esperado)
    assert month.sort_index().index.equals(expected.sort_index().index)
    assert np.array_equal(month.sort_index().to_numpy(), expected.sort_index().to_numpy())


def test_rollovers_happen_and_every_advance_is_below_half_the_register(rebuilt, anomalias):
    assert rebuilt["vuelta"].sum() >= 20
    backward = anomalias[anomalias["tipo"] == "REGISTRO_RETROCEDE"].set_index("id_suministro")["anio_mes_inicio"]
    misread = rebuilt["anio_mes"] == rebuilt["id_suministro"].map(backward)
    assert (rebuilt.loc[misread, "avance"] < 0).all() and misread.any()  # the register goes back, not round
    assert rebuilt.loc[~misread, "avance"].between(0, 0.5, inclusive="left").all()


def test_normal_months_record_the_normal_consumption(esperado, clean):
    """Outside anomalies and routine estimates (billed when they are not used: their own test) the registers show
    the real consumption, up to whole register steps."""
    factor = clean["medidor"].groupby("id_suministro")["factor_medidor"].first().astype(float)
    normal = esperado[esperado["anomalia"].isna() & (esperado["legitimo"] != "ESTIMADA_RUTINARIA")]
    gap = (normal["consumo_kwh"] - normal["consumo_normal_kwh"]).abs()
    # one register step per meter read in the month (two when the meter is replaced)
    assert (gap < 2 * normal["id_suministro"].map(factor)).all()


def test_readings_only_while_connected_and_cycles_of_28_to_33_days(clean, raw, suciedad):
    skip = dirty_supplies(raw, clean, suciedad)
    readings = clean["acumulado"].merge(clean["medidor"], on="id_medidor").merge(clean["suministro"], on="id_suministro")
    readings = readings[~readings["id_suministro"].isin(skip)]
    date = pd.to_datetime(readings["fecha_lectura"])
    assert (date >= pd.to_datetime(readings["fecha_conexion"])).all()
    assert (date >= pd.to_datetime(readings["fecha_instalacion"])).all()
    baja = pd.to_datetime(readings["fecha_baja"].replace("", None))
    assert (baja.isna() | (date <= baja)).all()
    route = readings[readings["tipo_lectura"].isin(["REAL", "ESTIMADA"])].sort_values(["id_medidor", "fecha_lectura"])
    route_date = pd.to_datetime(route["fecha_lectura"])
    gap = (route_date - route_date.groupby(route["id_medidor"]).shift()).dt.days.dropna()
    assert gap.between(28, 33).all()
    assert (readings.loc[readings["tipo_lectura"] != "INSTALACION", "registros_esperados"].astype(int) >= 0).all()


def test_demand_is_consistent_with_energy_except_injected(esperado, clean, raw, suciedad):
    skip = dirty_supplies(raw, clean, suciedad)
    demand = clean["acumulado"][clean["acumulado"]["tipo_lectura"].isin(["REAL", "ESTIMADA"])].merge(
        clean["medidor"][["id_medidor", "id_suministro"]], on="id_medidor")
    demand = demand.assign(anio_mes=demand["fecha_lectura"].str[:7], kw=demand["demanda_max_kw"].astype(float))
    frame = esperado.merge(demand.groupby(["id_suministro", "anio_mes"])["kw"].max().reset_index(),
                           on=["id_suministro", "anio_mes"])
    frame = frame[~frame["id_suministro"].isin(skip) & (frame["kw"] > 0) & (frame["consumo_kwh"] > 0)]
    load_factor = frame["consumo_kwh"] / (frame["dias"] * 24 * frame["kw"])
    injected = frame["anomalia"] == "DEMANDA_INCONSISTENTE"
    assert injected.sum() > 0
    assert (load_factor[~injected].between(0.1, 1.0)).mean() > 0.99
    assert (~load_factor[injected].between(0.1, 1.0)).all()


# -- anomalies ---------------------------------------------------------------------------------------------
def test_anomaly_rate_and_mix(esperado, anomalias):
    months = (pd.PeriodIndex(anomalias["anio_mes_fin"], freq="M") - pd.PeriodIndex(anomalias["anio_mes_inicio"], freq="M"))
    covered = sum(m.n for m in months) + len(anomalias)
    assert covered == esperado["anomalia"].notna().sum()
    assert esperado["anomalia"].notna().mean() == pytest.approx(CFG.tasa_anomalias, rel=0.1)
    shares = anomalias["tipo"].value_counts(normalize=True)
    assert set(shares.index) == set(TIPOS_ANOMALIA)
    for tipo, share in CFG.mezcla_anomalias:
        assert abs(shares[tipo] - share) < 0.08, tipo
    assert anomalias["id_suministro"].is_unique


def test_anomalies_change_what_the_meter_records(esperado, anomalias):
    frame = esperado.merge(anomalias, on="id_suministro")
    inside = (frame["anio_mes"] >= frame["anio_mes_inicio"]) & (frame["anio_mes"] <= frame["anio_mes_fin"])
    frame = frame[inside]
    ratio = frame["consumo_kwh"] / frame["consumo_normal_kwh"]
    spikes = frame["tipo"].isin(["PICO", "MULTIPLICADOR_X10", "DESPLAZAMIENTO_DECIMAL"])
    assert np.allclose(ratio[spikes], frame.loc[spikes, "magnitud"], rtol=0.05, atol=0.05)
    assert (ratio[spikes] >= 3).all()
    assert (frame.loc[frame["tipo"] == "CONSUMO_CERO", "consumo_kwh"] == 0).all()
    drops = frame[frame["tipo"] == "CAIDA_SOSTENIDA"]
    assert (drops["consumo_kwh"] < drops["consumo_normal_kwh"]).all()
    untouched = frame["tipo"].isin(["TARIFA_INCORRECTA", "DEMANDA_INCONSISTENTE"])
    assert ((frame.loc[untouched, "consumo_kwh"] - frame.loc[untouched, "consumo_normal_kwh"]).abs() <= 1000).all()
    estimated = frame[frame["tipo"] == "ESTIMADA_RECUPERO"].groupby("id_suministro")[["consumo_kwh", "consumo_normal_kwh"]].sum()
    assert np.allclose(estimated["consumo_kwh"], estimated["consumo_normal_kwh"], rtol=0.02, atol=2)
    trickle = frame[frame["tipo"] == "CASI_CERO"]
    np.testing.assert_allclose(trickle["consumo_kwh"], trickle["magnitud"] * trickle["consumo_normal_kwh"], rtol=0.05,
                               atol=2)
    assert (trickle["consumo_kwh"] < 0.1 * trickle["consumo_normal_kwh"] + 2).all()
    backward = frame[frame["tipo"] == "REGISTRO_RETROCEDE"].sort_values(["id_suministro", "anio_mes"])
    first = backward.groupby("id_suministro").head(1)
    assert len(first) > 0 and (first["consumo_kwh"] < 0).all()
    pairs = backward.groupby("id_suministro")[["consumo_kwh", "consumo_normal_kwh"]].sum()
    both = backward.groupby("id_suministro").size() == 2
    np.testing.assert_allclose(pairs.loc[both, "consumo_kwh"], pairs.loc[both, "consumo_normal_kwh"], rtol=0.02, atol=2)


def test_a_slow_decline_loses_a_growing_share_month_by_month(esperado, anomalias):
    slow = anomalias[anomalias["tipo"] == "DESCENSO_LENTO"]
    assert len(slow) > 0 and slow["magnitud"].between(1 - CFG.descenso_lento[1], 1 - CFG.descenso_lento[0]).all()
    frame = esperado.merge(slow, on="id_suministro")
    frame = frame[frame["anio_mes"].between(frame["anio_mes_inicio"], frame["anio_mes_fin"])]
    start = pd.PeriodIndex(frame["anio_mes_inicio"], freq="M")
    step = (pd.PeriodIndex(frame["anio_mes"], freq="M") - start).map(lambda offset: offset.n) + 1
    length = (pd.PeriodIndex(frame["anio_mes_fin"], freq="M") - start).map(lambda offset: offset.n) + 1
    expected = 1 - (1 - frame["magnitud"]) * step / length
    # registers hold whole kWh (times the meter's factor): allow the rounding of two readings
    np.testing.assert_allclose(frame["consumo_kwh"], expected * frame["consumo_normal_kwh"], rtol=0.01, atol=2)
    assert (length >= min(dict(CFG.duracion_anomalias)["DESCENSO_LENTO"])).mean() > 0.8


def test_estimated_readings_are_the_injected_ones_or_routine(clean, anomalias, legitimos):
    estimated = clean["acumulado"][clean["acumulado"]["tipo_lectura"] == "ESTIMADA"]
    supplies = set(clean["medidor"].set_index("id_medidor").loc[estimated["id_medidor"], "id_suministro"])
    injected = set(anomalias.loc[anomalias["tipo"] == "ESTIMADA_RECUPERO", "id_suministro"])
    routine = set(legitimos.loc[legitimos["tipo"] == "ESTIMADA_RUTINARIA", "id_suministro"])
    assert supplies & injected and supplies & routine and supplies <= injected | routine
    counts = estimated[["registros_error", "registros_esperados"]].apply(pd.to_numeric, errors="coerce").dropna()
    assert len(counts) > 0.99 * len(estimated)  # the rest carry RAW dirt in a count
    assert (counts["registros_error"] == counts["registros_esperados"]).all()


# -- legitimate behaviour --------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def legitimos(sample_lake) -> pd.DataFrame:
    return pd.read_csv(sample_lake / "truth" / "legitimos.csv", dtype={"id_suministro": str})


def test_legitimate_events_never_touch_an_anomaly(legitimos, anomalias, esperado):
    assert set(legitimos["tipo"]) == set(TIPOS_LEGITIMOS) and legitimos["id_evento"].is_unique
    assert (legitimos["anio_mes_inicio"] <= legitimos["anio_mes_fin"]).all()
    usage = legitimos[legitimos["tipo"].isin(["DESOCUPADO", "CAMBIO_NIVEL"])]
    assert not set(usage["id_suministro"]) & set(anomalias["id_suministro"])
    # what the generator does to a supply's usage or its bill stays clear of the anomalies; new connections, meter
    # replacements and option changes are only listed, and an anomaly may fall in their months
    changed = esperado[esperado["legitimo"].isin(["DESOCUPADO", "CAMBIO_NIVEL", "ESTIMADA_RUTINARIA"])]
    assert len(changed) > 0 and changed["anomalia"].isna().all(), "a month both anomalous and changed as legitimate"


def test_routine_estimates_come_at_their_rate_and_the_next_reading_catches_up(esperado):
    billed = esperado["consumo_normal_kwh"].notna()
    routine = esperado["legitimo"] == "ESTIMADA_RUTINARIA"  # the estimated month and its catch-up
    assert routine.sum() / 2 / billed.sum() == pytest.approx(CFG.tasa_estimada_rutinaria, rel=0.2)
    pares = esperado[routine].sort_values(["id_suministro", "anio_mes"]).groupby("id_suministro")
    both = pares[["consumo_kwh", "consumo_normal_kwh"]].sum()
    np.testing.assert_allclose(both["consumo_kwh"], both["consumo_normal_kwh"], rtol=0.02, atol=4)


def test_empty_months_use_little_or_nothing_and_are_listed(esperado, legitimos):
    empty = esperado[esperado["legitimo"] == "DESOCUPADO"]
    assert len(empty) > 0 and empty["anomalia"].isna().all()
    assert (empty["consumo_kwh"] == 0).any() and (empty["consumo_kwh"] > 0).any()
    share = legitimos.loc[legitimos["tipo"] == "DESOCUPADO", "magnitud"]
    assert share.between(0, CFG.consumo_desocupado[1]).all() and (share == 0).mean() == pytest.approx(
        CFG.cuota_desocupado_cero, abs=0.2)
    assert ((empty["consumo_kwh"] - empty["consumo_normal_kwh"]).abs() < 2).mean() > 0.95  # what is used is billed


def test_empty_months_and_level_changes_come_at_their_yearly_rates(legitimos, anomalias, esperado, clean):
    billed = esperado[~esperado["id_suministro"].isin(anomalias["id_suministro"])]
    months = billed.groupby("id_suministro").size()
    months = months[months >= 6]
    tipo = clean["suministro"].merge(clean["cliente"], on="id_cliente").set_index("id_suministro")["tipo_cliente"]
    can_be_empty = tipo.reindex(months.index).isin(["RESIDENCIAL", "COMERCIAL"])
    counts = legitimos["tipo"].value_counts()
    expected_empty = (CFG.tasa_desocupado_anual * months[can_be_empty] / 12).clip(upper=1).sum()
    assert counts["DESOCUPADO"] == pytest.approx(expected_empty, rel=0.3)
    expected_level = (CFG.tasa_cambio_nivel_anual * months / 12).clip(upper=1).sum()
    assert counts["CAMBIO_NIVEL"] == pytest.approx(expected_level, rel=0.3)


def test_level_changes_go_both_ways_for_good(legitimos, esperado):
    level = legitimos[legitimos["tipo"] == "CAMBIO_NIVEL"]
    down, up = level["magnitud"] < 1, level["magnitud"] > 1
    assert down.any() and up.any() and (down | up).all()
    assert level["magnitud"][down].between(*CFG.cambio_nivel_baja).all()
    assert level["magnitud"][up].between(*CFG.cambio_nivel_alza).all()
    last = esperado.groupby("id_suministro")["anio_mes"].max()
    assert (level["anio_mes_fin"] == last.loc[level["id_suministro"]].to_numpy()).mean() > 0.95


def test_option_changes_meter_replacements_and_new_connections_are_listed_at_their_rates(
        clean, legitimos, anomalias, esperado):
    """What the population holds, seen in the clean RAW tables, is exactly what truth/legitimos.csv lists."""
    listed = legitimos.groupby("tipo")["id_suministro"].apply(set)
    wrong_option = set(anomalias.loc[anomalias["tipo"] == "TARIFA_INCORRECTA", "id_suministro"])
    options = clean["asignacion_tarifa"].groupby("id_suministro")["opcion_tarifaria"].nunique()
    assert set(options.index[options > 1]) - wrong_option == listed["CAMBIO_OPCION"]
    meters = clean["medidor"].groupby("id_suministro")["id_medidor"].nunique()
    # a change between single and double register options replaces the meter too: listed as the option change
    assert set(meters.index[meters > 1]) - listed["CAMBIO_OPCION"] == listed["CAMBIO_MEDIDOR"]
    supplies = clean["suministro"]["id_suministro"].nunique()
    assert len(listed["CAMBIO_MEDIDOR"]) == pytest.approx(CFG.prob_reemplazo_medidor * supplies, rel=0.3)
    first_month = esperado.groupby("id_suministro")["anio_mes"].min()
    new = legitimos[legitimos["tipo"] == "CONEXION_NUEVA"]
    assert (new["anio_mes_inicio"].to_numpy() == first_month.loc[new["id_suministro"]].to_numpy()).all()
    window_years = (esperado["anio_mes"].nunique() - 1) / 12
    expected_new = (1 - (1 + CFG.crecimiento_clientes_anual) ** -window_years) * supplies
    assert len(new) == pytest.approx(expected_new, rel=0.3)


def test_wrong_tariff_period_inside_the_supply_life(clean, anomalias):
    wrong = anomalias[anomalias["tipo"] == "TARIFA_INCORRECTA"]
    periods = clean["asignacion_tarifa"].sort_values(["id_suministro", "fecha_inicio"]).groupby("id_suministro")
    for row in wrong.itertuples():
        options = periods.get_group(row.id_suministro)
        assert len(options) == 3 and options["opcion_tarifaria"].iloc[1] != options["opcion_tarifaria"].iloc[0]
        assert options["fecha_inicio"].iloc[1] == f"{row.anio_mes_inicio}-01"
        double = [option in OPCIONES_DOBLE_REGISTRO for option in options["opcion_tarifaria"]]
        assert double[0] == double[1]


# -- inspections ---------------------------------------------------------------------------------------------
def test_inspections_are_limited_targeted_and_consistent(clean, anomalias):
    inspeccion = clean["inspeccion"]
    assert inspeccion["id_suministro"].is_unique
    per_month = inspeccion.groupby(inspeccion["fecha_inspeccion"].str[:7]).size()
    assert per_month.max() <= CFG.capacidad_inspeccion * len(clean["suministro"]) + 2
    assert (inspeccion["motivo_inspeccion"] == "ALEATORIA").mean() == pytest.approx(CFG.cuota_inspeccion_aleatoria, abs=0.08)
    found = inspeccion["resultado"] != "SIN_ANOMALIA"
    targeted = inspeccion["motivo_inspeccion"] == "SOSPECHA"
    assert found[targeted].mean() > 2 * found[~targeted].mean()
    thefts = inspeccion.merge(anomalias[anomalias["tipo"] == "CAIDA_SOSTENIDA"], on="id_suministro")
    flagged_month = (pd.PeriodIndex(thefts["fecha_inspeccion"].str[:7], freq="M") - 1).astype(str)
    during = (flagged_month >= thefts["anio_mes_inicio"]) & (flagged_month <= thefts["anio_mes_fin"])
    assert during.sum() > 0 and (thefts.loc[during, "resultado"] == "HURTO_BYPASS").mean() > 0.7


# -- determinism, re-runs, scale, CLI ----------------------------------------------------------------------
def small_config(n_clientes: int) -> GeneratorConfig:
    return GeneratorConfig(n_clientes=n_clientes, clientes_por_bloque=120, desde="2023-01", hasta="2024-06")


def lake_files(lake) -> dict[str, bytes]:
    return {str(p.relative_to(lake)): p.read_bytes() for p in sorted(lake.rglob("*")) if p.is_file()}


def test_same_arguments_give_byte_identical_files(tmp_path):
    first, second = tmp_path / "a", tmp_path / "b"
    run_generate(small_config(300), first)
    run_generate(small_config(300), second)
    files = lake_files(first)
    deliveries = len(config.period_range("2021-12", "2024-06"))  # the opening readings' month, then desde_datos..
    assert len([name for name in files if name.startswith("raw/acumulado/")]) == 3 * deliveries  # three chunks
    assert files == lake_files(second)


def test_rerun_replaces_raw_and_truth(tmp_path):
    lake = tmp_path / "lake"
    run_generate(small_config(300), lake)
    counts = run_generate(small_config(100), lake)
    assert {p.name for p in (lake / "raw" / "cliente").rglob("*.csv")} == {"part-00000.csv"}
    assert read_folder(lake / "raw" / "suministro").shape[0] == counts["suministro"]
    assert json.loads((lake / GENERACION).read_text())["n_clientes"] == 100
    assert sorted(p.name for p in lake.iterdir()) == [".lock", GENERACION, "raw", "truth"]  # nothing left over


def test_keys_are_unique_across_chunks(tmp_path):
    run_generate(small_config(300), tmp_path)
    for table in ("cliente", "suministro", "medidor", "acumulado"):
        rows = read_folder(tmp_path / "raw" / table, with_delivery=True)  # a closed row comes again, later
        keys = rows[[PRIMARY_KEYS[table], "entrega"]]
        keys = keys[~keys.iloc[:, 0].str.endswith("-X") & (keys.iloc[:, 0] != "")]
        duplicated = keys.iloc[:, 0][keys.duplicated()]
        truth = pd.read_csv(tmp_path / "truth" / "suciedad.csv", dtype=str, keep_default_na=False)
        assert set(duplicated) <= set(truth.loc[truth["tipo_suciedad"] == "FILA_DUPLICADA", "id"]), table


def run_cli(*args):
    return subprocess.run([sys.executable, "-m", "lds_utils", "generate", *args], cwd=PROJECT_ROOT,
                          capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("args", [
    ["--desde", "2024-13"],
    ["--desde", "2024-05", "--hasta", "2024-01"],
    ["--clientes", "0"],
    ["--clientes", "diez"],
])
def test_cli_usage_errors_are_one_line(args, tmp_path):
    result = run_cli(*args, "--lake", str(tmp_path), "--quiet")
    assert result.returncode == 2
    assert result.stderr.startswith("error:") and len(result.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "raw").exists()


def test_cli_unwritable_lake_is_one_line(tmp_path):
    regular_file = tmp_path / "file.txt"
    regular_file.write_text("not a folder")
    result = run_cli("--lake", str(regular_file / "lake"), "--clientes", "10", "--quiet")
    assert result.returncode == 2
    assert result.stderr.startswith("error:") and len(result.stderr.strip().splitlines()) == 1


def test_cli_generates_and_has_help(tmp_path):
    assert "--clientes" in run_cli("--help").stdout
    result = run_cli("--clientes", "40", "--lake", str(tmp_path), "--quiet")
    assert result.returncode == 0, result.stderr
    assert json.loads((tmp_path / GENERACION).read_text())["n_clientes"] == 40


def test_config_rejects_inconsistent_parameters():
    from lds_utils.config import UsageError

    with pytest.raises(UsageError):
        GeneratorConfig(tasa_anomalias=1.5)
    with pytest.raises(UsageError):
        GeneratorConfig(n_clientes=0)
    with pytest.raises(UsageError):
        GeneratorConfig(mezcla_anomalias=(("PICO", 0.5), ("CONSUMO_CERO", 0.4)))
    with pytest.raises(UsageError):
        GeneratorConfig(desde="2025-01", hasta="2024-01")
