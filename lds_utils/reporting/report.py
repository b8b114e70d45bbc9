"""The notebook-facing API: ``ctx = open_report(period, engine, lake)``.

``open_report`` opens the lake read-only and returns a ``ReportContext`` whose read helpers run SQL through the
engine; it never generates data, runs the pipeline, takes the lake lock or writes anything. A local lake
that is missing, not built, built by other SQL (the pipeline's fingerprint), without the requested month or with a
damaged file among those an edition reads stops in one line naming the command that builds or repairs it.
Notebooks stay thin: every query and every computation two notebooks share lives here, with unit tests.
"""

from __future__ import annotations

import json
import shlex
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from lds_utils import config
from lds_utils.config import LakePaths, UsageError
from lds_utils.detection import detect, evaluate
from lds_utils.lake import graph
from lds_utils.lake.pipeline import pipeline_fingerprint, read_fingerprint
from lds_utils.lake.schema import PERSONAL_DATA_COLUMNS, PRIMARY_KEYS, RAW_SCHEMAS, column_names
from lds_utils.lake.sql import check_identifier, load_sql
from lds_utils.rules import billing, fence
from lds_utils.synthetic.generate import GENERACION

GOLD = "gold_db.gold_facturacion_teorica_mes"
#: Raw tables holding personal data: their rejected records (the raw row as text) are never shown.
_TABLAS_CON_DATOS_PERSONALES = ",".join(
    tabla for tabla, columnas in RAW_SCHEMAS.items() if {c.name for c in columnas} & set(PERSONAL_DATA_COLUMNS)
)


# -- checking the lake -------------------------------------------------------------------------------------
def read_generation(lake: Path) -> dict | None:
    """Parameters the lake was generated with (``generacion.json``), or None if never generated."""
    path = Path(lake) / GENERACION
    if not path.is_file():
        return None
    return json.loads(path.read_text(encoding="utf-8"))


def require_generation(lake: Path) -> dict:
    """``generacion.json`` of a lake made by ``generate``; a lake without it (real extracts) stops in one line."""
    generacion = read_generation(lake)
    if generacion is None:
        raise UsageError(f"{Path(lake) / GENERACION} not found: the book describes a sample made by "
                         f"`python -m lds_utils generate --lake {_quoted(lake)}`")
    return generacion


def generation_matches(generacion: dict | None, n_clientes: int, seed: int) -> bool:
    return (
        generacion is not None
        and int(generacion.get("n_clientes", -1)) == n_clientes
        and int(generacion.get("seed", -1)) == seed
    )


def gold_months(lake: Path) -> list[str]:
    """Months present in the gold table of the local lake (empty if there is no catalog or gold yet)."""
    from lds_utils.lake.registry import open_engine

    if not LakePaths(Path(lake)).catalog.exists():
        return []
    with open_engine("duckdb", Path(lake), read_only=True) as engine:
        return _gold_months(engine)


def require_built_lake(lake: Path) -> None:
    """Stop in one line unless the local lake has a catalog built by the current pipeline SQL.

    Checked on the files before DuckDB opens anything: a path that does not exist is never created.
    """
    if not LakePaths(lake).catalog.is_file():
        pasos = [] if LakePaths(lake).raw.is_dir() else [f"`python -m lds_utils generate --lake {_quoted(lake)}`"]
        raise UsageError(f"no built lake at {lake}: run {', then '.join([*pasos, _pipeline_command(lake)])}")
    if read_fingerprint(lake) != pipeline_fingerprint():
        raise UsageError(f"the lake {lake} was built by other SQL than this checkout's (the pipeline fingerprint "
                         f"differs): run {_pipeline_command(lake)}")


def check_edition_files(engine, period: str | None) -> None:
    """Stop in one line when a file an edition of ``period`` (None = the latest) reads is missing or changed: every
    table's files, of the monthly ones those up to the period (a stat a file, checked against the versions'
    manifests; lds_utils.lake.integrity)."""
    engine.check_published(lambda table: True, months=None if period is None else (lambda month: month <= period))


def require_period(engine, lake: Path, period: str | None) -> tuple[str, str]:
    """The analysis month (None = latest in GOLD) and the first reported month, refused in one line if GOLD does
    not hold the month or it comes before the first reported one."""
    meses = _gold_months(engine)
    if not meses:
        raise UsageError(f"no {GOLD} in {lake}: run {_pipeline_command(lake)}")
    inicio = first_reported_month(engine, lake, meses)
    if period is None:
        return meses[-1], inicio
    if period not in meses:
        raise UsageError(f"period {period} is not built in {lake} (GOLD holds {meses[0]} to {meses[-1]}): "
                         f"run {_pipeline_command(lake, period)}")
    if period < inicio:
        raise UsageError(f"period {period} is history before the first reported month {inicio} of {lake}")
    return period, inicio


def first_reported_month(engine, lake: Path, meses: list[str] | None = None) -> str:
    """The first month the report covers: the generation's ``desde`` (its earlier months are the history its
    bills are compared with), or the first month in GOLD (``meses`` when already read) for a lake that was not
    generated."""
    generacion = read_generation(lake)
    if generacion:
        return generacion["desde"]
    return (meses if meses is not None else _gold_months(engine))[0]


def _gold_months(engine) -> list[str]:
    if not engine.table_exists("gold_db", "gold_facturacion_teorica_mes"):
        return []
    meses = engine.read_sql(load_sql("report", "gold_months"))
    return meses["anio_mes"].astype(str).tolist()


def _pipeline_command(lake: Path, period: str | None = None) -> str:
    return f"`python -m lds_utils pipeline {f'--period {period} ' if period else ''}--lake {_quoted(lake)}`"


def _quoted(lake: Path) -> str:
    return shlex.quote(str(lake))


