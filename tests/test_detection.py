"""Companion detector, combined ranking, alertas command and evaluation, on the sample lake and hand-made bills.

The signals of gold_senales_mes are recomputed here with pandas/numpy from gold and silver_intervalo_mensual (an
independent implementation: wide supply x month arrays instead of SQL self-joins and window functions).
"""

from __future__ import annotations

import ast
import inspect
import math
import warnings

import numpy as np
import pandas as pd
import pytest

from lds_utils import cli
from lds_utils.config import SQL_ROOT, UsageError
from lds_utils.detection import alerts, detect, evaluate, targets
from lds_utils.lake import sql as sqlmod
from lds_utils.lake.engines import DuckDBEngine
from lds_utils.lake import graph
from lds_utils.lake.graph import month_parameters
from lds_utils.rules import billing, companion
from tests import minilake

KEYS = ["id_suministro", "anio_mes"]
PARAMS = companion.detection_parameters()
DOBLE_REGISTRO = billing.options_where("doble_registro")
RESIDENCIALES = billing.options_where("admite_residencial")
GOLD_COLUMNS = ["id_suministro", "anio_mes", "anio", "mes", "tipo_cliente", "nivel_tension", "tarifa", "consumo_kwh",
                "demanda_kw", "dias_facturados", "es_estimada", "n_retrocesos"]
RATIOS = {"mediana": "log_ratio_mediana", "anual": "log_ratio_anual", "maximo": "log_ratio_maximo",
          "factor_carga": "log_ratio_factor_carga", "descenso": "log_ratio_descenso", "perfil": "log_ratio_perfil"}
REASONS = {  # reason code -> flag column, in the SQL's order of motivo_principal
    "REGISTRO_RETROCEDE": "es_registro_retrocede",
    "INTERVALOS_DISCREPAN": "es_intervalos_discrepan",
    "DEMANDA_DISCREPA": "es_demanda_discrepa",
    "EVENTO_MANIPULACION": "es_evento_manipulacion",
    "PERFIL_CAMBIA": "es_perfil_cambia",
    "CONSUMO_CERO": "es_consumo_cero",
    "FACTOR_CARGA_MAYOR_1": "es_factor_carga_mayor_1",
    "OPCION_INCOMPATIBLE": "es_opcion_incompatible",
    "CONSUMO_ALTO": "es_consumo_alto",
    "CONSUMO_BAJO": "es_consumo_bajo",
    "DESCENSO_GRADUAL": "es_descenso_gradual",
    "FACTOR_CARGA_ATIPICO": "es_factor_carga_atipico",
    "RECUPERO_TRAS_ESTIMADA": "es_recupero_tras_estimada",
    "ESTIMADA_BAJA": "es_estimada_baja",
    "OPCION_NUEVA": "es_opcion_nueva",
}
STATISTICAL = {"CONSUMO_ALTO", "CONSUMO_BAJO", "DESCENSO_GRADUAL", "FACTOR_CARGA_ATIPICO", "PERFIL_CAMBIA"}


# -- the independent pandas reference ----------------------------------------------------------------------
def _wide(frame: pd.DataFrame, values: pd.Series, months: np.ndarray, fill=np.nan) -> np.ndarray:
    rows = pd.Index(frame["id_suministro"].unique())
    out = np.full((len(rows), len(months)), fill, dtype=object if fill is None else float)
    out[rows.get_indexer(frame["id_suministro"]), frame["indice"] - months[0]] = values.to_numpy()
    return out


def _history(frame: pd.DataFrame) -> pd.DataFrame:
    """Per supply-month: the trailing-12 summaries the SQL computes with a self-join."""
    months = np.arange(frame["indice"].min(), frame["indice"].max() + 1)
    dias = frame["dias_facturados"].astype(float)
    consumo_dia = _wide(frame, frame["consumo_kwh"] / dias.where(dias > 0), months)
    carga = (frame["consumo_kwh"] / (frame["demanda_kw"] * 24 * dias)).where((frame["demanda_kw"] > 0) & (dias > 0))
    log_carga = _wide(frame, np.log(carga.where(carga > 0)), months)
    tarifa = _wide(frame, frame["tarifa"], months, fill=None)
    estimada = _wide(frame, frame["es_estimada"].astype(float), months)
    resumen = {name: np.full(consumo_dia.shape, np.nan) for name in
               ("n_historia", "mediana", "maximo", "anual", "n_carga", "mediana_carga", "tarifa_en_historia",
                "estimada_anterior", "n_referencia", "mediana_referencia", "mes_1", "mes_2")}
    tarifa_anterior = np.full(consumo_dia.shape, None, dtype=object)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN windows: median and max are NaN, as wanted
        for m in range(len(months)):
            lo = max(0, m - 12)
            ventana, carga_v = consumo_dia[:, lo:m], log_carga[:, lo:m]
            resumen["n_historia"][:, m] = np.isfinite(ventana).sum(axis=1)
            resumen["mediana"][:, m] = np.nanmedian(ventana, axis=1) if m else np.nan
            resumen["maximo"][:, m] = np.nanmax(ventana, axis=1) if m else np.nan
            resumen["anual"][:, m] = consumo_dia[:, m - 12] if m >= 12 else np.nan
            resumen["n_carga"][:, m] = np.isfinite(carga_v).sum(axis=1)
            resumen["mediana_carga"][:, m] = np.nanmedian(carga_v, axis=1) if m else np.nan
            resumen["tarifa_en_historia"][:, m] = (tarifa[:, lo:m] == tarifa[:, m:m + 1]).any(axis=1)
            resumen["estimada_anterior"][:, m] = estimada[:, m - 1] if m else np.nan
            referencia = consumo_dia[:, lo:max(lo, m - 2)]  # 3..12 months back
            resumen["n_referencia"][:, m] = np.isfinite(referencia).sum(axis=1)
            resumen["mediana_referencia"][:, m] = np.nanmedian(referencia, axis=1) if referencia.shape[1] else np.nan
            resumen["mes_1"][:, m] = consumo_dia[:, m - 1] if m >= 1 else np.nan
            resumen["mes_2"][:, m] = consumo_dia[:, m - 2] if m >= 2 else np.nan
            tarifa_anterior[:, m] = tarifa[:, m - 1] if m else None
    rows = pd.Index(frame["id_suministro"].unique()).get_indexer(frame["id_suministro"])
    cols = frame["indice"].to_numpy() - months[0]
    out = pd.DataFrame({name: values[rows, cols] for name, values in resumen.items()}, index=frame.index)
    return out.assign(tarifa_mes_anterior=tarifa_anterior[rows, cols], consumo_dia=consumo_dia[rows, cols],
                      factor_carga=carga)


def _robust_z(frame: pd.DataFrame, column: str) -> pd.Series:
    grupos = frame.dropna(subset=[column]).groupby(["tipo_cliente", "nivel_tension", "anio_mes"])[column]
    centro = grupos.transform("median")
    mad = (frame.loc[centro.index, column] - centro).abs().groupby(
        [frame.loc[centro.index, c] for c in ("tipo_cliente", "nivel_tension", "anio_mes")]).transform("median")
    escala = np.maximum(1.4826 * mad, PARAMS["escala_minima"])
    z = (frame.loc[centro.index, column] - centro) / escala
    return z.where(grupos.transform("size") >= PARAMS["min_segmento"]).reindex(frame.index)


INTERVAL_COLUMNS = ["id_medidor", "id_suministro", "anio_mes", "periodo_completo", "kwh_intervalos", "kwh_registro",
                    "eventos_manipulacion", "demanda_max_intervalo_kw", "demanda_registro_kw", "coincide_demanda",
                    "ratio_noche_dia"]


def _profile_change(por_mes: pd.DataFrame) -> pd.Series:
    """Per supply-month: the night/day ratio over the median of the supply's ratios of the 12 months before (each
    from one meter over a whole period, at least min_historia_perfil of them)."""
    valid = por_mes["medidores"].eq(1) & por_mes["completo"] & (por_mes["ratio_noche_dia"] > 0)
    ratios = por_mes.loc[valid, "ratio_noche_dia"]
    out = pd.Series(np.nan, index=por_mes.index)
    for (supply, mes), ratio in ratios.items():
        month = pd.Period(mes, freq="M")
        previous = [ratios.get((supply, str(month - k))) for k in range(1, 13)]
        previous = [value for value in previous if value is not None]
        if len(previous) >= PARAMS["min_historia_perfil"]:
            out[(supply, mes)] = ratio / np.median(previous)
    return out


