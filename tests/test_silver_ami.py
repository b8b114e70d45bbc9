"""silver_intervalo_mensual against an independent pandas computation on the sample, and what it measures.

Every column of every meter-month is recomputed from the BRONZE readings, meters and intervals; then the measures
are checked against what the generator injected: registers and intervals agree outside injected faults, a gap
shows as error, a zero run as its longest run of zeros.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from lds_utils.lake.pipeline import run_pipeline
from lds_utils.lake.registry import open_engine
from tests import lakecopy

ORDEN_TIPO = {"INSTALACION": 0, "RETIRO": 2}
MANIPULACION = ("TAPA_ABIERTA", "CAMPO_MAGNETICO", "ENERGIA_INVERSA")


@pytest.fixture(scope="module")
def frames(built_lake):
    with open_engine("duckdb", built_lake, read_only=True) as engine:
        return {
            "silver": engine.read_sql("select * from silver_db.silver_intervalo_mensual"),
            "lecturas": engine.read_sql("select id_lectura, id_medidor, anio_mes, fecha_lectura, tipo_lectura, "
                                        "lectura_kwh, demanda_max_kw from bronze_db.bronze_acumulado"),
            "medidores": engine.read_sql("select id_medidor, id_suministro, numero_digitos, factor_medidor "
                                         "from bronze_db.bronze_medidor"),
            "intervalos": engine.read_sql("select id_medidor, fecha_hora, energia_kwh, calidad "
                                          "from bronze_db.bronze_lectura_intervalo"),
            "eventos": engine.read_sql("select id_medidor, fecha_hora, codigo_evento "
                                       "from bronze_db.bronze_evento_medidor"),
        }


def expected_periods(lecturas: pd.DataFrame, medidores: pd.DataFrame) -> pd.DataFrame:
    """Each meter's last reading of each month with its previous reading (the month before at the earliest)."""
    lecturas = lecturas.assign(orden=lecturas.tipo_lectura.map(ORDEN_TIPO).fillna(1))
    lecturas = lecturas.sort_values(["id_medidor", "fecha_lectura", "orden", "id_lectura"])
    previous = lecturas.groupby("id_medidor")[["fecha_lectura", "lectura_kwh", "anio_mes"]].shift()
    lecturas = lecturas.assign(fecha_previa=previous.fecha_lectura, lectura_previa=previous.lectura_kwh,
                               mes_previa=previous.anio_mes)
    month_before = (pd.PeriodIndex(lecturas.anio_mes, freq="M") - 1).strftime("%Y-%m")
    # the previous reading in the month or the one before (what a one-month run reads)
    lecturas = lecturas[lecturas.mes_previa.notna() & (lecturas.mes_previa >= month_before)]
    last = lecturas.sort_values(["fecha_lectura", "id_lectura"]).groupby(["id_medidor", "anio_mes"]).tail(1)
    last = last[(last.tipo_lectura != "INSTALACION") & (last.fecha_previa < last.fecha_lectura)]
    periods = last.merge(medidores, on="id_medidor")
    modulo = 10.0 ** periods.numero_digitos
    step = periods.lectura_kwh - periods.lectura_previa
    unwrapped = np.where(step >= 0, step, np.where(step + modulo < modulo / 2, step + modulo, np.nan))
    return periods.assign(kwh_registro=unwrapped * periods.factor_medidor, demanda_registro_kw=periods.demanda_max_kw,
                          inicio=pd.to_datetime(periods.fecha_previa), fin=pd.to_datetime(periods.fecha_lectura))


def longest_runs(rows: pd.DataFrame) -> pd.DataFrame:
    """Per meter-month, the longest run of consecutive received intervals with zero and with one non-zero value."""
    rows = rows.sort_values(["id_medidor", "anio_mes", "fecha_hora"])
    same_group = (rows.id_medidor == rows.id_medidor.shift()) & (rows.anio_mes == rows.anio_mes.shift())
    starts = ~same_group | (rows.energia_kwh != rows.energia_kwh.shift())
    runs = rows.assign(run=starts.cumsum()).groupby(["id_medidor", "anio_mes", "run"]).agg(
        valor=("energia_kwh", "first"), largo=("energia_kwh", "size")).reset_index()
    zeros = runs[runs.valor == 0].groupby(["id_medidor", "anio_mes"]).largo.max().rename("racha_ceros_max")
    flat = runs[runs.valor > 0].groupby(["id_medidor", "anio_mes"]).largo.max().rename("tramo_plano_max")
    return pd.concat([zeros, flat], axis=1).fillna(0)