# -- data dictionary ---------------------------------------------------------------------------------------
#: Descriptions of the columns of the alert relations (gold_senales_mes, gold_alertas_mes): their meaning and
#: thresholds are in the headers of sql/gold/gold_senales_mes.sql and gold_alertas_valoradas.sql.
DESCRIPCIONES_ALERTAS = {
    "factor_carga": "kWh / (máxima demanda × 24 h × días facturados)",
    "consumo_dia": "Consumo del mes por día facturado, kWh",
    "n_historia": "Meses con consumo entre los 12 previos",
    "mediana_consumo_dia": "Mediana del consumo por día de sus 12 meses previos, kWh",
    "maximo_consumo_dia": "Mayor consumo por día de sus 12 meses previos, kWh",
    "consumo_dia_anio_anterior": "Consumo por día del mismo mes del año anterior, kWh",
    "mediana_referencia_descenso": "Mediana del consumo por día de los meses 3 a 12 anteriores, kWh",
    "media_consumo_dia_3m": "Consumo por día medio del mes y los dos anteriores, kWh",
    "tarifa_mes_anterior": "Opción tarifaria del mes anterior",
    "razon_intervalos_registro": "Medidor inteligente: energía de sus intervalos / diferencia del registro en el "
                                 "periodo (si los intervalos lo cubren entero)",
    "razon_demanda_intervalos": "Medidor inteligente: máxima demanda del registro / la de sus intervalos (si el "
                                "periodo tiene todos sus intervalos válidos)",
    "razon_perfil_historia": "Medidor inteligente: razón noche/día del periodo / su mediana de los 12 meses previos",
    "log_ratio_mediana": "ln(consumo por día / su mediana de 12 meses)",
    "log_ratio_anual": "ln(consumo por día / el del mismo mes del año anterior)",
    "log_ratio_maximo": "ln(consumo por día / su mayor mes de los 12 previos)",
    "log_ratio_factor_carga": "ln(factor de carga) menos la mediana de sus 12 meses previos",
    "log_ratio_descenso": "ln(consumo medio de 3 meses / mediana de los meses 3 a 12 anteriores)",
    "log_ratio_perfil": "Medidor inteligente: ln(razon_perfil_historia)",
    **{f"z_{senal}": f"Puntaje z robusto de log_ratio_{senal} frente a su segmento (tipo, tensión, mes)"
       for senal in ("mediana", "anual", "maximo", "factor_carga", "descenso", "perfil")},
    **{f"es_{motivo.lower()}": f"Verdadero si aplica el motivo {motivo}" for motivo in (
        "CONSUMO_CERO", "REGISTRO_RETROCEDE", "INTERVALOS_DISCREPAN", "DEMANDA_DISCREPA", "EVENTO_MANIPULACION",
        "PERFIL_CAMBIA", "FACTOR_CARGA_MAYOR_1", "OPCION_INCOMPATIBLE", "CONSUMO_ALTO", "CONSUMO_BAJO",
        "DESCENSO_GRADUAL", "FACTOR_CARGA_ATIPICO", "RECUPERO_TRAS_ESTIMADA", "ESTIMADA_BAJA", "OPCION_NUEVA")},
    "es_alerta": "Verdadero si el detector complementario alerta el suministro-mes",
    "motivo_principal": "Primer motivo de la alerta (CERCO_IQR si solo alerta el cerco)",
    "motivos": "Todos los motivos de la alerta, separados por comas",
    "puntaje": "Fuerza de la señal: z del motivo estadístico, o el puntaje fijo de una regla de consistencia",
    "prioridad": "Orden en la lista de inspección del mes (1 = primero)",
    "detectores": "Qué detector alerta: IQR, COMPLEMENTARIO o IQR+COMPLEMENTARIO",
    "es_alerta_iqr": "Verdadero si la regla oficial (cerco IQR) alerta la factura",
    "es_alerta_complementaria": "Verdadero si el detector complementario alerta la factura",
    "importe_en_juego": "|factura teórica - mediana de sus 12 facturas previas|, S/ del mes",
    "banda_consumo": "Cuánto se aleja el consumo de su mediana: CERO, MUY_BAJA, BAJA, NORMAL, ALTA, MUY_ALTA o "
                     "SIN_HISTORIA",
    "probabilidad": "Probabilidad de que el motivo principal, en su banda, sea una anomalía real (semilla de ajuste)",
    "meses_en_juego": "Meses que una anomalía real con ese motivo seguía corriendo (semilla de ajuste)",
    "valor_esperado": "probabilidad × importe en juego × meses en juego: valor esperado de inspeccionar, S/",
    "suministros_facturados": "Suministros facturados en el mes",
    "capacidad": "Inspecciones posibles en el mes",
    "enviada_reciente": "Verdadero si una lista de los meses anteriores ya lo envió a inspección",
    "dentro_capacidad": "Verdadero si entra en la capacidad de inspección del mes",
    "es_nueva": "Verdadero si el suministro no tenía alerta el mes anterior",
}

#: Descriptions of the columns the pipeline derives (raw columns are described in lds_utils.lake.schema).
#: The smart meters' event codes (evento_medidor.codigo_evento), for readers.
NOMBRES_EVENTO = {
    "CORTE_ENERGIA": "Corte de energía",
    "RESTABLECIMIENTO_ENERGIA": "Restablecimiento",
    "COMUNICACION_PERDIDA": "Comunicación perdida",
    "COMUNICACION_RESTABLECIDA": "Comunicación restablecida",
    "ERROR_RELOJ": "Error de reloj",
    "TAPA_ABIERTA": "Tapa abierta",
    "CAMPO_MAGNETICO": "Campo magnético",
    "ENERGIA_INVERSA": "Energía inversa",
}