def _interval_evidence(intervalos: pd.DataFrame) -> pd.DataFrame:
    """Per supply-month, the smart meters' ratios of interval to register energy and of register to interval
    maximum demand (one meter, comparable), their tamper events and the change of their night/day ratio."""
    por_mes = intervalos.assign(completo=intervalos["periodo_completo"].fillna(False).astype(bool),
                                comparable=intervalos["coincide_demanda"].notna()).groupby(
        ["id_suministro", "anio_mes"]).agg(completo=("completo", "all"), kwh_intervalos=("kwh_intervalos", "sum"),
                                           kwh_registro=("kwh_registro", lambda x: x.sum(min_count=1)),
                                           eventos_manipulacion=("eventos_manipulacion", "sum"),
                                           medidores=("id_medidor", "size"), comparable=("comparable", "all"),
                                           demanda_intervalos=("demanda_max_intervalo_kw", "max"),
                                           demanda_registro=("demanda_registro_kw", "max"),
                                           ratio_noche_dia=("ratio_noche_dia", "max"))
    razon = (por_mes["kwh_intervalos"] / por_mes["kwh_registro"]).where(
        por_mes["completo"] & (por_mes["kwh_registro"] > 0))
    razon_demanda = (por_mes["demanda_registro"] / por_mes["demanda_intervalos"]).where(
        por_mes["medidores"].eq(1) & por_mes["comparable"] & (por_mes["demanda_intervalos"] > 0))
    return pd.DataFrame({"razon_intervalos_registro": razon, "razon_demanda_intervalos": razon_demanda,
                         "eventos_manipulacion": por_mes["eventos_manipulacion"],
                         "razon_perfil_historia": _profile_change(por_mes)}).reset_index()


def senales_reference(gold: pd.DataFrame, desde: str, hasta: str, intervalos: pd.DataFrame) -> pd.DataFrame:
    """gold_senales_mes for desde..hasta from gold rows (which must include the 12 months before desde) and
    silver_intervalo_mensual's rows."""
    frame = gold[GOLD_COLUMNS].reset_index(drop=True)
    frame = frame.assign(indice=frame["anio"] * 12 + frame["mes"])
    frame = pd.concat([frame, _history(frame)], axis=1)
    frame = frame[frame["anio_mes"].between(desde, hasta)].reset_index(drop=True)
    cd, hist_ok = frame["consumo_dia"], frame["n_historia"] >= PARAMS["min_historia"]
    with np.errstate(all="ignore"):
        frame["log_ratio_mediana"] = np.log(cd / frame["mediana"]).where(hist_ok & (cd > 0) & (frame["mediana"] > 0))
        frame["log_ratio_anual"] = np.log(cd / frame["anual"]).where((cd > 0) & (frame["anual"] > 0))
        frame["log_ratio_maximo"] = np.log(cd / frame["maximo"]).where(hist_ok & (cd > 0) & (frame["maximo"] > 0))
        carga_ok = (frame["n_carga"] >= PARAMS["min_historia"]) & (frame["factor_carga"] > 0)
        frame["log_ratio_factor_carga"] = (np.log(frame["factor_carga"]) - frame["mediana_carga"]).where(carga_ok)
        tres = frame[["consumo_dia", "mes_1", "mes_2"]]
        descenso_ok = ((frame["n_referencia"] >= PARAMS["min_historia"]) & (tres > 0).all(axis=1)
                       & (frame["mediana_referencia"] > 0))
        frame["media_consumo_dia_3m"] = tres.mean(axis=1).where((tres > 0).all(axis=1))
        frame["log_ratio_descenso"] = np.log(frame["media_consumo_dia_3m"] / frame["mediana_referencia"]).where(descenso_ok)
        frame["tres_meses_bajo_referencia"] = tres.max(axis=1, skipna=False).lt(frame["mediana_referencia"])
    frame = frame.merge(_interval_evidence(intervalos[INTERVAL_COLUMNS]), on=KEYS, how="left")
    frame["log_ratio_perfil"] = np.log(frame["razon_perfil_historia"])
    for name, column in RATIOS.items():
        frame[f"z_{name}"] = _robust_z(frame, column)
    return _reasons(frame)


def _reasons(f: pd.DataFrame) -> pd.DataFrame:
    tarifa, anterior = f["tarifa"], f["tarifa_mes_anterior"]
    f["es_consumo_cero"] = f["consumo_kwh"] == 0
    f["es_registro_retrocede"] = f["n_retrocesos"] > 0
    razon, limite = f["razon_intervalos_registro"], PARAMS["razon_intervalos"]
    f["es_intervalos_discrepan"] = (~f["es_estimada"].astype(bool) & (f["estimada_anterior"] != 1)
                                    & ((razon > limite) | (razon < 1 / limite)))
    razon_demanda, limite_demanda = f["razon_demanda_intervalos"], PARAMS["razon_demanda"]
    f["es_demanda_discrepa"] = (~f["es_estimada"].astype(bool) & (f["estimada_anterior"] != 1)
                                & ((razon_demanda > limite_demanda) | (razon_demanda < 1 / limite_demanda)))
    f["es_evento_manipulacion"] = f["eventos_manipulacion"] >= PARAMS["min_eventos_manipulacion"]
    f["es_perfil_cambia"] = f["z_perfil"] > PARAMS["z_perfil"]
    f["es_factor_carga_mayor_1"] = f["factor_carga"] > 1
    residencial_fuera = (f["tipo_cliente"] == "RESIDENCIAL") & ~tarifa.isin(RESIDENCIALES)
    f["es_opcion_incompatible"] = tarifa.notna() & ((tarifa.str[:2] != f["nivel_tension"]) | residencial_fuera)
    f["es_opcion_nueva"] = (tarifa.notna() & anterior.notna() & (tarifa != anterior)
                            & ~f["tarifa_en_historia"].astype(bool)
                            & (tarifa.isin(DOBLE_REGISTRO) == anterior.isin(DOBLE_REGISTRO)))
    f["es_estimada_baja"] = f["es_estimada"] & (f["consumo_dia"] < f["mediana"])
    f["es_recupero_tras_estimada"] = (f["estimada_anterior"] == 1) & ~f["es_estimada"] & (f["consumo_dia"] > f["mediana"])
    f["es_consumo_alto"] = f["z_maximo"] > PARAMS["z_alza"]
    anual_confirma = (-f["z_anual"] > PARAMS["z_caida"]) | (f["z_anual"].isna() & (-f["z_mediana"] > PARAMS["z_caida_sin_anual"]))
    f["es_consumo_bajo"] = (-f["z_mediana"] > PARAMS["z_caida"]) & anual_confirma
    f["es_descenso_gradual"] = ((-f["z_descenso"] > PARAMS["z_descenso"]) & f["tres_meses_bajo_referencia"]
                                & (-f["z_anual"] > PARAMS["z_descenso_anual"]))
    f["es_factor_carga_atipico"] = f["z_factor_carga"].abs() > PARAMS["z_factor_carga"]
    flags = f[list(REASONS.values())]
    f["es_alerta"] = flags.any(axis=1)
    codes = np.array(list(REASONS))
    f["motivos"] = [",".join(codes[row]) for row in flags.to_numpy()]
    f["motivo_principal"] = pd.Series(codes[flags.to_numpy().argmax(axis=1)], index=f.index).where(f["es_alerta"])
    regla = f[[REASONS[c] for c in REASONS if c not in STATISTICAL]].any(axis=1)
    debil = np.fmax(f["z_mediana"], f["z_anual"].fillna(f["z_mediana"]))
    f["puntaje"] = np.maximum.reduce([
        np.where(regla, PARAMS["puntaje_regla"], 0.0),
        np.where(f["es_consumo_alto"], f["z_maximo"], 0.0),
        np.where(f["es_consumo_bajo"], -debil, 0.0),
        np.where(f["es_descenso_gradual"], -f["z_descenso"], 0.0),
        np.where(f["es_factor_carga_atipico"], f["z_factor_carga"].abs(), 0.0),
        np.where(f["es_perfil_cambia"], f["z_perfil"], 0.0),
    ])
    return f


# -- fixtures ------------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def lake(sample_lake):
    """The sample lake after the pipeline, with both alert tables built for every month."""
    minilake.ensure_pipeline(sample_lake)
    with DuckDBEngine(sample_lake) as engine:
        alerts.build_all_alerts(engine)
    return sample_lake


@pytest.fixture(scope="module")
def tables(lake):
    with DuckDBEngine(lake, read_only=True) as engine:
        return {**{name: engine.read_sql(f"select * from gold_db.{name}") for name in
                   ("gold_facturacion_teorica_mes", alerts.SENALES, alerts.ALERTAS)},
                "intervalos": engine.read_sql("select * from silver_db.silver_intervalo_mensual")}


@pytest.fixture(scope="module")
def senales(tables):
    return tables[alerts.SENALES].sort_values(KEYS).reset_index(drop=True)


@pytest.fixture(scope="module")
def reference(tables):
    return senales_reference(tables["gold_facturacion_teorica_mes"], "0000-01", "9999-12",
                             tables["intervalos"]).sort_values(KEYS).reset_index(drop=True)