def expected_silver(frames) -> pd.DataFrame:
    periods = expected_periods(frames["lecturas"], frames["medidores"])
    intervalos = frames["intervalos"].assign(fecha_hora=lambda f: pd.to_datetime(f.fecha_hora))
    monthly_first = intervalos.groupby(["id_medidor", intervalos.fecha_hora.dt.strftime("%Y-%m").rename("mes")]
                                       ).fecha_hora.min().rename("primero").reset_index()
    rows = periods[["id_medidor", "anio_mes", "inicio", "fin"]].merge(intervalos, on="id_medidor")
    rows = rows[(rows.fecha_hora >= rows.inicio) & (rows.fecha_hora < rows.fin)]
    hour = rows.fecha_hora.dt.hour
    received = rows.assign(valido=rows.calidad == "VALIDO", estimado=rows.calidad == "ESTIMADO",
                           cero=rows.energia_kwh == 0, noche=rows.energia_kwh.where(hour < 6),
                           dia=rows.energia_kwh.where((hour >= 10) & (hour <= 17))).groupby(
        ["id_medidor", "anio_mes"]).agg(intervalos_recibidos=("energia_kwh", "size"), validos=("valido", "sum"),
                                        intervalos_estimados=("estimado", "sum"), intervalos_cero=("cero", "sum"),
                                        kwh_intervalos=("energia_kwh", "sum"), maximo=("energia_kwh", "max"),
                                        noche=("noche", "mean"), dia=("dia", "mean"))
    # the meter's first interval in the period's month or the month before
    months = periods[["id_medidor", "anio_mes"]].assign(
        antes=(pd.PeriodIndex(periods.anio_mes, freq="M") - 1).strftime("%Y-%m"))
    first = months.merge(monthly_first, on="id_medidor")
    first = first[(first.mes == first.anio_mes) | (first.mes == first.antes)].groupby(
        ["id_medidor", "anio_mes"]).primero.min().reset_index()
    out = periods.merge(received.reset_index(), on=["id_medidor", "anio_mes"]).merge(
        first, on=["id_medidor", "anio_mes"]).merge(longest_runs(rows).reset_index(), on=["id_medidor", "anio_mes"],
                                                    how="left")
    out["dias"] = (out.fin - out.inicio).dt.days
    out["intervalos_esperados"] = 96 * out.dias
    out["periodo_completo"] = out.primero <= out.inicio
    error = (out.intervalos_esperados - out.validos).where(out.periodo_completo)
    out["intervalos_error"] = error
    out["pct_error"] = 100 * error / out.intervalos_esperados
    out["diferencia_kwh"] = out.kwh_intervalos - out.kwh_registro
    agree = (out.diferencia_kwh.abs() < out.factor_medidor + 0.0005 * out.intervalos_recibidos)
    out["coincide_registro"] = agree.where(out.periodo_completo & out.kwh_registro.notna())
    out["demanda_max_intervalo_kw"] = 4 * out.maximo
    comparable = out.periodo_completo & (out.validos == out.intervalos_esperados) & out.demanda_registro_kw.notna()
    out["coincide_demanda"] = ((out.demanda_max_intervalo_kw - out.demanda_registro_kw).abs() < 0.0026).where(
        comparable)
    out["ratio_noche_dia"] = (out.noche / out.dia).where(out.dia > 0)
    return out.merge(tamper_events(periods, frames["eventos"]), on=["id_medidor", "anio_mes"], how="left").fillna(
        {"eventos_manipulacion": 0})


def tamper_events(periods: pd.DataFrame, eventos: pd.DataFrame) -> pd.DataFrame:
    """Per meter-month, the tamper events logged inside its register period."""
    eventos = eventos[eventos.codigo_evento.isin(MANIPULACION)].assign(fecha_hora=lambda f: pd.to_datetime(f.fecha_hora))
    inside = periods[["id_medidor", "anio_mes", "inicio", "fin"]].merge(eventos, on="id_medidor")
    inside = inside[(inside.fecha_hora >= inside.inicio) & (inside.fecha_hora < inside.fin)]
    return inside.groupby(["id_medidor", "anio_mes"]).size().rename("eventos_manipulacion").reset_index()


COLUMNS = ["id_suministro", "tipo_lectura", "dias", "intervalos_esperados", "intervalos_recibidos",
           "intervalos_estimados", "periodo_completo", "intervalos_error", "pct_error", "kwh_intervalos",
           "kwh_registro", "diferencia_kwh", "coincide_registro", "demanda_max_intervalo_kw", "demanda_registro_kw",
           "coincide_demanda", "ratio_noche_dia",
           "intervalos_cero", "racha_ceros_max", "tramo_plano_max", "eventos_manipulacion"]


def test_every_column_matches_an_independent_pandas_computation(frames):
    actual = frames["silver"].set_index(["id_medidor", "anio_mes"]).sort_index()
    expected = expected_silver(frames).set_index(["id_medidor", "anio_mes"]).sort_index()
    assert len(actual) > 500 and list(actual.index) == list(expected.index)
    for column in COLUMNS:
        got, want = actual[column], expected[column]
        if pd.api.types.is_numeric_dtype(want) and not pd.api.types.is_bool_dtype(want):
            assert np.allclose(got.astype(float), want.astype(float), equal_nan=True), column
        else:
            assert (got.astype(object).where(got.notna(), None).tolist()
                    == want.astype(object).where(want.notna(), None).tolist()), column


def test_complete_periods_agree_with_the_register_unless_something_is_wrong(frames):
    silver = frames["silver"]
    complete = silver[silver.periodo_completo]
    assert len(complete) > 400
    # a real reading, every interval valid and no zero run: the register and the intervals agree, but where the
    # register reading itself is wrong (an injected fault the intervals do not share)
    clean = complete[(complete.tipo_lectura == "REAL") & (complete.intervalos_error == 0)
                     & (complete.racha_ceros_max == 0)]
    assert clean.coincide_registro.mean() > 0.9
    # every missing interval shows as error, a long gap as a complete period that does not agree
    assert (complete.intervalos_error >= complete.intervalos_esperados - complete.intervalos_recibidos).all()
    assert not complete[complete.racha_ceros_max >= 96].coincide_registro.any()
    # the largest interval is the register's demand where neither is wrong
    assert clean.coincide_demanda.dropna().mean() > 0.9


def test_a_one_month_run_gives_the_month_a_whole_run_gives(built_lake, tmp_path):
    lake = lakecopy.copy_raw(built_lake, tmp_path / "lake")
    run_pipeline(lake)
    query = "select * from silver_db.silver_intervalo_mensual where anio_mes = '2025-10' order by id_medidor"
    with open_engine("duckdb", lake, read_only=True) as engine:
        whole = engine.read_sql(query)
    run_pipeline(lake, period="2025-10")
    with open_engine("duckdb", lake, read_only=True) as engine:
        month = engine.read_sql(query)
    assert len(whole) > 100
    pd.testing.assert_frame_equal(month, whole)