DESCRIPCIONES = {
    "anio_mes": "Mes de facturación AAAA-MM (partición)",
    "anio": "Año de facturación",
    "mes": "Mes de facturación (1-12)",
    "motivo": "Motivo de rechazo REGLA[:columna]; vacío si el registro es válido",
    "registro": "Registro RAW original como texto, para auditoría; en los de clientes, el nombre oculto y el "
                "documento como su forma (9 por dígito, X por otro carácter). El libro no muestra los de clientes",
    "firma": "Contenido normalizado del registro, para distinguir duplicados exactos de claves repetidas",
    "clave_repetida": "La clave aparece en más de un registro RAW de su entrega: los duplicados se deciden entre esas "
                      "filas (las de lecturas, en stg_acumulado_duplicado)",
    "motivo_propio": "Motivo de rechazo por el contenido de la fila misma, antes de revisar claves foráneas y "
                     "duplicados; vacío si la fila es válida por sí sola",
    "tabla": "Tabla RAW de origen",
    "filas_raw": "Filas en RAW",
    "filas_bronze": "Filas válidas en BRONZE",
    "filas_rechazadas": "Filas rechazadas (en bronze_rechazos)",
    "filas_reemplazadas": "Filas válidas que una entrega posterior trajo de nuevo con su estado actualizado",
    "cuadra": "Verdadero si filas RAW = filas BRONZE + filas rechazadas + filas reemplazadas",
    "entrega": "Mes de la entrega RAW que trajo el registro (0000-00: archivo sin carpeta de entrega)",
    "reemplazada": "Fila válida reemplazada por la de una entrega posterior de la misma clave",
    "n_medidores": "Medidores del suministro con lecturas en el mes",
    "n_lecturas": "Lecturas del mes",
    "n_diferencias": "Diferencias de lectura que aportan consumo",
    "n_sin_lectura_previa": "Lecturas sin lectura anterior en los 12 meses previos",
    "n_vueltas": "Vueltas a cero del registro detectadas",
    "n_retrocesos": "Lecturas menores que la anterior sin ser vuelta a cero (error de registro)",
    "es_estimada": "Verdadero si alguna lectura del mes fue estimada",
    "consumo_kwh": "Energía activa consumida en el mes, kWh (con factor de medidor)",
    "consumo_kwh_hp": "Energía en horas punta, kWh (medidores de doble registro)",
    "consumo_kwh_hfp": "Energía fuera de punta, kWh",
    "demanda_max_kw": "Máxima demanda del mes, kW",
    "demanda_kw": "Máxima demanda del mes, kW",
    "dias_facturados": "Días del periodo de lectura",
    "fecha_ultima_lectura": "Fecha de la última lectura del mes",
    "pct_error": "Registros de intervalo con error o faltantes, % de los esperados",
    "desfase_segundos": "Adelanto del reloj del medidor: segundos entre su marca y el inicio del intervalo",
    "fecha_inicio": "Día de la lectura anterior del medidor: inicio del periodo de registro",
    "fecha_fin": "Día de la lectura que cierra el periodo de registro",
    "dias": "Días del periodo de registro",
    "intervalos_esperados": "Intervalos de 15 minutos del periodo (96 por día)",
    "intervalos_recibidos": "Intervalos recibidos en el periodo",
    "intervalos_estimados": "Intervalos que el sistema de lectura completó con una estimación (calidad ESTIMADO)",
    "periodo_completo": "Verdadero si el medidor ya enviaba intervalos al empezar el periodo",
    "intervalos_error": "Intervalos esperados menos los recibidos válidos (faltantes o estimados)",
    "kwh_intervalos": "Suma de la energía de los intervalos del periodo, kWh",
    "kwh_registro": "Diferencia del registro acumulado del medidor en el periodo × factor, kWh",
    "diferencia_kwh": "Energía de los intervalos menos la del registro, kWh",
    "coincide_registro": "Verdadero si intervalos y registro coinciden (un paso del registro y el redondeo de "
                         "cada intervalo); falso es una señal: el registro o el perfil están mal",
    "demanda_max_intervalo_kw": "Máxima demanda de 15 minutos según los intervalos, kW (4 × el mayor intervalo)",
    "demanda_registro_kw": "Máxima demanda que registra la lectura que cierra el periodo, kW",
    "coincide_demanda": "Verdadero si la máxima demanda de los intervalos y la del registro coinciden (redondeo); "
                        "solo con el periodo entero y todos sus intervalos válidos; falso es una señal",
    "ratio_noche_dia": "Energía media por intervalo de 00:00 a 05:59 dividida entre la de 10:00 a 17:59",
    "intervalos_cero": "Intervalos recibidos con energía cero",
    "racha_ceros_max": "Mayor racha de intervalos recibidos seguidos con energía cero",
    "tramo_plano_max": "Mayor tramo de intervalos recibidos seguidos con un mismo valor distinto de cero",
    "eventos_manipulacion": "Eventos de manipulación del medidor en el periodo (tapa abierta, campo magnético, "
                            "energía inversa)",
    "tarifa": "Opción tarifaria vigente en el mes",
    "doble_registro": "Verdadero si la opción mide la energía en dos registros, horas punta y fuera de punta, cada uno a "
                      "su cargo",
    "cobra_potencia": "Verdadero si la opción cobra potencia: máxima demanda del mes × cargos de potencia del pliego",
    "aplica_fose": "Verdadero si un suministro residencial con esta opción recibe el descuento o el recargo del FOSE",
    "admite_residencial": "Verdadero si un suministro residencial puede tener esta opción",
    "cargo_fijo_soles": "Cargo fijo, S/ sin IGV",
    "energia_soles": "Cargo por energía, S/ sin IGV",
    "potencia_soles": "Cargo por potencia, S/ sin IGV",
    "alumbrado_soles": "Alumbrado público, S/ sin IGV",
    "descuento_fose_soles": "Descuento FOSE, S/",
    "recargo_fose_soles": "Recargo FOSE, S/",
    "subtotal_soles": "Subtotal antes de IGV, S/",
    "igv_soles": f"IGV ({billing.IGV * 100:.0f} %), S/",
    "facturacion_teorica": "Factura teórica del mes, S/ con IGV",
    "facturacion_referencia": f"Mediana de las facturas teóricas del propio suministro en sus {detect.HISTORIA_MESES} "
                              "meses previos (los que tenga), S/",
    "meses_historia": f"Meses con factura entre los {detect.HISTORIA_MESES} previos (0: el suministro no se evalúa)",
    "valor_evaluado": "Valor al que se aplica el cerco: ln(factura teórica / facturación de referencia)",
    "n_segmento": "Suministros evaluados en el segmento (tipo de cliente, tensión, mes)",
    "segmento_valido": f"Verdadero si el segmento tiene al menos {fence.MIN_SEGMENTO} suministros",
    "q1": "Primer cuartil del valor evaluado en el segmento",
    "q3": "Tercer cuartil del valor evaluado en el segmento",
    "iqr": "Rango intercuartílico q3 - q1",
    "umbral_atipico": f"Cerco superior q3 + {fence.IQR_FACTOR} × iqr (en unidades del valor evaluado)",
    "umbral_soles": "Factura en S/ que alcanzaría el cerco para este suministro (referencia × e^umbral)",
    "es_atipico": "Verdadero si el segmento es válido y el valor evaluado supera el cerco",
    "exceso_valor": "Valor evaluado menos el cerco (0.1 equivale a ~10 % por encima)",
    "exceso_iqr": "(valor evaluado - q3) / iqr: el factor k de Tukey alcanzado",
    "exceso_soles": "Factura teórica menos la factura en el cerco, S/",
    "veces_umbral": "Factura teórica dividida entre la factura en el cerco",
    "razon": "Factura teórica dividida entre la facturación de referencia",
    "meses": "Meses del año con datos",
    "total_suministros": "Suministros facturados (en vistas anuales: suministro-meses)",
    "total_atipicos": "Suministros con factura atípica (en vistas anuales: suministro-meses)",
    "pct_atipicos": "100 × total_atipicos / total_suministros",
    **DESCRIPCIONES_ALERTAS,
}
_DESCRIPCIONES_RAW = {f"{tabla}.{c.name}": c.description for tabla, columnas in RAW_SCHEMAS.items() for c in columnas}
#: A raw column's description wherever the column travels: from its own table when it is the key there.
_CLAVES = set(PRIMARY_KEYS.values())
_DESCRIPCIONES_COLUMNA = {
    c.name: c.description
    for tabla, columnas in RAW_SCHEMAS.items() for c in columnas
    if c.name not in _CLAVES or PRIMARY_KEYS[tabla] == c.name
}


def describe_columns(tablas: pd.Series, columnas: pd.Series) -> pd.Series:
    """Description of each (table, column): raw contract first, then derived columns.

    BRONZE tables (bronze_<t>, stg_<t>, stg_<t>_tipado) inherit the raw description of a column of the same name;
    ``<col>_txt`` staging columns are the raw text of ``<col>``; a raw column carried into a later
    layer (id_suministro, distrito...) keeps the description it has in RAW.
    """
    origen = tablas.str.replace(r"^(bronze|stg)_", "", regex=True).str.removesuffix("_tipado")
    base = columnas.str.removesuffix("_txt")
    descripcion = (
        (origen + "." + base).map(_DESCRIPCIONES_RAW)
        .fillna(base.map(DESCRIPCIONES))
        .fillna(base.map(_DESCRIPCIONES_COLUMNA))
    )
    texto = columnas.str.endswith("_txt") & descripcion.notna()
    descripcion = descripcion.where(~texto, "Texto RAW antes de tipar: " + descripcion.fillna(""))
    return descripcion.fillna("")


