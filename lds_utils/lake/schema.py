"""Column contract of the RAW tables, as the upstream commercial system drops them.

RAW files are CSV (comma, UTF-8, header row, one folder per table: ``raw/<tabla>/*.csv``); every
value is text. The generator writes exactly these columns in this order; BRONZE SQL types,
validates and rejects against them. Descriptions feed the book's data dictionary.

Codes used in values (after BRONZE normalisation: trimmed, upper case):
- tipo_cliente: RESIDENCIAL, COMERCIAL, INDUSTRIAL, ALUMBRADO_PUBLICO
- nivel_tension: BT, MT
- opcion_tarifaria: BT5B, BT5A, BT4, BT3, BT2, MT4, MT3, MT2
- tipo_lectura: INSTALACION (first reading of a meter), REAL, ESTIMADA, RETIRO (last reading)
- resultado (inspeccion): HURTO_BYPASS, ERROR_MEDIDOR, ERROR_FACTURACION, SIN_ANOMALIA
- motivo_inspeccion (inspeccion): SOSPECHA, ALEATORIA
- calidad (lectura_intervalo): VALIDO, ESTIMADO (filled by the head-end)
- codigo_evento (evento_medidor): CORTE_ENERGIA, RESTABLECIMIENTO_ENERGIA, COMUNICACION_PERDIDA,
  COMUNICACION_RESTABLECIDA, ERROR_RELOJ, TAPA_ABIERTA, CAMPO_MAGNETICO, ENERGIA_INVERSA
Dates are ISO ``YYYY-MM-DD``, timestamps ``YYYY-MM-DD HH:MM:SS`` (Lima time, the meter's clock); decimals use a dot.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Column:
    name: str
    kind: str  # BRONZE type: varchar, integer, bigint, double, date, timestamp
    description: str


def _cols(*specs: tuple[str, str, str]) -> tuple[Column, ...]:
    return tuple(Column(*spec) for spec in specs)


RAW_SCHEMAS: dict[str, tuple[Column, ...]] = {
    "sector": _cols(
        ("id_sector", "varchar", "Código del sector de distribución (alimentador MT), p. ej. SE150103-01"),
        ("nombre_sector", "varchar", "Nombre del sector"),
        ("alimentador", "varchar", "Código del alimentador de media tensión que lo abastece"),
        ("ubigeo", "varchar", "Ubigeo INEI del distrito (6 dígitos)"),
        ("distrito", "varchar", "Nombre del distrito"),
        ("provincia", "varchar", "Provincia (Lima, Cañete, Huarochirí)"),
        ("zona", "varchar", "Zona de la concesión: Lima Sur, Lima Este, Lima Centro, Lima Provincias - ..."),
        ("subzona", "varchar", "Subzona socioeconómica (Lima Moderna, Lima Sur popular, Balnearios del sur...)"),
        ("lat", "double", "Latitud aproximada del sector (WGS84)"),
        ("lon", "double", "Longitud aproximada del sector (WGS84)"),
    ),
    "tarifa": _cols(
        ("id_tarifa", "varchar", "Código del pliego: opción y mes, p. ej. BT5B-2024-03"),
        ("opcion_tarifaria", "varchar", "Opción tarifaria Osinergmin (BT5B, BT5A, BT4, BT3, BT2, MT4, MT3, MT2)"),
        ("nivel_tension", "varchar", "BT o MT"),
        ("vigencia_desde", "date", "Fecha de entrada en vigencia del pliego (día 4 de cada mes)"),
        ("cargo_fijo", "double", "Cargo fijo mensual, S/ por mes, sin IGV"),
        ("cargo_energia", "double", "Cargo por energía activa (opciones de simple medición), ctm. S/ por kWh"),
        ("cargo_energia_hp", "double", "Cargo por energía en horas punta (doble medición), ctm. S/ por kWh"),
        ("cargo_energia_hfp", "double", "Cargo por energía fuera de punta (doble medición), ctm. S/ por kWh"),
        ("cargo_potencia_generacion", "double", "Cargo por potencia de generación, S/ por kW-mes"),
        ("cargo_potencia_distribucion", "double", "Cargo por potencia de distribución, S/ por kW-mes"),
    ),
    "cliente": _cols(
        ("id_cliente", "varchar", "Código del cliente"),
        ("tipo_documento", "varchar", "DNI o RUC"),
        ("numero_documento", "varchar", "Número de documento (dato personal: nunca se publica)"),
        ("nombre", "varchar", "Nombre o razón social (dato personal: nunca se publica)"),
        ("tipo_cliente", "varchar", "RESIDENCIAL, COMERCIAL, INDUSTRIAL o ALUMBRADO_PUBLICO"),
        ("fecha_alta", "date", "Fecha de alta del cliente"),
    ),
    "suministro": _cols(
        ("id_suministro", "varchar", "Código del suministro (punto de suministro)"),
        ("id_cliente", "varchar", "Cliente titular"),
        ("id_sector", "varchar", "Sector de distribución"),
        ("nivel_tension", "varchar", "BT o MT"),
        ("potencia_contratada_kw", "double", "Potencia contratada, kW"),
        ("fecha_conexion", "date", "Fecha de conexión"),
        ("fecha_baja", "date", "Fecha de baja (vacía si sigue activo)"),
    ),
    "medidor": _cols(
        ("id_medidor", "varchar", "Código del medidor"),
        ("id_suministro", "varchar", "Suministro donde está instalado"),
        ("tipo_medidor", "varchar", "ELECTROMECANICO, ELECTRONICO, DOBLE_REGISTRO o PERFIL_CARGA"),
        ("numero_digitos", "integer", "Dígitos del registro: el contador vuelve a cero al pasar de 10^n - 1"),
        ("factor_medidor", "double", "Factor de multiplicación (transformadores de medida); 1 en BT directo"),
        ("fecha_instalacion", "date", "Fecha de instalación"),
        ("fecha_retiro", "date", "Fecha de retiro (vacía si sigue instalado)"),
    ),
    "asignacion_tarifa": _cols(
        ("id_asignacion", "varchar", "Código de la asignación"),
        ("id_suministro", "varchar", "Suministro"),
        ("opcion_tarifaria", "varchar", "Opción tarifaria asignada"),
        ("fecha_inicio", "date", "Inicio de la asignación"),
        ("fecha_fin", "date", "Fin de la asignación (vacía si sigue vigente)"),
    ),
    "acumulado": _cols(
        ("id_lectura", "varchar", "Código de la lectura"),
        ("id_medidor", "varchar", "Medidor leído"),
        ("fecha_lectura", "date", "Fecha de la lectura"),
        ("tipo_lectura", "varchar", "INSTALACION, REAL, ESTIMADA o RETIRO"),
        ("lectura_kwh", "double", "Registro acumulado de energía activa total (sin factor), kWh"),
        ("lectura_kwh_hp", "double", "Registro acumulado de energía en horas punta (medidores de doble registro)"),
        ("demanda_max_kw", "double", "Máxima demanda registrada en el periodo (con factor), kW"),
        ("registros_esperados", "integer", "Registros de intervalo de 15 minutos esperados en el periodo"),
        ("registros_error", "integer", "Registros de intervalo faltantes o con error"),
    ),
    "inspeccion": _cols(
        ("id_inspeccion", "varchar", "Código de la inspección"),
        ("id_suministro", "varchar", "Suministro inspeccionado"),
        ("fecha_inspeccion", "date", "Fecha de la inspección en campo"),
        ("motivo_inspeccion", "varchar", "SOSPECHA (dirigida) o ALEATORIA (muestra de control)"),
        ("resultado", "varchar", "HURTO_BYPASS, ERROR_MEDIDOR, ERROR_FACTURACION o SIN_ANOMALIA"),
    ),
    # The smart meters' tables (lds_utils.synthetic.ami), one delivery per calendar month.
    "lectura_intervalo": _cols(
        ("id_medidor", "varchar", "Medidor inteligente que registró el intervalo"),
        ("fecha_hora", "timestamp", "Inicio del intervalo de 15 minutos (reloj del medidor)"),
        ("energia_kwh", "double", "Energía activa del intervalo (con factor), kWh"),
        ("energia_reactiva_kvarh", "double", "Energía reactiva del intervalo (opciones con demanda), kVArh"),
        ("calidad", "varchar", "VALIDO, o ESTIMADO si el sistema de lectura completó un hueco corto"),
    ),
    "evento_medidor": _cols(
        ("id_evento", "varchar", "Código del evento"),
        ("id_medidor", "varchar", "Medidor que registró el evento"),
        ("fecha_hora", "timestamp", "Momento del evento (reloj del medidor)"),
        ("codigo_evento", "varchar", "Corte y restablecimiento, comunicación, reloj, tapa abierta, campo "
                                     "magnético o energía inversa"),
    ),
}

#: Primary key of each raw table.
PRIMARY_KEYS: dict[str, str] = {
    "sector": "id_sector",
    "tarifa": "id_tarifa",
    "cliente": "id_cliente",
    "suministro": "id_suministro",
    "medidor": "id_medidor",
    "asignacion_tarifa": "id_asignacion",
    "acumulado": "id_lectura",
    "inspeccion": "id_inspeccion",
    "lectura_intervalo": "id_medidor, fecha_hora",  # the meter and the start of the interval
    "evento_medidor": "id_evento",
}

#: Foreign keys: (table, column) -> referenced table (its primary key).
FOREIGN_KEYS: dict[tuple[str, str], str] = {
    ("suministro", "id_cliente"): "cliente",
    ("suministro", "id_sector"): "sector",
    ("medidor", "id_suministro"): "suministro",
    ("asignacion_tarifa", "id_suministro"): "suministro",
    ("acumulado", "id_medidor"): "medidor",
    ("inspeccion", "id_suministro"): "suministro",
    ("lectura_intervalo", "id_medidor"): "medidor",
    ("evento_medidor", "id_medidor"): "medidor",
}

#: Columns that hold personal data: never shown in the book, alerts or logs.
PERSONAL_DATA_COLUMNS = ("nombre", "numero_documento")


def column_names(table: str) -> list[str]:
    return [column.name for column in RAW_SCHEMAS[table]]