# -- parity with the reference ------------------------------------------------------------------------------
def test_one_row_per_billed_supply_month(senales, tables):
    gold = tables["gold_facturacion_teorica_mes"]
    assert not senales.duplicated(KEYS).any()
    assert len(senales) == len(gold)


@pytest.mark.parametrize("column", ["n_historia", "consumo_dia", "factor_carga", "mediana_consumo_dia",
                                    "maximo_consumo_dia", "consumo_dia_anio_anterior", "mediana_referencia_descenso",
                                    "media_consumo_dia_3m", *RATIOS.values(), "z_mediana", "z_anual", "z_maximo",
                                    "z_factor_carga", "z_descenso", "z_perfil", "puntaje", "razon_intervalos_registro",
                                    "razon_demanda_intervalos", "eventos_manipulacion", "razon_perfil_historia"])
def test_numbers_match_reference(senales, reference, column):
    names = {"mediana_consumo_dia": "mediana", "maximo_consumo_dia": "maximo", "consumo_dia_anio_anterior": "anual",
             "mediana_referencia_descenso": "mediana_referencia"}
    expected = reference[names.get(column, column)].astype(float).to_numpy()
    got = senales[column].astype(float).to_numpy()
    np.testing.assert_allclose(got, expected, rtol=1e-9, atol=1e-9, equal_nan=True)


@pytest.mark.parametrize("column", [*REASONS.values(), "es_alerta", "motivo_principal", "motivos"])
def test_reasons_match_reference(senales, reference, column):
    got, expected = senales[column], reference[column]
    if column.startswith("es_"):
        got, expected = got.astype(bool), expected.fillna(False).astype(bool)
    else:
        got, expected = got.fillna("").replace("", None), expected.fillna("").replace("", None)
    mismatch = (got != expected) & ~(got.isna() & expected.isna())
    assert not mismatch.any(), senales.loc[mismatch, KEYS].head()


def test_sample_has_alerts_of_most_reasons(senales):
    present = {code for codes in senales["motivos"].dropna() for code in codes.split(",") if code}
    assert len(present) >= 8, present


def test_detector_never_reads_the_ground_truth():
    for name in (alerts.SENALES, alerts.ALERTAS):
        text = (SQL_ROOT / "gold" / f"{name}.sql").read_text()
        code = "\n".join(line.split("--", 1)[0] for line in text.splitlines())
        assert "truth" not in code and "anomalia" not in code
    tree = ast.parse(inspect.getsource(alerts))
    names = {node.attr for node in ast.walk(tree) if isinstance(node, ast.Attribute)}
    names |= {node.id for node in ast.walk(tree) if isinstance(node, ast.Name)}
    imported = {alias.name for node in ast.walk(tree) if isinstance(node, (ast.Import, ast.ImportFrom))
                for alias in node.names}
    assert not {"truth", "read_anomalies"} & names and "evaluate" not in imported


# -- hand-made bills: every reason on the supply built for it ------------------------------------------------
def _hand_made_gold() -> pd.DataFrame:
    """40 steady residential BT5B supplies over 2023-01..2024-06, plus one supply per reason (S9xx)."""
    meses = pd.period_range("2023-01", "2024-06", freq="M").strftime("%Y-%m")
    filas = []
    for n in range(40):
        for k, mes in enumerate(meses):
            kwh = 300.0 * (1 + 0.02 * ((n + k) % 5 - 2))
            filas.append(_bill(f"S{n:03d}", mes, kwh))
    especiales = {  # supply -> (month, change to its bill)
        "S901": ("2024-06", {"consumo_kwh": 3000.0}),
        "S902": ("2024-06", {"consumo_kwh": 0.0}),
        "S903": ("2024-06", {"n_retrocesos": 1}),
        "S904": ("2024-06", {"demanda_kw": 0.2}),
        "S905": ("2024-06", {"tarifa": "MT4"}),
        "S906": ("2024-06", {"consumo_kwh": 90.0}),
        "S907": ("2024-05", {"es_estimada": True, "consumo_kwh": 150.0}),
        "S908": ("2024-06", {"tarifa": "BT5A", "tipo_cliente": "RESIDENCIAL"}),
        **{supply: ("2024-06", {}) for supply in ("S910", "S911", "S912", "S913", "S915", "S916", "S917", "S918",
                                                  "S919", "S920", "S921")},
        "S914": ("2024-06", {"es_estimada": True, "consumo_kwh": 310.0}),
    }
    for supply in especiales:
        for k, mes in enumerate(meses):
            filas.append(_bill(supply, mes, 300.0 * (1 + 0.02 * (k % 5 - 2))))
    frame = pd.DataFrame(filas)
    for supply, (mes, cambio) in especiales.items():
        fila = (frame["id_suministro"] == supply) & (frame["anio_mes"] == mes)
        for column, value in cambio.items():
            frame.loc[fila, column] = value
    recupero = (frame["id_suministro"] == "S907") & (frame["anio_mes"] == "2024-06")
    frame.loc[recupero, "consumo_kwh"] = 500.0
    # S908's BT5A after BT5B reads another register (a new meter): not OPCION_NUEVA; S909 moves BT3 -> BT2
    frame = pd.concat([frame, pd.DataFrame([_bill("S909", mes, 2000.0, "COMERCIAL", "BT3" if mes < "2024-06" else "BT2")
                                            for mes in meses])], ignore_index=True)
    return frame


def _bill(supply: str, mes: str, kwh: float, tipo: str = "RESIDENCIAL", tarifa: str = "BT5B") -> dict:
    return {"id_suministro": supply, "id_cliente": "C" + supply[1:], "anio_mes": mes, "anio": int(mes[:4]),
            "mes": int(mes[5:]), "tipo_cliente": tipo, "nivel_tension": "BT", "tarifa": tarifa, "distrito": "Surquillo",
            "zona": "Lima Centro", "consumo_kwh": kwh, "demanda_kw": kwh / (24 * 30 * 0.4), "dias_facturados": 30,
            "es_estimada": False, "n_retrocesos": 0, "facturacion_teorica": kwh * 0.8}


def _steady_meter(supply: str, ratios: dict[str, float], incomplete: tuple[str, ...] = ()) -> list[tuple]:
    """A smart meter whose intervals agree with its register, month -> night/day ratio."""
    return [(f"M{supply[1:]}", supply, mes, mes not in incomplete, 300.0, 300.0, 0, 1.0, 1.0, True, ratio)
            for mes, ratio in ratios.items()]


#: Smart-meter evidence of the hand-made supplies in 2024-06 (silver_intervalo_mensual's columns): S910's intervals
#: hold half its register, S915's none of it (a recorder that stopped), S916's register records ten times the
#: intervals' maximum demand, S911 logged a burst of tamper events, S918's night/day ratio rose by half against its
#: three months before, while the 40 steady supplies' ratios move a few % (its segment). Clean: S912 (intervals
#: within the limit, a lone event), S913 (the intervals began inside the period), S914 (an estimated reading), S917 (a
#: demand that cannot be compared: an interval is missing), S919 (the same rise with one whole previous period: its
#: meter started inside 2024-04), S920 (a ratio that fell back: the day's load returned) and S921 (a rise of 10 %).
#: Every other supply and month has no smart meter.
HAND_MADE_INTERVALS = pd.DataFrame(
    [("M910", "S910", "2024-06", True, 150.0, 300.0, 0, 1.0, 1.0, True, 0.6),
     ("M911", "S911", "2024-06", True, 300.0, 300.0, 3, 1.0, 1.0, True, 0.6),
     ("M912", "S912", "2024-06", True, 330.0, 300.0, 1, 1.0, 1.2, False, 0.6),
     ("M913", "S913", "2024-06", False, 100.0, 300.0, 0, 1.0, 5.0, None, 0.6),
     ("M914", "S914", "2024-06", True, 150.0, 310.0, 0, 1.0, 5.0, False, 0.6),
     ("M915", "S915", "2024-06", True, 0.0, 300.0, 0, 0.0, 1.0, None, None),
     ("M916", "S916", "2024-06", True, 300.0, 300.0, 0, 1.0, 10.0, False, 0.6),
     ("M917", "S917", "2024-06", True, 295.0, 300.0, 0, 1.0, 5.0, None, 0.6),
     *_steady_meter("S918", {"2024-03": 0.55, "2024-04": 0.6, "2024-05": 0.57, "2024-06": 0.86}),
     *_steady_meter("S919", {"2024-04": 0.55, "2024-05": 0.57, "2024-06": 0.86}, incomplete=("2024-04",)),
     *_steady_meter("S920", {"2024-03": 0.9, "2024-04": 0.95, "2024-05": 0.92, "2024-06": 0.57}),
     *_steady_meter("S921", {"2024-03": 0.55, "2024-04": 0.6, "2024-05": 0.57, "2024-06": 0.63}),
     *[row for n in range(40) for row in _steady_meter(
         f"S{n:03d}", {mes: 0.57 * (1 + 0.03 * ((n + k) % 5 - 2))
                       for k, mes in enumerate(("2024-03", "2024-04", "2024-05", "2024-06"))})]],
    columns=INTERVAL_COLUMNS)