# -- pure computations shared by notebooks -----------------------------------------------------------------
def year_on_year(kpi_mensual: pd.DataFrame, period: str) -> dict:
    """KPIs of ``period`` and of the same month one year earlier, with their changes.

    kpi_mensual: vw_kpi_atipicos_mes rows (anio_mes, total_suministros, total_atipicos, pct_atipicos).
    Changes are None when the earlier month has no data.
    """
    por_mes = kpi_mensual.set_index("anio_mes")
    if period not in por_mes.index:
        raise UsageError(f"no KPI row for period {period}")
    actual = por_mes.loc[period]
    anterior_mes = config.shift_period(period, -12)
    resumen = {
        "periodo": period,
        "periodo_anterior": anterior_mes,
        "total_suministros": int(actual["total_suministros"]),
        "total_atipicos": int(actual["total_atipicos"]),
        "pct_atipicos": float(actual["pct_atipicos"]),
        "total_atipicos_anterior": None,
        "pct_atipicos_anterior": None,
        "variacion_atipicos": None,
        "variacion_pct_pp": None,
    }
    if anterior_mes in por_mes.index:
        anterior = por_mes.loc[anterior_mes]
        resumen |= {
            "total_atipicos_anterior": int(anterior["total_atipicos"]),
            "pct_atipicos_anterior": float(anterior["pct_atipicos"]),
            "variacion_atipicos": int(actual["total_atipicos"] - anterior["total_atipicos"]),
            "variacion_pct_pp": float(actual["pct_atipicos"] - anterior["pct_atipicos"]),
        }
    return resumen


def typical_bill(gold: pd.DataFrame, tipo_cliente: str = "RESIDENCIAL", tarifa: str = "BT5B") -> pd.Series:
    """A non-atypical bill of the given kind whose consumption is closest to its median (ties: lowest id)."""
    candidatas = gold[(gold["tipo_cliente"] == tipo_cliente) & (gold["tarifa"] == tarifa) & ~gold["es_atipico"]]
    if candidatas.empty:
        raise ValueError(f"no {tipo_cliente} {tarifa} bill to use as example")
    distancia = (candidatas["consumo_kwh"] - candidatas["consumo_kwh"].median()).abs()
    orden = candidatas.assign(_distancia=distancia).sort_values(["_distancia", "id_suministro"])
    return orden.drop(columns="_distancia").iloc[0]


def bill_breakdown(factura: pd.Series, pliego: pd.Series) -> pd.DataFrame:
    """One bill line by line (concepto, calculo, importe_soles) from its GOLD row and its pliego.

    The energy line is recomputed from the pliego for single-register options, so a reader can
    follow the arithmetic; the other lines are the GOLD amounts with how they arise.
    """
    kwh, demanda = float(factura["consumo_kwh"]), float(factura["demanda_kw"] or 0.0)
    opcion = billing.tariff_options().loc[factura["tarifa"]]
    energia = ("kWh en punta y fuera de punta a sus cargos del pliego" if opcion["doble_registro"]
               else f"{kwh:,.2f} kWh × {pliego['cargo_energia']:.2f} ctm. S/ por kWh / 100")
    con_fose = "residencial " + "/".join(billing.options_where("aplica_fose"))
    potencia_cargo = float(pliego["cargo_potencia_generacion"]) + float(pliego["cargo_potencia_distribucion"])
    lineas = [
        ("Cargo fijo", f"pliego {factura['tarifa']} de {pliego['anio_mes']}", factura["cargo_fijo_soles"]),
        ("Energía", energia, factura["energia_soles"]),
        ("Potencia", f"{demanda:,.2f} kW × S/ {potencia_cargo:.2f} por kW-mes"
         if opcion["cobra_potencia"] else "no aplica a la opción", factura["potencia_soles"]),
        ("Alumbrado público", "alícuota por tramo de consumo", factura["alumbrado_soles"]),
        ("Descuento FOSE", f"{con_fose} hasta el umbral del FOSE", -factura["descuento_fose_soles"]),
        ("Recargo FOSE", f"{con_fose} sobre el umbral del FOSE", factura["recargo_fose_soles"]),
        ("Subtotal", "suma de las líneas anteriores", factura["subtotal_soles"]),
        ("IGV", f"{billing.IGV * 100:.0f} % del subtotal", factura["igv_soles"]),
        ("Total factura teórica", "subtotal + IGV", factura["facturacion_teorica"]),
    ]
    return pd.DataFrame(lineas, columns=["concepto", "calculo", "importe_soles"]).astype({"importe_soles": float})


#: Customer types as a reader names them.
TIPOS_CLIENTE = {"RESIDENCIAL": "Residencial", "COMERCIAL": "Comercial", "INDUSTRIAL": "Industrial",
                 "ALUMBRADO_PUBLICO": "Alumbrado público"}


def customer_type(codigos: pd.Series) -> pd.Series:
    """The readable name of each customer-type code (an unknown code stays as it is)."""
    return codigos.map(TIPOS_CLIENTE).fillna(codigos)


def inspection_list(alertas: pd.DataFrame) -> pd.DataFrame:
    """The month's ranked alerts (alerts.read_alerts) as a manager reads them: supply code, place, customer type,
    the bill, what is at stake and what inspecting is worth (S/), each reason in plain Spanish, whether it is new and
    whether it fits the inspection capacity (or was sent to inspection by a recent list)."""
    from lds_utils.detection.alerts import MOTIVOS

    motivos = alertas["motivos"].str.split(",").map(lambda codigos: "; ".join(MOTIVOS[c] for c in codigos))
    se_inspecciona = np.select([alertas["dentro_capacidad"], alertas["enviada_reciente"]],
                               ["Sí", "No, ya enviada a inspección hace poco"], "No, fuera de la capacidad")
    return without_personal_data(pd.DataFrame({
        "prioridad": alertas["prioridad"],
        "id_suministro": alertas["id_suministro"],
        "zona": alertas["zona"],
        "distrito": alertas["distrito"],
        "tipo_cliente": customer_type(alertas["tipo_cliente"]),
        "facturacion_teorica": alertas["facturacion_teorica"],
        "importe_en_juego": alertas["importe_en_juego"],
        "valor_esperado": alertas["valor_esperado"],
        "se_inspecciona": se_inspecciona,
        "es_nueva": alertas["es_nueva"].map({True: "Nueva", False: "Ya alertada el mes anterior"}),
        "motivos": motivos,
    }))


#: Alerts the dashboard's list shows after the ones the month's capacity sends to inspection: what comes next if the
#: capacity grows. The rest stay in the month's CSV (``alertas``): at 1.3 M customers a month raises about 44,000
#: alerts, and a page holding them all weighed 22 MB.
SIGUIENTES_EN_LISTA = 500


def shown_inspection_list(lista: pd.DataFrame, siguientes: int = SIGUIENTES_EN_LISTA) -> pd.DataFrame:
    """The rows of inspection_list the dashboard shows, in priority order: every alert sent to inspection and the
    ``siguientes`` next ones by priority."""
    enviadas = lista["se_inspecciona"] == "Sí"
    siguientes_filas = (~enviadas).cumsum() <= siguientes
    return lista[enviadas | siguientes_filas]


def shown_list_sentence(lista: pd.DataFrame, mostrada: pd.DataFrame, period: str) -> str:
    """What the dashboard's list table holds, in Spanish: every alert, or those sent and the next ones (and where the
    rest are)."""
    if len(mostrada) == len(lista):
        return f"La tabla muestra las {len(lista):,} alertas del mes."
    enviadas = int((mostrada["se_inspecciona"] == "Sí").sum())
    return (f"La tabla muestra las {enviadas:,} que se inspeccionan y las {len(mostrada) - enviadas:,} siguientes por "
            f"valor esperado; las {len(lista) - len(mostrada):,} restantes están en la lista completa del mes, el "
            f"archivo alertas_{period}.csv que la orden alertas escribe en la carpeta gold/alertas del lago.")


#: The fence's segment within one month's bills (the month is implicit).
_MONTH_SEGMENT = [column for column in fence.SEGMENTO if column != "anio_mes"]


def atypical_rate(gold: pd.DataFrame, factor: float = fence.IQR_FACTOR, minimo: int = fence.MIN_SEGMENTO,
                  valor: str = "valor_evaluado", segmento: list[str] = _MONTH_SEGMENT) -> float:
    """% of the month's bills above q3 + factor × iqr of a segment of at least ``minimo`` bills (lds_utils.rules.fence)."""
    flagged = fence.atypical(gold, valor, segmento, factor, minimo)
    return 100.0 * float(flagged.sum()) / len(gold)


def sensitivity(gold: pd.DataFrame, parametro: str, valores, factor: float = fence.IQR_FACTOR,
                 minimo: int = fence.MIN_SEGMENTO) -> pd.DataFrame:
    """pct_atipicos of the month when one parameter (``factor`` or ``minimo``) takes each of ``valores``."""
    if parametro not in ("factor", "minimo"):
        raise ValueError(f"parametro must be 'factor' or 'minimo' (got {parametro!r})")
    base = {"factor": factor, "minimo": minimo}
    coded = fence.segment_codes(gold, _MONTH_SEGMENT).assign(valor_evaluado=gold["valor_evaluado"])
    return pd.DataFrame({
        parametro: list(valores),
        "pct_atipicos": [atypical_rate(coded, **(base | {parametro: v}), segmento=["segmento"]) for v in valores],
    })


def segment_label(datos: pd.DataFrame) -> pd.Series:
    """'Residencial, BT'-style label of each row's segment (the month is implicit)."""
    return customer_type(datos["tipo_cliente"]) + ", " + datos["nivel_tension"]


def readable_segments(segmentos: pd.DataFrame) -> pd.DataFrame:
    """ctx.segments() with a label and the quartiles and fence as % above the supply's own median.

    valor_evaluado is ln(bill / reference), so a quartile q reads as a bill (e^q - 1) × 100 % away
    from the supply's reference.
    """
    return pd.DataFrame({
        "segmento": segment_label(segmentos),
        "n_segmento": segmentos["n_segmento"],
        "segmento_valido": segmentos["segmento_valido"].astype(bool),
        "q1_pct": 100 * np.expm1(segmentos["q1"]),
        "q3_pct": 100 * np.expm1(segmentos["q3"]),
        "umbral_pct": 100 * np.expm1(segmentos["umbral_atipico"]),
        "atipicos": segmentos["atipicos"],
    })


def segment_ratios(gold: pd.DataFrame) -> pd.DataFrame:
    """The month's evaluated bills with their segment label and razon = bill / reference (= e^valor_evaluado)."""
    evaluadas = gold[gold["valor_evaluado"].notna()]
    return pd.DataFrame({"segmento": segment_label(evaluadas), "razon": np.exp(evaluadas["valor_evaluado"])})


#: Spanish labels of detect.candidate_values' columns.
CANDIDATOS = {
    "importe": "Factura teórica en S/",
    "log_importe": "ln(factura teórica)",
    "log_ratio_mes_anterior": "ln(factura / factura del mes anterior)",
    "log_ratio_mediana_12m": f"ln(factura / mediana de sus {detect.HISTORIA_MESES} meses previos)",
    "log_ratio_mediana_12m_por_dia": f"ln(factura diaria / mediana diaria de sus {detect.HISTORIA_MESES} meses previos)",
}


def candidates_table(comparacion: pd.DataFrame) -> pd.DataFrame:
    """detect.compare_candidates' result as a readable table: one row per candidate, main metrics."""
    columnas = ["pct_atipicos", "pct_mes_min", "pct_mes_max", "pct_meses_en_banda", "precision", "recall", "f1"]
    tabla = comparacion[columnas].astype(float).rename_axis("clave").reset_index()
    return tabla.assign(valor=tabla["clave"].map(CANDIDATOS))[["clave", "valor", *columnas]]


def band_labels() -> dict[str, str]:
    """Spanish label of each band of consumption of the alert list (gold_alertas_valoradas), with its limits."""
    from lds_utils.rules.companion import BANDAS_CONSUMO

    muy_baja, baja, alta, muy_alta = (round(100 * BANDAS_CONSUMO[k]) for k in
                                      ("razon_muy_baja", "razon_baja", "razon_alta", "razon_muy_alta"))
    return {"TODAS": "Todas", "SIN_HISTORIA": "Sin historia", "CERO": "Cero",
            "MUY_BAJA": f"Menos del {muy_baja} % de su mediana", "BAJA": f"{muy_baja}-{baja} % de su mediana",
            "NORMAL": f"{baja}-{alta} % de su mediana", "ALTA": f"{alta}-{muy_alta} % de su mediana",
            "MUY_ALTA": f"Más del {muy_alta} % de su mediana"}


#: The valor_evaluado the GOLD SQL computes (lds_utils.detection.detect documents the choice).
VALOR_EN_USO = "log_ratio_mediana_12m"


def criterion_sentence(tabla: pd.DataFrame) -> str:
    """What the criterion picks on an edition's data (candidates_table rows), in Spanish, and whether it is the value
    in use: the methodology chapter states it instead of assuming it."""
    por_clave = tabla.set_index("clave")
    ganador, en_uso = por_clave.loc[detect.chosen_candidate(por_clave)], por_clave.loc[VALOR_EN_USO]
    cifras = "{:.0f} % de los meses en la banda, F1 {:.1f} %"
    if ganador.name == VALOR_EN_USO:
        return (f"Con los datos de esta edición el criterio elige {en_uso['valor']}, el valor evaluado en uso "
                f"({cifras.format(en_uso['pct_meses_en_banda'], en_uso['f1'])}).")
    return (f"Con los datos de esta edición el criterio elegiría {ganador['valor']} "
            f"({cifras.format(ganador['pct_meses_en_banda'], ganador['f1'])}), no {en_uso['valor']}, el valor en uso "
            f"({cifras.format(en_uso['pct_meses_en_banda'], en_uso['f1'])}). El valor en uso se eligió con el mismo "
            "criterio sobre la muestra por defecto; cambiarlo cambia el indicador oficial y es una decisión pendiente.")