NO_INTERVALS = HAND_MADE_INTERVALS.iloc[:0]


def _signals_of(engine: DuckDBEngine, gold: pd.DataFrame, desde: str, hasta: str,
                intervalos: pd.DataFrame = NO_INTERVALS, params: dict = PARAMS) -> pd.DataFrame:
    """gold_senales_mes of desde..hasta computed on a lake holding only ``gold`` as its bills and ``intervalos`` as
    silver_intervalo_mensual."""
    minilake.create_reference(engine)
    engine.con.register("gold_in", gold)
    engine.con.execute("create table gold_db.gold_factura_evaluada_mes as select * from gold_in")
    engine.con.register("intervalos_in", intervalos)
    engine.con.execute("create table silver_db.silver_intervalo_mensual as select id_medidor, id_suministro, anio_mes, "
                       "cast(periodo_completo as boolean) as periodo_completo, cast(kwh_intervalos as double) as "
                       "kwh_intervalos, cast(kwh_registro as double) as kwh_registro, cast(eventos_manipulacion as "
                       "bigint) as eventos_manipulacion, cast(demanda_max_intervalo_kw as double) as "
                       "demanda_max_intervalo_kw, cast(demanda_registro_kw as double) as demanda_registro_kw, "
                       "cast(coincide_demanda as boolean) as coincide_demanda, cast(ratio_noche_dia as double) as "
                       "ratio_noche_dia from intervalos_in")
    return engine.read_sql(sqlmod.load_sql("gold", alerts.SENALES), {**params, **month_parameters(desde, hasta)})


@pytest.fixture(scope="module")
def hand_made(tmp_path_factory):
    gold = _hand_made_gold()
    with DuckDBEngine(tmp_path_factory.mktemp("hand_made")) as engine:
        got = _signals_of(engine, gold, "2024-05", "2024-06", HAND_MADE_INTERVALS)
    return gold, got.set_index(KEYS)


@pytest.mark.parametrize("supply, month, code", [
    ("S901", "2024-06", "CONSUMO_ALTO"),
    ("S902", "2024-06", "CONSUMO_CERO"),
    ("S903", "2024-06", "REGISTRO_RETROCEDE"),
    ("S904", "2024-06", "FACTOR_CARGA_MAYOR_1"),
    ("S905", "2024-06", "OPCION_INCOMPATIBLE"),
    ("S906", "2024-06", "CONSUMO_BAJO"),
    ("S907", "2024-05", "ESTIMADA_BAJA"),
    ("S907", "2024-06", "RECUPERO_TRAS_ESTIMADA"),
    ("S909", "2024-06", "OPCION_NUEVA"),
    ("S910", "2024-06", "INTERVALOS_DISCREPAN"),
    ("S911", "2024-06", "EVENTO_MANIPULACION"),
    ("S915", "2024-06", "INTERVALOS_DISCREPAN"),
    ("S916", "2024-06", "DEMANDA_DISCREPA"),
    ("S918", "2024-06", "PERFIL_CAMBIA"),
])
def test_reason_on_its_supply(hand_made, supply, month, code):
    row = hand_made[1].loc[(supply, month)]
    assert row["es_alerta"] and code in row["motivos"].split(","), row["motivos"]
    assert row["puntaje"] >= (PARAMS["z_alza"] if code in STATISTICAL else PARAMS["puntaje_regla"])


def test_steady_supplies_and_legitimate_changes_raise_nothing(hand_made):
    got = hand_made[1]
    steady = got.index.get_level_values("id_suministro").str.match(r"S0\d\d$")
    assert not got.loc[steady, "es_alerta"].any()
    assert not got.loc[("S908", "2024-06"), "es_alerta"], "BT5B -> BT5A comes with a double-register meter"
    for supply in ("S912", "S913", "S914", "S917", "S919", "S920", "S921"):
        assert not got.loc[(supply, "2024-06"), "es_alerta"], f"{supply}'s smart-meter evidence is clean"
    assert (got.loc[~got["es_alerta"], "puntaje"] == 0).all()


def test_the_smart_meter_reasons_can_be_switched_off(tmp_path):
    """What the evaluation compares against: the same bills and intervals with SIN_MEDICION_INTELIGENTE."""
    params = companion.detection_parameters(**companion.SIN_MEDICION_INTELIGENTE)
    with DuckDBEngine(tmp_path) as engine:
        got = _signals_of(engine, _hand_made_gold(), "2024-06", "2024-06", HAND_MADE_INTERVALS, params).set_index(KEYS)
    assert not got[["es_intervalos_discrepan", "es_demanda_discrepa", "es_evento_manipulacion",
                    "es_perfil_cambia"]].any().any()
    assert not got.loc[[(supply, "2024-06") for supply in ("S910", "S911", "S915", "S916", "S918")],
                       "es_alerta"].any()
    assert got.loc[("S901", "2024-06"), "es_consumo_alto"], "the other reasons stay"


def test_hand_made_signals_match_reference(hand_made):
    gold, got = hand_made
    expected = senales_reference(gold, "2024-05", "2024-06", HAND_MADE_INTERVALS).set_index(KEYS).loc[got.index]
    for column in ("z_mediana", "z_anual", "z_maximo", "z_factor_carga", "z_descenso", "z_perfil", "puntaje"):
        np.testing.assert_allclose(got[column].astype(float), expected[column].astype(float), atol=1e-9, equal_nan=True)
    assert (got["motivos"].fillna("") == expected["motivos"]).all()


# -- hand-made series: a sustained fall against the supply's own past and its peers ---------------------------
def _declines_gold() -> pd.DataFrame:
    """40 residential peers with 12 % monthly noise over 2023-01..2024-06, and three supplies that lose consumption:
    S950 falls 5 % a month from 2023-11, S951 has one low month (2024-05), S952 is low every April-June."""
    meses = pd.period_range("2023-01", "2024-06", freq="M").strftime("%Y-%m")
    ruido = np.random.default_rng(7).lognormal(0.0, 0.12, (40, len(meses)))
    filas = [_bill(f"S{n:03d}", mes, 300.0 * ruido[n, k]) for n in range(40) for k, mes in enumerate(meses)]
    for k, mes in enumerate(meses):
        caida = max(0, k - 9)  # 2023-11 is the first month below its level
        filas.append(_bill("S950", mes, 300.0 * (1 - 0.05 * caida)))
        filas.append(_bill("S951", mes, 180.0 if mes == "2024-05" else 300.0))
        filas.append(_bill("S952", mes, 210.0 if mes[5:] in ("04", "05", "06") else 300.0))
    return pd.DataFrame(filas)


@pytest.fixture(scope="module")
def declines(tmp_path_factory):
    gold = _declines_gold()
    with DuckDBEngine(tmp_path_factory.mktemp("declines")) as engine:
        got = _signals_of(engine, gold, "2024-01", "2024-06")
    return gold, got.set_index(KEYS)


def _months_with(got: pd.DataFrame, supply: str, code: str) -> list[str]:
    rows = got.xs(supply, level="id_suministro")
    return sorted(rows.index[rows["motivos"].fillna("").str.split(",").map(lambda codes: code in codes)])


def test_a_gradual_fall_is_seen_by_its_own_signal_no_later_than_by_the_monthly_one(declines):
    got = declines[1]
    descenso = _months_with(got, "S950", "DESCENSO_GRADUAL")
    assert descenso and descenso[-1] == "2024-06", descenso
    bajo = _months_with(got, "S950", "CONSUMO_BAJO")
    assert not bajo or descenso[0] <= bajo[0], (descenso, bajo)
    row = got.loc[("S950", descenso[0])]
    assert row["puntaje"] >= PARAMS["z_descenso"] and row["media_consumo_dia_3m"] < row["mediana_referencia_descenso"]


def test_one_low_month_and_a_supply_s_own_season_are_not_a_gradual_fall(declines):
    got = declines[1]
    assert not _months_with(got, "S951", "DESCENSO_GRADUAL"), "one low month is not sustained"
    assert not _months_with(got, "S952", "DESCENSO_GRADUAL"), "low as in the same months last year"
    peers = got.index.get_level_values("id_suministro").str.match(r"S0\d\d$")
    assert not got.loc[peers, "motivos"].fillna("").str.contains("DESCENSO_GRADUAL").any()


def test_hand_made_declines_match_reference(declines):
    gold, got = declines
    expected = senales_reference(gold, "2024-01", "2024-06", NO_INTERVALS).set_index(KEYS).loc[got.index]
    for column in ("log_ratio_descenso", "z_descenso", "z_anual", "puntaje"):
        np.testing.assert_allclose(got[column].astype(float), expected[column].astype(float), atol=1e-9, equal_nan=True)
    assert (got["motivos"].fillna("") == expected["motivos"]).all()


# -- ranking and new alerts ----------------------------------------------------------------------------------
def test_alerts_are_the_union_of_both_detectors(tables):
    gold = tables["gold_facturacion_teorica_mes"].set_index(KEYS)
    senales = tables[alerts.SENALES].set_index(KEYS)
    alertadas = tables[alerts.ALERTAS].set_index(KEYS)
    expected = senales.index[senales["es_alerta"] | gold.loc[senales.index, "es_atipico"]]
    assert set(alertadas.index) == set(expected)
    assert (alertadas["es_alerta_iqr"] == gold.loc[alertadas.index, "es_atipico"]).all()
    assert (alertadas["es_alerta_complementaria"] == senales.loc[alertadas.index, "es_alerta"]).all()


def test_ranking_per_month(tables):
    alertas_mes = tables[alerts.ALERTAS]
    billed = tables["gold_facturacion_teorica_mes"].groupby("anio_mes").size()
    for mes, grupo in alertas_mes.groupby("anio_mes"):
        grupo = grupo.sort_values("prioridad")
        assert grupo["prioridad"].tolist() == list(range(1, len(grupo) + 1))
        assert grupo["enviada_reciente"].is_monotonic_increasing, "a supply just sent ranks before a new one"
        for _, parte in grupo.groupby("enviada_reciente"):
            assert parte["valor_esperado"].is_monotonic_decreasing
        assert (grupo["capacidad"] == math.ceil(PARAMS["capacidad_inspeccion"] * billed[mes])).all()
        esperado = (grupo["prioridad"] <= grupo["capacidad"]) & ~grupo["enviada_reciente"]
        assert (grupo["dentro_capacidad"] == esperado).all()
    both = alertas_mes[alertas_mes["es_alerta_iqr"] & alertas_mes["es_alerta_complementaria"]]
    assert (both["detectores"] == "IQR+COMPLEMENTARIO").all() and both["motivos"].str.endswith(",CERCO_IQR").all()


def test_a_supply_sent_to_inspection_is_not_sent_again_for_the_months_the_rule_says(tables):
    alertas_mes = tables[alerts.ALERTAS]
    indice = alertas_mes["anio_mes"].str[:4].astype(int) * 12 + alertas_mes["anio_mes"].str[5:].astype(int)
    enviadas = alertas_mes.assign(indice=indice)[alertas_mes["dentro_capacidad"]]
    for supply, visitas in enviadas.groupby("id_suministro")["indice"]:
        assert (visitas.sort_values().diff().dropna() > PARAMS["meses_sin_reinspeccion"]).all(), supply
    marcadas = alertas_mes.assign(indice=indice)[alertas_mes["enviada_reciente"]]
    antes = set(zip(enviadas["id_suministro"], enviadas["indice"]))
    for fila in marcadas.itertuples():
        assert any((fila.id_suministro, fila.indice - k) in antes for k in range(1, PARAMS["meses_sin_reinspeccion"] + 1))
    assert len(marcadas) > 0 and not alertas_mes.loc[alertas_mes["anio_mes"] == alertas_mes["anio_mes"].min(),
                                                      "enviada_reciente"].any()


def _band(consumo: pd.Series, mediana: pd.Series) -> pd.Series:
    """The band of consumption of gold_alertas_valoradas: consumption per day against its 12-month median."""
    limits = companion.BANDAS_CONSUMO
    edges = [-np.inf, limits["razon_muy_baja"], limits["razon_baja"], limits["razon_alta"], limits["razon_muy_alta"]]
    with np.errstate(divide="ignore", invalid="ignore"):
        razon = (consumo / mediana).replace(np.inf, np.finfo(float).max)
    band = pd.Series(np.array(["MUY_BAJA", "BAJA", "NORMAL", "ALTA", "MUY_ALTA"])[np.searchsorted(edges, razon, "right") - 1],
                     index=consumo.index)
    return band.where(consumo != 0, "CERO").where(consumo.notna() & mediana.notna(), "SIN_HISTORIA")


def test_expected_value_is_likelihood_times_amount_times_months(tables):
    alertas_mes = tables[alerts.ALERTAS].set_index(KEYS)
    gold = tables["gold_facturacion_teorica_mes"].set_index(KEYS).loc[alertas_mes.index]
    importe = (gold["facturacion_teorica"] - gold["facturacion_referencia"]).abs().fillna(0.0)
    np.testing.assert_allclose(alertas_mes["importe_en_juego"], importe, rtol=1e-12)
    senales = tables[alerts.SENALES].set_index(KEYS).loc[alertas_mes.index]
    band = _band(senales["consumo_dia"], senales["mediana_consumo_dia"])
    assert (alertas_mes["banda_consumo"] == band).all()
    valores = companion.reason_values()
    own = valores.reindex(pd.MultiIndex.from_arrays([alertas_mes["motivo_principal"], band]))
    every = valores.xs("TODAS", level="banda_consumo").loc[alertas_mes["motivo_principal"]]
    probabilidad = own["probabilidad"].fillna(pd.Series(every["probabilidad"].to_numpy(), index=own.index)).to_numpy()
    meses = own["meses_en_juego"].fillna(pd.Series(every["meses_en_juego"].to_numpy(), index=own.index)).to_numpy()
    np.testing.assert_allclose(alertas_mes["probabilidad"], probabilidad)
    np.testing.assert_allclose(alertas_mes["valor_esperado"], probabilidad * importe * meses)
    assert set(valores.xs("TODAS", level="banda_consumo").index) == set(alerts.MOTIVOS)
    assert valores["probabilidad"].between(0, 1).all() and (valores["meses_en_juego"] >= 1).all()


@pytest.fixture(scope="module")
def ranked_by_value(tmp_path_factory):
    """The list of 2024-06 for 40 steady supplies and two with the same fall to 30 % of their level: S960 of a
    300 kWh home, S961 of a 3,000 kWh one (same signal, same likelihood, ten times the amount)."""
    meses = pd.period_range("2023-01", "2024-06", freq="M").strftime("%Y-%m")
    filas = [_bill(f"S{n:03d}", mes, 300.0 * (1 + 0.02 * ((n + k) % 5 - 2))) for n in range(40)
             for k, mes in enumerate(meses)]
    for supply, nivel in (("S960", 300.0), ("S961", 3000.0)):
        filas += [_bill(supply, mes, nivel * (0.3 if mes == "2024-06" else 1 + 0.02 * (k % 5 - 2)))
                  for k, mes in enumerate(meses)]
    gold = pd.DataFrame(filas).sort_values(KEYS)
    previas = gold.groupby("id_suministro")["facturacion_teorica"]
    gold = gold.assign(facturacion_referencia=previas.transform(lambda f: f.shift(1).rolling(12, min_periods=1).median()),
                       es_atipico=False, valor_evaluado=np.nan, q3=np.nan, iqr=np.nan)
    parametros = {**PARAMS, **month_parameters("2024-06", "2024-06")}
    with DuckDBEngine(tmp_path_factory.mktemp("ranked")) as engine:
        senales = _signals_of(engine, gold, "2024-06", "2024-06")
        engine.con.register("senales_in", senales)
        engine.con.execute(f"create table gold_db.{alerts.SENALES} as select * from senales_in")
        # the list reads the bills too
        engine.con.execute("create table gold_db.gold_facturacion_teorica_mes as select * from gold_in")
        return engine.read_sql(graph.statement(alerts.ALERTAS), parametros).set_index("id_suministro")


def test_a_larger_loss_ranks_higher_at_equal_likelihood_and_the_capacity_cuts_the_list(ranked_by_value):
    lista = ranked_by_value
    assert list(lista.index) == ["S961", "S960"], lista[["motivo_principal", "valor_esperado"]]
    assert (lista["motivo_principal"] == "CONSUMO_BAJO").all() and lista["probabilidad"].nunique() == 1
    assert lista.loc["S961", "importe_en_juego"] == pytest.approx(10 * lista.loc["S960", "importe_en_juego"], rel=0.05)
    assert lista["prioridad"].tolist() == [1, 2] and (lista["capacidad"] == 1).all()
    assert lista["dentro_capacidad"].tolist() == [True, False]


def test_new_alerts_are_those_without_an_alert_the_month_before(tables):
    alertas_mes = tables[alerts.ALERTAS]
    indice = alertas_mes["anio_mes"].str[:4].astype(int) * 12 + alertas_mes["anio_mes"].str[5:].astype(int)
    claves = set(zip(alertas_mes["id_suministro"], indice))
    previa = [(s, i - 1) in claves for s, i in zip(alertas_mes["id_suministro"], indice)]
    assert (alertas_mes["es_nueva"] == ~np.array(previa)).all()
    assert alertas_mes["es_nueva"].any() and not alertas_mes["es_nueva"].all()