def company_customers() -> dict:
    """Luz del Sur's customer count with its year and source (first entry of the reference file)."""
    from lds_utils.synthetic.reference import load_reference

    dato = load_reference()["company"]["customers"][0]
    return {"valor": int(dato["value"]), "anio": int(dato["year"]), "fuente": dato["source"]}


def generation_parameters(generacion: dict, period: str) -> pd.DataFrame:
    """The parameters of generacion.json an edition may show as (parametro, valor) rows: the months are cut at
    ``period`` and the whole generation's counts are left out (they include later months)."""
    desde = generacion["desde"]
    filas = [
        ("Clientes", f"{generacion['n_clientes']:,}"),
        ("Semilla", str(generacion["seed"])),
        ("Meses informados", f"{desde} a {period}"),
    ]
    desde_datos = generacion.get("desde_datos", desde)
    if desde_datos < desde:
        filas.append(("Historia previa (no se informa)", f"{desde_datos} a {config.shift_period(desde, -1)}"))
    filas.append(("Versión del generador", str(generacion["version"])))
    return pd.DataFrame(filas, columns=["parametro", "valor"])


def reference_districts() -> pd.DataFrame:
    """Districts of the concession from the reference file, for the data chapter."""
    from lds_utils.synthetic.reference import districts

    tabla = districts()[["distrito", "provincia", "zona", "subzona", "lat", "lon", "approx_customers"]]
    return tabla.rename(columns={"approx_customers": "clientes_aprox"}).sort_values(["zona", "distrito"], ignore_index=True)


def reference_sources() -> pd.DataFrame:
    from lds_utils.synthetic.reference import sources

    return pd.DataFrame([(clave, _in_spanish(texto)) for clave, texto in sources().items()], columns=["clave", "fuente"])


def anomaly_summary(anomalias: pd.DataFrame) -> pd.DataFrame:
    """Injected anomalies per type: how many, on how many supplies, and one example description."""
    grupos = anomalias.sort_values("id_anomalia").groupby("tipo")
    resumen = pd.DataFrame({
        "anomalias": grupos.size(),
        "suministros": grupos["id_suministro"].nunique(),
        "ejemplo": grupos["detalle"].first(),
    })
    return resumen.sort_values(["anomalias"], ascending=False).reset_index()


def rejects_by_rule(rechazos: pd.DataFrame) -> pd.DataFrame:
    """Rejected rows per rule (the part of motivo before ':'), largest first."""
    regla = rechazos["motivo"].str.split(":").str[0]
    por_regla = rechazos.assign(regla=regla).groupby("regla", as_index=False)["filas"].sum()
    return por_regla.sort_values(["filas", "regla"], ascending=[False, True], ignore_index=True)


def consumption_profile(gold: pd.DataFrame) -> pd.DataFrame:
    """Supplies, median and p90 of kWh and kW per customer type in the month."""
    grupos = gold.groupby("tipo_cliente")
    return pd.DataFrame({
        "suministros": grupos.size(),
        "kwh_mediana": grupos["consumo_kwh"].median(),
        "kwh_p90": grupos["consumo_kwh"].quantile(0.9),
        "kw_mediana": grupos["demanda_kw"].median(),
        "kw_p90": grupos["demanda_kw"].quantile(0.9),
    }).sort_values("suministros", ascending=False).reset_index()


def billing_profile(gold: pd.DataFrame) -> pd.DataFrame:
    """Supplies, median, p90 and total theoretical bill per customer type and voltage in the month."""
    grupos = gold.groupby(["tipo_cliente", "nivel_tension"])["facturacion_teorica"]
    perfil = pd.DataFrame({"suministros": grupos.size(), "mediana": grupos.median(), "p90": grupos.quantile(0.9),
                           "total": grupos.sum()})
    return perfil.sort_values("suministros", ascending=False).reset_index()


def register_errors(silver: pd.DataFrame) -> pd.DataFrame:
    """Supplies of the month with each measurement-quality signal, and their share."""
    senales = {
        "Lectura estimada": silver["es_estimada"].astype(bool),
        "Retroceso del registro": silver["n_retrocesos"] > 0,
        "Vuelta a cero del registro": silver["n_vueltas"] > 0,
        "Sin lectura previa": silver["n_sin_lectura_previa"] > 0,
        "Registros de intervalo con error": silver["registros_error"].fillna(0) > 0,
    }
    cuenta = pd.Series({nombre: int(marca.sum()) for nombre, marca in senales.items()})
    return pd.DataFrame({"senal": cuenta.index, "suministros": cuenta.to_numpy(),
                         "pct_suministros": 100.0 * cuenta.to_numpy() / len(silver)})


_APROXIMADO = {
    "approx, common knowledge (not found in the searched corpora; verify before relying on it)":
        "aproximado, conocimiento común (no hallado en las fuentes consultadas; verificar antes de usarlo)",
    "derived in this file by arithmetic from the cited inputs (see 'derivation')":
        "derivado por aritmética de los datos citados",
    "band limits and amounts ": "límites y montos de los tramos: ",
}


def _in_spanish(fuente: str) -> str:
    """Translate the fixed English phrases the reference file uses to qualify a source."""
    for ingles, castellano in _APROXIMADO.items():
        fuente = fuente.replace(ingles, castellano)
    return fuente


def _billing_rules() -> dict[str, str]:
    """A Spanish statement of each rule of lds_utils.rules.billing, written from its constants."""
    tramos = billing.ALUMBRADO_TRAMOS
    textos = [f"hasta {limite:.0f} kWh: S/ {monto:.2f}" for limite, monto in tramos[:-1]]
    textos.append(f"más de {tramos[-2][0]:.0f} kWh: S/ {tramos[-1][1]:.2f}")
    return {
        "igv": f"IGV de {billing.IGV * 100:.0f} % sobre el subtotal (IGV 16 % más IPM 2 %)",
        "fose_umbral_kwh": f"Umbral del FOSE con la Ley 31429: {billing.FOSE_UMBRAL_KWH:.0f} kWh al mes",
        "fose_umbral_kwh_antes": f"Umbral del FOSE antes de la Ley 31429: {billing.FOSE_UMBRAL_KWH_ANTES:.0f} kWh al mes",
        "fose_reforma_desde": f"Primer mes facturado con la Ley 31429: {billing.FOSE_REFORMA_DESDE}",
        "fose_tramo1": f"FOSE hasta {billing.FOSE_TRAMO1_KWH:.0f} kWh: descuento de "
                       f"{billing.FOSE_TRAMO1_DESCUENTO * 100:.0f} % del cargo por energía",
        "fose_tramo2": f"FOSE de {billing.FOSE_TRAMO1_KWH:.0f} kWh al umbral: descuento de "
                       f"{billing.FOSE_TRAMO2_KWH_DESCONTADOS:g} kWh valorizados al cargo por energía",
        "recargo_fose": f"Recargo FOSE sobre el umbral: {billing.RECARGO_FOSE_ANTES * 100:.1f} % de la energía antes de "
                        f"la reforma y {billing.RECARGO_FOSE * 100:.1f} % después",
        "alumbrado": f"Alumbrado público por tramo de consumo mensual: {'; '.join(textos)}",
    }