def test_period_run_matches_full_build_and_is_idempotent(lake, tables):
    period = "2025-06"
    full = tables[alerts.ALERTAS]
    full = full[full["anio_mes"] == period].sort_values("prioridad").reset_index(drop=True)
    with DuckDBEngine(lake) as engine:
        for _ in range(2):
            filas = alerts.build_alerts_for_period(engine, period)
        again = alerts.read_alerts(engine, period)
        total = engine.read_sql(f"select count(*) as n from gold_db.{alerts.ALERTAS}")["n"].iloc[0]
    assert filas[alerts.ALERTAS] == len(full) == len(again)
    assert total == len(tables[alerts.ALERTAS])
    pd.testing.assert_frame_equal(again[full.columns].reset_index(drop=True), full, check_dtype=False)


class _MonthsOnly:
    """An engine that knows GOLD's months, whether the alert tables exist and whether the signals of a month match
    its bills: all _signal_builds asks."""

    def __init__(self, exists: bool, stale: bool = False):
        self.exists = exists
        self.stale = stale

    def table_exists(self, database: str, name: str) -> bool:
        return self.exists

    def read_sql(self, sql: str, params=None) -> pd.DataFrame:
        if params and "desde" in params:  # alert_tables_check of one month
            return pd.DataFrame({"gold_filas": [10], "senales_filas": [0 if self.stale else 10],
                                 "gold_kwh": [5.0], "senales_kwh": [0.0 if self.stale else 5.0]})
        return pd.DataFrame({"anio_mes": [f"{anio}-{mes:02d}" for anio in (2024, 2025) for mes in range(1, 13)]})


def test_the_signals_are_built_a_few_months_per_statement_oldest_first():
    from lds_utils.lake.pipeline import Months

    todos = alerts._signal_builds(_MonthsOnly(exists=True), Months.every(), size=10)
    assert [(b.desde, b.hasta, b.partial) for b in todos] == [
        ("2024-01", "2024-10", False), ("2024-11", "2025-08", True), ("2025-09", "2025-12", True)]
    rango = Months.between("2025-03", "2025-05")
    assert [(b.desde, b.hasta, b.partial) for b in alerts._signal_builds(_MonthsOnly(True), rango, size=2)] == [
        ("2025-03", "2025-04", True), ("2025-05", "2025-05", True)]
    # stale signals the month before (new alerts are marked against them): rebuilt first
    assert [(b.desde, b.hasta) for b in alerts._signal_builds(_MonthsOnly(True, stale=True), rango, size=2)] == [
        ("2025-02", "2025-03"), ("2025-04", "2025-05")]
    # no table yet: the first months start it
    assert alerts._signal_builds(_MonthsOnly(False), rango, size=2)[0].partial is False


def test_a_period_run_keeps_the_signals_of_the_month_before_that_match_its_bills(lake):
    def files(month: str) -> dict[str, int]:
        return {path.name: path.stat().st_ino
                for path in (lake / "gold" / alerts.SENALES).glob(f"v*/anio_mes={month}/*.parquet")}

    antes, periodo = files("2025-05"), files("2025-06")
    with DuckDBEngine(lake) as engine:
        alerts.build_alerts_for_period(engine, "2025-06")
    assert antes and files("2025-05") == antes, "the month before was recomputed though its signals were current"
    assert set(files("2025-06").values()).isdisjoint(periodo.values()), "the period itself is rebuilt"


def test_a_reader_requires_the_alert_tables_of_every_month(sample_lake, tmp_path):
    from lds_utils.lake.pipeline import run_pipeline
    from lds_utils.reporting.report import ReportContext
    from tests import lakecopy

    copia = lakecopy.copy_raw(sample_lake, tmp_path / "lake")
    run_pipeline(copia)
    with DuckDBEngine(copia, read_only=True) as motor:
        assert not motor.table_exists("gold_db", alerts.SENALES), "the pipeline builds them only on request"
        with pytest.raises(UsageError, match="run `python -m lds_utils alertas --desde 2021-01 --hasta 2025-06"):
            alerts.require_tables(ReportContext("2025-06", "2022-01", "duckdb", copia, motor))
    with DuckDBEngine(copia) as engine:
        alerts.build_alerts(engine, "2021-01", "2025-06")
    with DuckDBEngine(copia, read_only=True) as motor:
        alerts.require_tables(ReportContext("2025-06", "2022-01", "duckdb", copia, motor))
        assert alerts.tables_match_gold(motor, "2025-06") and len(alerts.read_alerts(motor, "2025-06"))
    with DuckDBEngine(copia) as engine:
        engine.con.execute(f"drop view gold_db.{alerts.SENALES}")
    with DuckDBEngine(copia, read_only=True) as motor:
        with pytest.raises(UsageError, match="gold_senales_mes and gold_db.gold_alertas_mes are missing"):
            alerts.require_tables(ReportContext("2025-06", "2022-01", "duckdb", copia, motor))


# -- the alertas command -------------------------------------------------------------------------------------
def test_alertas_command_writes_table_and_csv(lake, capsys):
    assert cli.main(["alertas", "--period", "2025-05", "--lake", str(lake), "--capacidad", "0.01"]) == 0
    path = lake / "gold" / "alertas" / "alertas_2025-05.csv"
    written = pd.read_csv(path, dtype={"anio_mes": str})
    assert written.columns[0] == "anio_mes" and (written["anio_mes"] == "2025-05").all()
    assert written["prioridad"].tolist() == list(range(1, len(written) + 1))
    assert written["capacidad"].iloc[0] == math.ceil(0.01 * written["suministros_facturados"].iloc[0])
    assert not {"nombre", "numero_documento"} & set(written.columns)
    assert not list(path.parent.glob(".*.tmp"))
    assert "alertas 2025-05" in capsys.readouterr().out
    with DuckDBEngine(lake, read_only=True) as engine:
        stored = alerts.read_alerts(engine, "2025-05")
    assert len(stored) == len(written)


@pytest.mark.parametrize("args, message", [
    (["--period", "2025-13"], "--period"),
    (["--period", "2031-01"], "no bills for period 2031-01"),
    (["--period", "2025-05", "--capacidad", "0"], "--capacidad"),
    (["--period", "2025-05", "--capacidad", "mucho"], "--capacidad"),
    (["--period", "2025-05", "--bucket", "b"], "--engine athena"),
    ([], "--period"),
])
def test_alertas_command_errors(lake, capsys, args, message):
    assert cli.main(["alertas", "--lake", str(lake), *args]) == 2
    assert message in capsys.readouterr().err


def test_alertas_command_needs_a_built_lake(tmp_path, capsys):
    assert cli.main(["alertas", "--period", "2025-05", "--lake", str(tmp_path)]) == 2
    assert "run `python -m lds_utils pipeline" in capsys.readouterr().err


# -- evaluation ------------------------------------------------------------------------------------------------
ANOMALIAS = pd.DataFrame({
    "id_anomalia": ["A1", "A2", "A3"], "tipo": ["PICO", "CAIDA_SOSTENIDA", "CONSUMO_CERO"],
    "id_suministro": ["S1", "S2", "S9"], "anio_mes_inicio": ["2024-02", "2024-01", "2024-01"],
    "anio_mes_fin": ["2024-02", "2024-03", "2024-01"], "magnitud": ["5", "0.5", "0"], "detalle": ["", "", ""],
})


def _toy_detections() -> pd.DataFrame:
    meses = ["2024-01", "2024-02", "2024-03"]
    frame = pd.DataFrame([(s, m) for s in ("S1", "S2", "S3") for m in meses], columns=KEYS)
    marcado = {("S1", "2024-02"), ("S2", "2024-03"), ("S3", "2024-01")}
    frame["es_alerta_complementaria"] = [(s, m) in marcado for s, m in zip(frame["id_suministro"], frame["anio_mes"])]
    frame["es_alerta_iqr"] = (frame["id_suministro"] == "S1") & (frame["anio_mes"] == "2024-02")
    frame["es_alerta_combinada"] = frame["es_alerta_complementaria"] | frame["es_alerta_iqr"]
    frame["dentro_capacidad"] = frame["es_alerta_complementaria"] & (frame["id_suministro"] != "S3")
    frame["capacidad"] = 2
    frame["motivos"] = np.where(frame["es_alerta_complementaria"], "CONSUMO_BAJO", None)
    return frame


def test_the_ground_truth_is_read_as_text_codes_and_numeric_magnitudes(tmp_path):
    truth = tmp_path / "truth"
    truth.mkdir()
    (truth / "anomalias.csv").write_text(
        "id_anomalia,tipo,id_suministro,anio_mes_inicio,anio_mes_fin,magnitud,detalle\n"
        "AN1,PICO,S0001,2024-01,2024-01,4.5,NA\nAN2,CONSUMO_CERO,S0002,2024-02,2024-03,,\n", encoding="utf-8")
    anomalias = evaluate.read_anomalies(tmp_path)
    assert anomalias["id_suministro"].tolist() == ["S0001", "S0002"] and anomalias["detalle"].tolist() == ["NA", ""]
    assert anomalias["magnitud"].iloc[0] == 4.5 and math.isnan(anomalias["magnitud"].iloc[1])


def test_labels_follow_the_anomaly_windows():
    etiquetado = evaluate.label_detections(_toy_detections(), ANOMALIAS)
    anomalas = etiquetado.loc[etiquetado["es_anomalia"], KEYS].apply(tuple, axis=1).tolist()
    assert anomalas == [("S1", "2024-02"), ("S2", "2024-01"), ("S2", "2024-02"), ("S2", "2024-03")]


def test_months_inside_pairs_each_supply_month_with_every_window_holding_it_in_file_order():
    meses = pd.DataFrame({"id_suministro": ["S2", "S1", "S2", "S4", "S2"],
                          "anio_mes": ["2024-03", "2024-02", "2023-12", "2024-01", "2024-05"]})
    eventos = pd.DataFrame({"id_suministro": ["S2", "S1", "S2", "S3"],
                            "anio_mes_inicio": ["2024-03", "2024-03", "2023-11", "2024-01"],
                            "anio_mes_fin": ["2024-05", "2024-04", "2024-03", "2024-12"]})
    fila, evento = evaluate.months_inside(meses, eventos)
    # S2 2024-03 lies in both of S2's windows (the year boundary counts as one month); S1 2024-02 is before its
    # window; S4 has no window; S3's window has no supply-month
    assert list(zip(fila.tolist(), evento.tolist())) == [(0, 0), (0, 2), (2, 2), (4, 0)]


def test_a_month_inside_two_anomalies_takes_the_first_of_the_file():
    otra = pd.DataFrame({"id_anomalia": ["A0"], "tipo": ["PICO"], "id_suministro": ["S2"], "anio_mes_inicio": ["2024-03"],
                         "anio_mes_fin": ["2024-03"], "magnitud": ["2"], "detalle": [""]})
    etiquetado = evaluate.label_detections(_toy_detections(), pd.concat([otra, ANOMALIAS], ignore_index=True))
    tipos = etiquetado.set_index(KEYS)["id_anomalia"]
    assert tipos[("S2", "2024-03")] == "A0" and tipos[("S2", "2024-02")] == "A2" and pd.isna(tipos[("S3", "2024-01")])


def test_metrics_on_a_toy_case():
    etiquetado = evaluate.label_detections(_toy_detections(), ANOMALIAS)
    globales = evaluate.overall_metrics(etiquetado).set_index("detector")
    companion = globales.loc["es_alerta_complementaria"]
    assert companion["alertas"] == 3 and companion["verdaderos"] == 2
    assert companion["precision"] == pytest.approx(2 / 3) and companion["recall"] == pytest.approx(2 / 4)
    assert companion["f1"] == pytest.approx(2 * (2 / 3) * 0.5 / (2 / 3 + 0.5))
    # A3 is on a supply without bills: it cannot be evaluated; A1 and A2 are both found
    assert companion["recall_anomalias"] == 1.0
    assert globales.loc["es_alerta_iqr", "recall_anomalias"] == 0.5
    por_tipo = evaluate.recall_by_kind(etiquetado).set_index("tipo")
    assert por_tipo.loc["CAIDA_SOSTENIDA", "es_alerta_complementaria_meses"] == pytest.approx(1 / 3)
    assert por_tipo.loc["CAIDA_SOSTENIDA", "es_alerta_iqr_anomalias"] == 0.0
    por_mes = evaluate.metrics_by_month(etiquetado, "es_alerta_complementaria").set_index("anio_mes")
    assert por_mes.loc["2024-01", "precision"] == 0.0 and por_mes.loc["2024-02", "recall"] == 0.5
    motivos = evaluate.precision_by_reason(etiquetado).set_index("motivo")
    assert motivos.loc["CONSUMO_BAJO", "alertas"] == 3


def _toy_valued() -> tuple[pd.DataFrame, pd.DataFrame]:
    """The toy detections with their leading reason and amounts: A2 (S2) puts 10, 20 and 30 soles at stake in its
    three months, A1 (S1) 100 in its one; S1's bill is also the IQR rule's alert."""
    detecciones = _toy_detections()
    importe = {("S2", "2024-01"): 10.0, ("S2", "2024-02"): 20.0, ("S2", "2024-03"): 30.0, ("S1", "2024-02"): 100.0}
    claves = list(zip(detecciones["id_suministro"], detecciones["anio_mes"]))
    detecciones["importe_en_juego"] = [importe.get(clave, 5.0) for clave in claves]
    detecciones["exceso_iqr"] = np.where(detecciones["es_alerta_iqr"], 1.0, np.nan)
    detecciones["motivo_principal"] = np.where(detecciones["es_alerta_complementaria"], "CONSUMO_BAJO", None)
    anomalias = ANOMALIAS.assign(magnitud=ANOMALIAS["magnitud"].astype(float))
    return evaluate.label_detections(detecciones, anomalias), anomalias


def test_timeliness_counts_the_first_inspected_month_of_each_anomaly():
    tabla = evaluate.timeliness(*_toy_valued()).set_index("tipo")
    assert tabla.loc["PICO", ["anomalias", "en_1_meses", "en_3_meses"]].tolist() == [1, 1.0, 1.0]
    assert tabla.loc["CAIDA_SOSTENIDA", ["en_1_meses", "en_3_meses", "en_6_meses"]].tolist() == [0.0, 1.0, 1.0]
    sostenidas = evaluate.CAIDAS_GRANDES["CAIDA_SOSTENIDA"]
    assert tabla.loc[sostenidas, ["anomalias", "en_3_meses"]].tolist() == [1, 1.0]  # A2 loses 50 %
    assert tabla.loc[evaluate.CAIDAS_GRANDES_JUNTAS, "anomalias"] == 1
    assert evaluate.CAIDAS_GRANDES["DESCENSO_LENTO"] not in tabla.index  # no slow decline in the toy case


def test_timeliness_keeps_step_drops_and_slow_declines_apart():
    etiquetado, anomalias = _toy_valued()
    lento = etiquetado.assign(tipo_anomalia=etiquetado["tipo_anomalia"].replace("CAIDA_SOSTENIDA", "DESCENSO_LENTO"))
    tabla = evaluate.timeliness(lento, anomalias).set_index("tipo")
    assert evaluate.CAIDAS_GRANDES["CAIDA_SOSTENIDA"] not in tabla.index
    assert tabla.loc[evaluate.CAIDAS_GRANDES["DESCENSO_LENTO"], "anomalias"] == 1


#: S3 is empty in 2024-01 (its alert is outside the capacity), S1 changes level from 2024-02 (its month then is A1's).
LEGITIMOS = pd.DataFrame({"tipo": ["DESOCUPADO", "CAMBIO_NIVEL"], "id_suministro": ["S3", "S1"],
                          "anio_mes_inicio": ["2024-01", "2024-02"], "anio_mes_fin": ["2024-01", "2024-03"]})


def test_false_alarms_count_legitimate_months_outside_anomalies_only():
    tabla = evaluate.false_alarms_on_legitimate(_toy_valued()[0], LEGITIMOS).set_index("tipo")
    assert tabla.loc["DESOCUPADO", ["meses", "es_alerta_complementaria", "dentro_capacidad"]].tolist() == [1, 1.0, 0.0]
    assert tabla.loc["CAMBIO_NIVEL", "meses"] == 1  # 2024-02 lies inside A1: not a false alarm
    assert tabla["cuota_capacidad"].sum() == 0.0


def test_the_targets_summary_round_trips_and_judges_each_target(tmp_path):
    etiquetado, anomalias = _toy_valued()
    resumen = targets.summarise(etiquetado, anomalias, LEGITIMOS, clientes=3, semilla=7, capacidad=0.5,
                                meses_sin_reinspeccion=6)
    targets.write(resumen, tmp_path / "deteccion.json")
    assert targets.load(tmp_path / "deteccion.json") == resumen and targets.load(tmp_path / "no.json") is None
    tabla = targets.targets_table(resumen).set_index("meta")["cumple"]
    # precision 2/6; A2 inspected in its 3rd month; no vacancy inspected; the IQR rule alerts 1 bill in 3 in 2024-02,
    # none in the other months: every month is out of the band
    assert tabla.tolist() == [False, True, True, False]
    medido = targets.targets_table(resumen)["medido"]
    assert medido.iloc[0].startswith("33.3 %") and medido.iloc[3] == "0.00-33.33 % (0 de 3 meses en la banda)"


def test_the_committed_evaluation_is_on_the_held_out_seed():
    resumen = targets.load()
    assert resumen is not None, "bench/results/deteccion.json is missing: run bench/eval_detection.py --resultados"
    assert resumen["semilla"] != resumen["semilla_calibracion"] and resumen["clientes"] >= 100_000
    assert resumen["meses_sin_reinspeccion"] == companion.MESES_SIN_REINSPECCION
    assert len(targets.targets_table(resumen)) == 4