def billing_sources() -> pd.DataFrame:
    """Each regulated billing rule of lds_utils.rules.billing, in Spanish, with its source."""
    reglas = _billing_rules()
    fuentes = {clave: _in_spanish(texto.split("Source", 1)[1].split(":", 1)[1].strip().rstrip("."))
               for clave, texto in billing.SOURCES.items()}
    return pd.DataFrame({"regla": [reglas[clave] for clave in fuentes], "fuente": list(fuentes.values())})


def year_on_year_sentence(resumen: dict) -> str:
    """The year-on-year comparison as a clause of a Spanish sentence."""
    anterior = resumen["periodo_anterior"]
    if resumen["variacion_pct_pp"] is None:
        return f"no hay datos de {anterior} para compararlo con el mismo mes del año anterior"
    return (f"en {anterior} fue el {resumen['pct_atipicos_anterior']:.2f} %, una variación de "
            f"{resumen['variacion_pct_pp']:+.2f} puntos porcentuales")


def year_on_year_table(resumen: dict) -> pd.DataFrame:
    """year_on_year's dict as (indicador, valor) rows in the house number format."""
    from lds_utils.reporting.plots import format_pct, format_thousands

    anterior = resumen["periodo_anterior"]
    sin_dato = f"sin datos de {anterior}"
    variacion = resumen["variacion_pct_pp"]
    filas = [
        ("Periodo", resumen["periodo"]),
        ("Suministros facturados", format_thousands(resumen["total_suministros"])),
        ("Suministros con factura atípica", format_thousands(resumen["total_atipicos"])),
        ("% de suministros atípicos", format_pct(resumen["pct_atipicos"])),
        (f"Atípicos en {anterior}", format_thousands(resumen["total_atipicos_anterior"])
         if resumen["total_atipicos_anterior"] is not None else sin_dato),
        (f"% atípicos en {anterior}", format_pct(resumen["pct_atipicos_anterior"])
         if resumen["pct_atipicos_anterior"] is not None else sin_dato),
        ("Variación interanual", f"{variacion:+.2f} p.p." if variacion is not None else sin_dato),
    ]
    return pd.DataFrame(filas, columns=["indicador", "valor"])


def without_personal_data(tabla: pd.DataFrame) -> pd.DataFrame:
    """Return the table unchanged, or fail if it carries a personal-data column."""
    presentes = sorted(set(tabla.columns) & set(PERSONAL_DATA_COLUMNS))
    if presentes:
        raise ValueError(f"personal data must never be shown: {', '.join(presentes)}")
    return tabla


def glue_value(nombre: str, valor) -> None:
    """myst-nb ``glue`` without display, with numpy scalars turned into plain Python numbers.

    Plain numbers keep ``text/plain`` parseable, so pages can format them (``{glue:text}`key:,.0f```).
    """
    from myst_nb import glue

    glue(nombre, valor.item() if hasattr(valor, "item") else valor, display=False)