def test_soles_per_inspection_counts_what_is_left_of_each_anomaly_once():
    tabla = evaluate.soles_per_inspection(*_toy_valued()).set_index("lista")["soles"]
    lista, iqr, azar = tabla.to_numpy()
    assert lista == 100 + 30  # A1 in its month; A2 in its last month: 30 left
    assert iqr == 100  # the IQR rule alerts S1 only
    assert azar == pytest.approx((60 + 50 + 30 + 100) / 9 * 6)  # mean at stake x 6 inspections (2 a month)


def test_reason_calibration_of_a_toy_list():
    tabla = evaluate.reason_calibration(*_toy_valued()).set_index("motivo_principal")
    assert tabla.loc["CONSUMO_BAJO", "alertas"] == 3
    assert tabla.loc["CONSUMO_BAJO", "probabilidad"] == pytest.approx(2 / 3)
    assert tabla.loc["CONSUMO_BAJO", "meses_en_juego"] == 1.0  # both true alerts came in their anomaly's last month


def test_precision_at_k_counts_unused_capacity_as_misses():
    por_mes = evaluate.precision_at_k(evaluate.label_detections(_toy_detections(), ANOMALIAS)).set_index("anio_mes")
    assert por_mes["precision_k"].tolist() == [0.0, 0.5, 0.5]
    resumen = evaluate.precision_at_k_summary(por_mes.reset_index())
    assert resumen["precision_k"] == pytest.approx(2 / 6)


def test_on_a_sample_the_capacity_bound_counts_are_scaled_back_by_its_step():
    etiquetado = evaluate.label_detections(_toy_detections(), ANOMALIAS)
    completo = evaluate.precision_at_k(etiquetado)
    muestra = evaluate.precision_at_k(etiquetado, evaluate.Muestra(suministros=300, cada=3))
    assert (muestra["verdaderos"] == 3 * completo["verdaderos"]).all()
    assert (muestra["inspeccionables"] == 3 * completo["inspeccionables"]).all()
    assert (muestra["capacidad"] == completo["capacidad"]).all()
    assert muestra["tasa_aleatoria"].tolist() == completo["tasa_aleatoria"].tolist()


@pytest.mark.parametrize(("suministros", "cada"), [(1_500, 1), (100_000, 1), (100_001, 2), (1_300_000, 13)])
def test_the_evaluation_reads_every_supply_up_to_its_maximum_and_a_sample_above(suministros, cada):
    muestra = evaluate.Muestra.for_supplies(suministros)
    assert muestra.cada == cada
    assert suministros // cada <= evaluate.MAX_SUMINISTROS_EVALUADOS
    assert ("muestra" in muestra.sentence()) == (cada > 1)


def test_inspection_hit_rates():
    inspecciones = pd.DataFrame({
        "id_suministro": ["S1", "S2", "S3", "S3"], "mes_inspeccion": ["2024-03", "2024-04", "2024-02", "2024-03"],
        "motivo_inspeccion": ["SOSPECHA", "SOSPECHA", "ALEATORIA", "ALEATORIA"],
        "resultado": ["ERROR_FACTURACION", "HURTO_BYPASS", "SIN_ANOMALIA", "SIN_ANOMALIA"],
    })
    anio_mes = ["2024-02", "2024-03", "2024-01", "2024-02"]
    inspecciones = inspecciones.assign(anio_mes=anio_mes, acierto=inspecciones["resultado"] != "SIN_ANOMALIA")
    tabla = evaluate.inspection_validation(inspecciones, _toy_detections()).set_index("grupo")
    assert tabla.loc["Muestra aleatoria de control", "tasa_acierto"] == 0.0
    assert tabla.loc["Detector complementario", "inspecciones"] == 3
    assert tabla.loc["Detector complementario", "tasa_acierto"] == pytest.approx(2 / 3)
    assert tabla.loc["Cerco IQR (oficial)", "tasa_acierto"] == 1.0


def test_inspections_point_to_the_bill_of_the_month_before(lake):
    with DuckDBEngine(lake, read_only=True) as engine:
        inspecciones = evaluate.read_inspections(engine, "2022-01", "2025-12")
    pares = inspecciones[["mes_inspeccion", "anio_mes"]].drop_duplicates()
    esperado = (pd.PeriodIndex(pares["mes_inspeccion"], freq="M") - 1).strftime("%Y-%m")
    assert (pares["anio_mes"].to_numpy() == np.asarray(esperado)).all()
    assert set(inspecciones["motivo_inspeccion"]) == {"SOSPECHA", "ALEATORIA"}


def test_smart_meter_contribution_counts_anomalies_of_the_interval_months_with_and_without():
    """Four anomalies; S1's, S2's and S4's months have interval data (S4's anomaly began before them). With the smart
    meters' reasons the list holds S1's anomaly and a clean S3 month; without them it holds S2's anomaly only."""
    anomalias = pd.DataFrame({"id_anomalia": ["A1", "A2", "A3", "A4"],
                              "tipo": ["PICO", "CAIDA_SOSTENIDA", "PICO", "DESCENSO_LENTO"],
                              "id_suministro": ["S1", "S2", "S3", "S4"],
                              "anio_mes_inicio": ["2025-08", "2025-07", "2025-01", "2025-05"],
                              "anio_mes_fin": ["2025-08", "2025-09", "2025-01", "2025-08"]})
    frame = pd.DataFrame([(s, m) for s in ("S1", "S2", "S3", "S4") for m in ("2025-07", "2025-08", "2025-09")],
                         columns=KEYS)
    con = evaluate.label_detections(frame.assign(dentro_capacidad=frame["anio_mes"].eq("2025-08")
                                                 & frame["id_suministro"].isin(["S1", "S3"])), anomalias)
    sin = evaluate.label_detections(frame.assign(dentro_capacidad=frame["anio_mes"].eq("2025-09")
                                                 & frame["id_suministro"].eq("S2")), anomalias)
    meses_ami = frame[frame["id_suministro"].isin(["S1", "S2", "S4"])]
    aporte = evaluate.smart_meter_contribution(con, sin, meses_ami, anomalias)
    por_tipo = pd.DataFrame(aporte["por_tipo"]).set_index("tipo")
    assert aporte["suministro_meses"] == 9
    # A1 is inspected in its first month with the reasons; A2 only in its third month, without them
    assert por_tipo.loc["PICO"].to_dict() == {"anomalias": 1, "inspeccionadas_con": 1.0, "inspeccionadas_sin": 0.0,
                                              "empiezan": 1, "primer_mes_con": 1.0, "primer_mes_sin": 0.0}
    assert por_tipo.loc["CAIDA_SOSTENIDA"].to_dict() == {"anomalias": 1, "inspeccionadas_con": 0.0,
                                                         "inspeccionadas_sin": 1.0, "empiezan": 1,
                                                         "primer_mes_con": 0.0, "primer_mes_sin": 0.0}
    assert por_tipo.loc["DESCENSO_LENTO", ["anomalias", "inspeccionadas_con", "empiezan"]].tolist() == [1, 0.0, 0]
    assert por_tipo.loc["DESCENSO_LENTO", ["primer_mes_con", "primer_mes_sin"]].isna().all()
    assert por_tipo.loc["TODAS"].to_dict() == {"anomalias": 3, "inspeccionadas_con": 1 / 3, "inspeccionadas_sin": 1 / 3,
                                               "empiezan": 2, "primer_mes_con": 0.5, "primer_mes_sin": 0.0}
    assert aporte["inspecciones"] == {"con": {"inspecciones": 1, "verdaderas": 1},
                                      "sin": {"inspecciones": 1, "verdaderas": 1}}
    tabla = evaluate.smart_meter_table(aporte)
    assert tabla["tipo"].iloc[-1] == "Todas" and np.allclose(tabla["con"], [100.0, 0.0, 0.0, 100 / 3])


def test_the_one_month_history_is_the_previous_month_when_it_has_a_value():
    bills = pd.DataFrame({"id_suministro": ["A", "A", "A", "A", "B", "B"],
                          "anio_mes": ["2024-01", "2024-02", "2024-03", "2024-05", "2024-02", "2024-03"],
                          "importe": [10.0, np.nan, 30.0, 50.0, 7.0, np.inf]})
    mediana, cuenta = detect.MonthGrid(bills).history(bills["importe"], 1)
    np.testing.assert_array_equal(mediana, [np.nan, 10.0, np.nan, np.nan, np.nan, 7.0])
    np.testing.assert_array_equal(cuenta, [0, 1, 0, 0, 0, 1])
    de_dos, _ = detect.MonthGrid(bills).history(bills["importe"], 2)
    np.testing.assert_array_equal(de_dos, [np.nan, 10.0, 10.0, 30.0, np.nan, 7.0])