# -- the context object -------------------------------------------------------------------------------------
@dataclass
class ReportContext:
    """Parameters of the run plus read helpers over the engine.

    Every query is bound to ``period`` (the analysis month) and ``inicio`` (the first reported month): an edition
    reads nothing recorded after its period, so rebuilding it after newer months arrived gives the same figures.
    """

    period: str
    inicio: str
    engine_name: str
    lake: Path
    engine: object = field(repr=False)

    def sql(self, query: str, **params) -> pd.DataFrame:
        """Run a Trino SELECT with ``:period`` and ``:inicio`` bound."""
        return self.engine.read_sql(query, {"period": self.period, "inicio": self.inicio, **params})

    def close(self) -> None:
        self.engine.close()

    def query(self, name: str, **params) -> pd.DataFrame:
        """Run the report query sql/report/<name>.sql with ``:period`` and ``:inicio`` bound."""
        return self.sql(load_sql("report", name), **params)

    # KPIs and dashboard ------------------------------------------------------------------------------------
    def kpi_by_month(self) -> pd.DataFrame:
        """vw_kpi_atipicos_mes from the first reported month up to the analysis month."""
        return self.query("kpi_by_month")

    def period_summary(self) -> dict:
        """year_on_year of the analysis month, from its KPIs and those of the same month a year earlier only: at
        1.3 M customers the KPIs of every month took 2 s, and an edition asks for the summary five times
        (06 twice, 07, 08, 10)."""
        kpi = self.query("kpi_year_on_year", anio_anterior=config.shift_period(self.period, -12))
        return year_on_year(kpi, self.period)

    def kpi_by_district(self) -> pd.DataFrame:
        """District KPIs of the month with the district's coordinates (mean of its sectors)."""
        return self.query("kpi_by_district")

    def kpi_by_district_type(self) -> pd.DataFrame:
        """The month's KPIs per zone, district and customer type (readable names)."""
        kpi = self.query("kpi_by_district_type")
        return kpi.assign(tipo_cliente=customer_type(kpi["tipo_cliente"]))

    def kpi_by_zone(self) -> pd.DataFrame:
        return self.query("kpi_by_zone")

    def kpi_by_zone_year(self) -> pd.DataFrame:
        """Yearly zone KPIs of the reported years up to the analysis month (its year counts its months so far)."""
        return self.query("kpi_by_zone_year")

    def critical_cases(self, n: int = 15) -> pd.DataFrame:
        """The month's atypical bills furthest above their segment's threshold (no personal data)."""
        return without_personal_data(self.query("critical_cases").head(n).reset_index(drop=True))

    # layers -------------------------------------------------------------------------------------------------
    def reconciliation(self) -> pd.DataFrame:
        return self.query("reconciliation")

    def rejects_by_reason(self) -> pd.DataFrame:
        return self.query("rejects_by_reason")

    def reject_examples(self) -> pd.DataFrame:
        """One rejected raw record per (table, reason); never from tables that hold personal data."""
        return self.query("reject_examples", personal_tables=_TABLAS_CON_DATOS_PERSONALES)

    def silver_month(self) -> pd.DataFrame:
        """SILVER rows of the analysis month."""
        return self.query("silver_month")

    # smart meters -------------------------------------------------------------------------------------------
    def interval_quality(self) -> pd.DataFrame:
        """The smart meters' intervals month by month up to the analysis month (silver_intervalo_mensual)."""
        return self.query("interval_quality")

    def meter_events(self) -> pd.DataFrame:
        """Events the smart meters logged, by month and code, up to the analysis month; codes named in Spanish."""
        eventos = self.query("meter_events")
        return eventos.assign(evento=eventos["codigo_evento"].map(NOMBRES_EVENTO).fillna(eventos["codigo_evento"]))

    def interval_disagreements(self, n: int = 10) -> pd.DataFrame:
        """The analysis month's complete register periods whose intervals contradict the register, largest first."""
        return self.query("interval_disagreements", n=n)

    def interval_profile(self, id_medidor: str, fecha_desde, fecha_hasta) -> pd.DataFrame:
        """One smart meter's energy per day in [fecha_desde, fecha_hasta), read up to the analysis month only."""
        return self.query("interval_profile", id_medidor=id_medidor, fecha_desde=str(fecha_desde)[:10],
                          fecha_hasta=str(fecha_hasta)[:10])

    def profile_changes(self, n: int = 5) -> pd.DataFrame:
        """The analysis month's smart-meter supplies whose night/day ratio rose most against their previous periods."""
        return self.query("profile_changes", n=n)

    def day_shape(self, id_medidor: str, desde: str) -> pd.DataFrame:
        """One smart meter's mean kW at each hour of the day, month by month from ``desde`` to the analysis month."""
        return self.query("day_shape", id_medidor=id_medidor, desde=desde)

    def all_bills(self, muestra: evaluate.Muestra) -> pd.DataFrame:
        """Every GOLD bill of the sample's supplies up to the analysis month, with what detect.compare_candidates
        needs: the evidence for choosing valor_evaluado that an analyst had at the close of the period."""
        return self.query("all_bills", cada=muestra.cada)

    def evaluation_sample(self) -> evaluate.Muestra:
        """The supplies the evaluations read (evaluate.Muestra), from the period's billed supplies."""
        return evaluate.Muestra.for_supplies(int(self.period_summary()["total_suministros"]))

    def gold_month(self) -> pd.DataFrame:
        """GOLD rows of the analysis month, without client identifiers."""
        return self.query("gold_month")

    def consumption_by_month(self) -> pd.DataFrame:
        """SILVER totals per month up to the analysis month over supplies with measured consumption."""
        return self.query("consumption_by_month")

    def tariff_schedule(self, tarifa: str) -> pd.Series:
        """The pliego of a tariff option in force in the analysis month."""
        filas = self.query("tariff_schedule", tariff=tarifa)
        if len(filas) != 1:
            raise ValueError(f"expected one pliego {tarifa} for {self.period}, found {len(filas)}")
        return filas.iloc[0]

    def segments(self) -> pd.DataFrame:
        """The month's segments: evaluated bills, quartiles and fence of valor_evaluado, atypical count."""
        return self.query("segments")

    def supplies_by_zone_and_type(self) -> pd.DataFrame:
        """Supplies active at the close of the analysis month, by zone and customer type."""
        return self.query("supplies_by_zone_and_type")

    def raw_inventory(self) -> pd.DataFrame:
        """Each RAW table: primary key, rows received by the analysis month, columns, whether they are the schema
        contract's and all text."""
        catalogo = self.query("raw_columns")
        columnas = catalogo.groupby("tabla")["columna"].agg(list)
        texto = catalogo.assign(es_texto=catalogo["tipo"].str.upper().isin(["VARCHAR", "STRING"])).groupby("tabla")["es_texto"].all()
        tablas = list(config.RAW_TABLES)
        filas = self.reconciliation().set_index("tabla")["filas_raw"]
        return pd.DataFrame({
            "tabla": tablas,
            "clave": [PRIMARY_KEYS[t] for t in tablas],
            "filas": filas.reindex(tablas).to_numpy(),
            "columnas": [len(columnas.get(t, [])) for t in tablas],
            "coincide_contrato": [columnas.get(t, []) == column_names(t) for t in tablas],
            "solo_texto": texto.reindex(tablas, fill_value=False).to_numpy(),
        })

    def raw_sample(self) -> pd.DataFrame:
        """Five raw readings as received in the analysis month's delivery (readings hold no personal data)."""
        return without_personal_data(self.query("raw_sample"))

    # catalog ------------------------------------------------------------------------------------------------
    def data_dictionary(self) -> pd.DataFrame:
        """Every table and view of the four databases: columns, types, descriptions and, for what holds rows, the
        whole lake's row count (filas, null for a view).

        A stored table is counted from its files (Parquet footers); a RAW table takes the raw rows BRONZE reconciled
        with the files. A view is computed when read: counting the KPI views and the readings' CSV once more took
        most of the book's preparation at 1.3 M customers.
        """
        columnas = self.query("catalog_columns")
        catalogo = set(zip(columnas["base_datos"], columnas["tabla"]))
        guardadas = [(relation.database, relation.name) for relation in graph.build_order()
                     if relation.kind == "table" and (relation.database, relation.name) in catalogo]
        conteo = " union all ".join(
            f"select '{b}' as base_datos, '{check_identifier(t)}' as tabla, count(*) as filas from {b}.{t}"
            for b, t in guardadas
        )
        crudas = "select 'raw_db' as base_datos, tabla, filas_raw as filas from bronze_db.bronze_conciliacion"
        filas = self.sql(f"{conteo} union all {crudas}")
        orden_base = {base: i for i, base in enumerate(config.DATABASES.values())}
        return (
            columnas.merge(filas, on=["base_datos", "tabla"], how="left")
            .astype({"filas": "Int64"})
            .assign(descripcion=lambda d: describe_columns(d["tabla"], d["columna"]),
                    _orden=lambda d: d["base_datos"].map(orden_base))
            .sort_values(["_orden", "tabla", "posicion"])
            .drop(columns=["_orden", "posicion"])
            .reset_index(drop=True)
        )


def open_report(period: str | None = None, engine: str = config.DEFAULT_ENGINE,
             lake: str | Path | None = None) -> ReportContext:
    """Open the lake read-only for ``period`` (None = latest month with data); nothing is built or written.

    A local lake (DuckDB's) must be built by this checkout's pipeline and hold the month, else one line says
    which command builds it.
    """
    from lds_utils.lake.registry import engine_class, open_engine

    nombre_motor = config.parse_engine(engine)
    lago = config.resolve_lake(lake)
    periodo = config.parse_period(period) if period else None
    local = engine_class(nombre_motor).keeps_local_state  # a local lake: its files say whether it is built
    if local:
        require_built_lake(lago)
    motor = open_engine(nombre_motor, lago, read_only=True)
    try:
        if local:
            check_edition_files(motor, periodo)
            periodo, inicio = require_period(motor, lago, periodo)
        else:
            if periodo is None:
                periodo = str(motor.read_sql(load_sql("report", "latest_month"))["anio_mes"].iloc[0])
            inicio = first_reported_month(motor, lago)
    except BaseException:
        motor.close()
        raise
    return ReportContext(periodo, inicio, nombre_motor, lago, motor)
