"""Every assumption of the synthetic data, as one frozen dataclass with named defaults.

Comments name the source of each default: a key of ``sources`` in ``lds_utils/synthetic/reference.yaml``, or
APPROX ("approx, common knowledge": not found in a source, a plausible default kept configurable),
or DERIVED (arithmetic on cited values). Shares and mixes are tuples of (code, share) pairs so the
dataclass stays immutable and prints/serialises as plain data.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from lds_utils import config
from lds_utils.config import UsageError

TIPOS_CLIENTE = ("RESIDENCIAL", "COMERCIAL", "INDUSTRIAL", "ALUMBRADO_PUBLICO")
OPCIONES = ("BT5B", "BT5A", "BT4", "BT3", "BT2", "MT4", "MT3", "MT2")
#: Options billed on two energy registers (HP/HFP): their meters carry lectura_kwh_hp.
OPCIONES_DOBLE_REGISTRO = ("BT5A", "BT3", "BT2", "MT3", "MT2")
TIPOS_ANOMALIA = (
    "PICO",
    "MULTIPLICADOR_X10",
    "DESPLAZAMIENTO_DECIMAL",
    "CAIDA_SOSTENIDA",
    "CONSUMO_CERO",
    "ESTIMADA_RECUPERO",
    "TARIFA_INCORRECTA",
    "DEMANDA_INCONSISTENTE",
    "DESCENSO_LENTO",
    "CASI_CERO",
    "REGISTRO_RETROCEDE",
)
#: Legitimate behaviour listed in truth/legitimos.csv (lds_utils.synthetic.legitimate).
TIPOS_LEGITIMOS = (
    "ESTIMADA_RUTINARIA",
    "DESOCUPADO",
    "CAMBIO_NIVEL",
    "CONEXION_NUEVA",
    "CAMBIO_MEDIDOR",
    "CAMBIO_OPCION",
)
TIPOS_SUCIEDAD = (
    "ESPACIOS_MAYUSCULAS",
    "FILA_DUPLICADA",
    "VALOR_FALTANTE",
    "FECHA_INVALIDA",
    "NUMERO_INVALIDO",
    "FK_HUERFANA",
)
RESULTADOS_INSPECCION = ("HURTO_BYPASS", "ERROR_MEDIDOR", "ERROR_FACTURACION", "SIN_ANOMALIA")
#: Event codes a smart meter logs (evento_medidor.codigo_evento).
CODIGOS_EVENTO = (
    "CORTE_ENERGIA",
    "RESTABLECIMIENTO_ENERGIA",
    "COMUNICACION_PERDIDA",
    "COMUNICACION_RESTABLECIDA",
    "ERROR_RELOJ",
    "TAPA_ABIERTA",
    "CAMPO_MAGNETICO",
    "ENERGIA_INVERSA",
)
#: What interval collection really does to lectura_intervalo (listed in truth/suciedad.csv).
TIPOS_SUCIEDAD_INTERVALO = ("HUECO_INTERVALOS", "DIA_REENVIADO", "RELOJ_DESFASADO", "RACHA_CEROS")
MESES = 12


@dataclass(frozen=True)
class GeneratorConfig:
    n_clientes: int = config.DEFAULT_CLIENTES
    seed: int = config.DEFAULT_SEED
    desde: str = config.DEFAULT_DESDE  # first reported month: the book and the evaluation start here
    hasta: str = config.DEFAULT_HASTA  # last month delivered to raw/
    # Last month simulated (default: hasta, and at least 2025-12). RAW holds the deliveries up to hasta of a
    # simulation that always runs to horizonte, so a lake generated to an earlier month and extended month by month
    # up to horizonte gets exactly the data of one generation to that month.
    horizonte: str | None = None
    # Months of readings generated before ``desde`` so that its bills already have the 12 months of own history
    # valor_evaluado compares with (without them the first reported months are barely evaluated).
    historia_previa_meses: int = config.DEFAULT_HISTORIA_PREVIA
    # Customers per part file. Fixed (not derived from memory) so the output never depends on the machine.
    clientes_por_bloque: int = 50_000

    # -- network -------------------------------------------------------------------------------------------
    sectores_por_distrito: tuple[int, int] = (2, 6)  # APPROX
    clientes_por_sector: int = 30_000  # APPROX: one more sector per 30 000 customers of the district
    dia_lectura: tuple[int, int] = (19, 27)  # route reading day, +-1 day each month; ELCOMERCIO_BT5I + APPROX
    dispersion_sector_km: float = 0.3  # sector centre jitter: this x sqrt(district area); APPROX
    dispersion_sector_max_grados: float = 0.02  # APPROX: keeps sectors near the served urban area
    concentracion_sectores: float = 4.0  # gamma shape of the sector sizes within a district (higher = more equal); APPROX

    # -- customers and supplies ----------------------------------------------------------------------------
    cuotas_tipo_cliente: tuple[tuple[str, float], ...] = (  # consumption.customer_class_shares (APPROX)
        ("RESIDENCIAL", 0.90),
        ("COMERCIAL", 0.085),
        ("INDUSTRIAL", 0.01),
        ("ALUMBRADO_PUBLICO", 0.005),
    )
    # P(1, 2, 3 supplies) per customer type; residential customers have one. APPROX
    suministros_por_cliente: tuple[tuple[str, tuple[float, float, float]], ...] = (
        ("RESIDENCIAL", (1.0, 0.0, 0.0)),
        ("COMERCIAL", (0.85, 0.10, 0.05)),
        ("INDUSTRIAL", (0.70, 0.20, 0.10)),
        ("ALUMBRADO_PUBLICO", (0.50, 0.30, 0.20)),
    )
    cuota_comercial_persona_natural: float = 0.4  # commercial customers with a personal RUC (10...); APPROX
    crecimiento_clientes_anual: float = 0.02  # company.customer_growth_per_year (APPROX): new supplies in the window
    dias_minimos_primera_lectura: int = 7  # a connection closer than this to the route day is first read next month; APPROX
    tasa_baja_anual: float = 0.015  # disconnections per year; APPROX (brief: 1-2%/year)
    primera_conexion: str = "1995-01-01"  # oldest connection date of the sample; APPROX

    # -- tariff options ------------------------------------------------------------------------------------
    cuota_bt5a_residencial: float = 0.03  # APPROX: a few households on double-register BT5A
    cuota_bt5a_comercial: float = 0.15  # APPROX
    umbral_demanda_comercial_kwh: float = 1500.0  # commercial above this take a demand option; APPROX
    umbral_mt_comercial_kwh: float = 8000.0  # large commercial above this may be MT; APPROX
    cuota_mt_comercial_grande: float = 0.6  # APPROX
    cuota_mt_industrial: float = 0.4  # APPROX
    opciones_demanda_comercial: tuple[tuple[str, float], ...] = (("BT4", 0.4), ("BT3", 0.3), ("BT2", 0.3))  # APPROX
    opciones_demanda_industrial: tuple[tuple[str, float], ...] = (("BT2", 0.35), ("BT3", 0.35), ("BT4", 0.30))  # APPROX
    opciones_mt: tuple[tuple[str, float], ...] = (("MT2", 0.4), ("MT3", 0.3), ("MT4", 0.3))  # APPROX
    # Option changes during the window (old -> new); single -> double register also replaces the meter. APPROX
    cambios_opcion: tuple[tuple[str, str], ...] = (
        ("BT5B", "BT5A"),
        ("BT4", "BT3"),
        ("BT3", "BT2"),
        ("MT4", "MT3"),
        ("MT3", "MT2"),
    )
    prob_cambio_opcion: float = 0.03  # share of eligible supplies that change option in the window; APPROX
    potencias_bt5_kw: tuple[float, ...] = (3.0, 5.0, 7.0, 10.0, 15.0, 20.0)  # BT5 contracted steps <= 20 kW (LDS_PLIEGO_2015)
    # Contracted power = peak demand (seasonal peak x mean demand) x margin; BT5 takes the next step. APPROX
    pico_estacional_potencia: float = 1.3
    margen_potencia_bt5: float = 1.2
    margen_potencia_demanda: tuple[float, float] = (1.1, 1.4)

    # -- consumption (kWh per month) -----------------------------------------------------------------------
    # Residential lognormal (median, sigma) per socioeconomic subzone: consumption.residential_by_subzone (APPROX)
    consumo_residencial: tuple[tuple[str, tuple[float, float]], ...] = (
        ("Lima Moderna", (230.0, 0.6)),
        ("Lima Centro tradicional", (140.0, 0.55)),
        ("Lima Este popular", (115.0, 0.55)),
        ("Lima Sur popular", (110.0, 0.55)),
        ("Balnearios del sur", (90.0, 0.9)),
        ("Cañete", (85.0, 0.6)),
        ("Huarochirí", (80.0, 0.6)),
    )
    consumo_comercial: tuple[float, float] = (450.0, 0.9)  # consumption.commercial (APPROX)
    consumo_industrial_bt: tuple[float, float] = (5000.0, 1.0)  # consumption.small_industry_bt (APPROX)
    consumo_mt: tuple[float, float] = (60000.0, 1.1)  # consumption.mt_customers (APPROX)
    consumo_alumbrado: tuple[float, float] = (1500.0, 0.5)  # public lighting supply; APPROX
    demanda_industrial_bt_kw: tuple[float, float] = (5.0, 100.0)  # small_industry_bt contracted 10-100 kW (APPROX)
    demanda_mt_kw: tuple[float, float] = (50.0, 2000.0)  # mt_customers max_demand_kw (APPROX)
    # Monthly multipliers Jan..Dec: consumption.seasonality_residential_multipliers (APPROX)
    estacionalidad_residencial: tuple[float, ...] = (1.08, 1.12, 1.10, 1.01, 0.96, 0.97, 0.99, 0.98, 0.95, 0.95, 0.96, 1.02)
    # Amplitude of that curve per subzone/class: seasonality subzone_adjustment (APPROX): Lima Moderna AC +20-30%.
    amplitud_estacional: tuple[tuple[str, float], ...] = (
        ("Lima Moderna", 2.2),
        ("Lima Centro tradicional", 1.0),
        ("Lima Este popular", 0.8),
        ("Lima Sur popular", 0.8),
        ("Balnearios del sur", 1.0),
        ("Cañete", 0.8),
        ("Huarochirí", 0.5),
        ("COMERCIAL", 0.5),
        ("INDUSTRIAL", 0.2),
    )
    # Summer homes: Jan-Mar 2.5-4x, May-Nov near zero: consumption.beach_districts_seasonality (GESTION_FOSE + APPROX)
    estacionalidad_playa: tuple[float, ...] = (3.0, 3.5, 2.5, 0.8, 0.3, 0.2, 0.2, 0.2, 0.2, 0.25, 0.3, 1.0)
    cuota_casas_playa: float = 0.5  # residential supplies of Balnearios del sur that are summer homes; APPROX
    # Street lighting follows night length (longer in the austral winter); APPROX
    estacionalidad_alumbrado: tuple[float, ...] = (0.97, 0.97, 0.99, 1.01, 1.03, 1.04, 1.04, 1.02, 1.0, 0.98, 0.97, 0.96)
    crecimiento_consumo_anual: float = 0.015  # gentle trend; APPROX
    # Month-to-month lognormal noise sigma per class (brief: 0.12-0.2; street lighting ~constant). APPROX
    ruido_mensual: tuple[tuple[str, float], ...] = (
        ("RESIDENCIAL", 0.15),
        ("COMERCIAL", 0.18),
        ("INDUSTRIAL", 0.15),
        ("MT", 0.12),
        ("ALUMBRADO_PUBLICO", 0.03),
    )
    # Load factor ranges (demand = kWh / (hours x load factor)); mt_customers load_factor 0.4-0.7, others APPROX
    factor_carga: tuple[tuple[str, tuple[float, float]], ...] = (
        ("RESIDENCIAL", (0.25, 0.45)),
        ("COMERCIAL", (0.30, 0.50)),
        ("INDUSTRIAL", (0.30, 0.60)),
        ("MT", (0.40, 0.70)),
        ("ALUMBRADO_PUBLICO", (0.45, 0.50)),
    )
    # HP (18-23 h) share of energy: daily_profile_residential 0.30-0.35; mt_customers 0.18-0.25 (APPROX)
    cuota_hp: tuple[tuple[str, tuple[float, float]], ...] = (
        ("RESIDENCIAL", (0.25, 0.35)),
        ("COMERCIAL", (0.22, 0.35)),
        ("INDUSTRIAL", (0.18, 0.30)),
        ("MT", (0.18, 0.25)),
        ("ALUMBRADO_PUBLICO", (0.35, 0.42)),
    )
    ruido_demanda: float = 0.05  # lognormal sigma of the monthly load factor; APPROX
    ruido_cuota_hp: float = 0.05  # lognormal sigma of the monthly HP share; APPROX

    # -- meters --------------------------------------------------------------------------------------------
    # Register sizing: a month may advance at most this multiple of the base monthly consumption before the
    # register wraps twice (covers seasonality x noise x anomalies); BT meters with 5 digits when it fits.
    holgura_registro: float = 60.0  # APPROX
    factores_medidor: tuple[int, ...] = (10, 20, 40, 60, 80, 100, 120, 200, 400, 600, 1000)  # CT/PT ratios; APPROX
    cuota_electromecanico: float = 0.6  # 5-digit BT5B meters still electromechanical (ELCOMERCIO_BT5I)
    prob_reemplazo_medidor: float = 0.03  # meters replaced in the window (same supply); APPROX
    # Largest register advance allowed in one reading, as a share of 10^digits. SILVER reads a negative
    # difference d as a rollover iff d + 10^digits < 10^digits / 2, so every real advance must stay below 0.5.
    tope_avance_registro: float = 0.45
    error_registros_base: float = 0.005  # 15-min records missing in a normal month: 0-0.5%; APPROX
    prob_medidor_con_fallas: float = 0.05  # meters with communication faults; APPROX
    prob_mes_con_falla: float = 0.15  # months with a fault for those meters; APPROX
    error_registros_falla: tuple[float, float] = (0.05, 0.40)  # APPROX

    # -- tariffs (pliego) ----------------------------------------------------------------------------------
    # Tariff level index anchors (month, multiplier of the reference charges), linear in between, flat outside:
    # +12.8% from 2022-01 to 2024-12 (APPROX 10-15%), then -7% to 2025-10 (GESTION_2025).
    indice_tarifario: tuple[tuple[str, float], ...] = (("2022-01", 0.94), ("2024-12", 1.06), ("2025-10", 0.986))
    ruido_tarifario: float = 0.004  # small month-to-month noise of each charge; APPROX
    dia_vigencia_tarifa: int = 4  # pliegos take effect on the 4th (LR_2023_MCTER, LABORAPERU_2021)

    # -- anomalies (ground truth) --------------------------------------------------------------------------
    tasa_anomalias: float = 0.015  # share of supply-months inside an anomaly; anomaly_detection target 1-2% (APPROX)
    # Share of anomaly EVENTS by type, after anomaly_detection.suggested_anomaly_mix (APPROX): spikes 0.35,
    # zero or near zero 0.25 (here 0.13 zero + 0.07 near zero + 0.05 demand), drops 0.20 (0.14 sudden + 0.06 slow),
    # estimated+catch-up 0.15 (here 0.10: routine estimates are legitimate behaviour now), negative reading 0.05,
    # billing/tariff errors 0.05.
    mezcla_anomalias: tuple[tuple[str, float], ...] = (
        ("PICO", 0.22),
        ("MULTIPLICADOR_X10", 0.08),
        ("DESPLAZAMIENTO_DECIMAL", 0.05),
        ("CAIDA_SOSTENIDA", 0.14),
        ("CONSUMO_CERO", 0.13),
        ("ESTIMADA_RECUPERO", 0.10),
        ("TARIFA_INCORRECTA", 0.05),
        ("DEMANDA_INCONSISTENTE", 0.05),
        ("DESCENSO_LENTO", 0.06),
        ("CASI_CERO", 0.07),
        ("REGISTRO_RETROCEDE", 0.05),
    )
    # Duration in months (min, max) by type; ESTIMADA_RECUPERO = 1-3 estimated months + the catch-up month.
    duracion_anomalias: tuple[tuple[str, tuple[int, int]], ...] = (
        ("PICO", (1, 1)),
        ("MULTIPLICADOR_X10", (1, 1)),
        ("DESPLAZAMIENTO_DECIMAL", (1, 1)),
        ("CAIDA_SOSTENIDA", (4, 12)),
        ("CONSUMO_CERO", (1, 6)),
        ("ESTIMADA_RECUPERO", (2, 4)),
        ("TARIFA_INCORRECTA", (3, 12)),
        ("DEMANDA_INCONSISTENTE", (1, 3)),
        ("DESCENSO_LENTO", (6, 12)),
        ("CASI_CERO", (1, 6)),
        ("REGISTRO_RETROCEDE", (2, 2)),  # the month read below the previous reading, and the next one
    )
    pico_multiplicador: tuple[float, float] = (3.0, 10.0)  # brief: one-month spike x3-x10
    desplazamiento_decimal: float = 100.0  # decimal point two places off: the bill is x100; APPROX
    caida_sostenida: tuple[float, float] = (0.4, 0.8)  # theft_signature: persistent 40-80% drop (APPROX)
    caida_rampa_meses: tuple[int, int] = (1, 3)  # months of gradual decline before the persistent level; APPROX
    # A slow decline (a meter slowing down, or tampering that grows): the loss grows linearly through the whole
    # event, month by month, to this share of consumption in its last month; APPROX
    descenso_lento: tuple[float, float] = (0.3, 0.7)
    casi_cero: tuple[float, float] = (0.01, 0.08)  # a bypass that leaves a trickle: share of consumption; APPROX
    # A reading typed below the previous one (a misread): the register goes back by this share of the month's
    # consumption, and the next real reading bills both months and the gap; APPROX
    registro_retrocede: tuple[float, float] = (0.2, 1.0)
    estimada_fraccion: tuple[float, float] = (0.4, 0.9)  # low estimate vs the recent average; APPROX
    meses_promedio_estimada: int = 6  # estimates average the last six months (EYN_2020)
    demanda_factor_carga_imposible: tuple[float, float] = (1.2, 3.0)  # load factor > 1 variant; APPROX
    demanda_multiplicador: float = 10.0  # demand x10 variant; APPROX
    cuota_demanda_multiplicada: float = 0.5  # share of DEMANDA_INCONSISTENTE that is x10 (else load factor > 1); APPROX

    # -- legitimate behaviour (truth/legitimos.csv): what evaluation counts false alarms on ---------------
    tasa_estimada_rutinaria: float = 0.02  # metering.estimated_reading_rate_normal_times: 1-3 % of bills (APPROX)
    tasa_desocupado_anual: float = 0.02  # homes and shops empty for some months, per supply and year; APPROX
    duracion_desocupado: tuple[int, int] = (1, 6)  # months empty; APPROX
    consumo_desocupado: tuple[float, float] = (0.02, 0.15)  # share of usual use while empty (fridge, standby); APPROX
    cuota_desocupado_cero: float = 0.3  # empty with the breaker off: exactly zero; APPROX
    tasa_cambio_nivel_anual: float = 0.03  # household grows or shrinks, business expands or cuts, per year; APPROX
    cambio_nivel_baja: tuple[float, float] = (0.5, 0.8)  # permanent multiplier down; APPROX
    cambio_nivel_alza: tuple[float, float] = (1.3, 2.0)  # permanent multiplier up; APPROX
    meses_conexion_nueva: int = 12  # a new connection's first months: listed, its history is short; APPROX

    # -- inspections (partial ground truth a utility has) --------------------------------------------------
    capacidad_inspeccion: float = 0.005  # inspections per month / active supplies; APPROX
    cuota_inspeccion_aleatoria: float = 0.2  # random control sample within the capacity; APPROX
    prob_senal_anomalia: float = 0.5  # an anomalous month raises an extra alert (reader note, complaint); APPROX
    ruido_sospecha: float = 0.5  # noise of the suspicion score; APPROX
    prob_falso_negativo: float = 0.10  # an inspection misses a real anomaly; APPROX
    prob_falso_positivo: float = 0.02  # an inspection reports a problem the truth does not hold; APPROX
    resultado_por_anomalia: tuple[tuple[str, str], ...] = (  # field finding per anomaly type (brief + APPROX)
        ("PICO", "SIN_ANOMALIA"),
        ("MULTIPLICADOR_X10", "ERROR_FACTURACION"),
        ("DESPLAZAMIENTO_DECIMAL", "ERROR_FACTURACION"),
        ("CAIDA_SOSTENIDA", "HURTO_BYPASS"),
        ("CONSUMO_CERO", "ERROR_MEDIDOR"),
        ("ESTIMADA_RECUPERO", "SIN_ANOMALIA"),
        ("TARIFA_INCORRECTA", "ERROR_FACTURACION"),
        ("DEMANDA_INCONSISTENTE", "ERROR_MEDIDOR"),
        ("DESCENSO_LENTO", "ERROR_MEDIDOR"),
        ("CASI_CERO", "HURTO_BYPASS"),
        ("REGISTRO_RETROCEDE", "ERROR_FACTURACION"),
    )

    # -- smart meters (AMI): 15-minute intervals (lectura_intervalo) and meter events (evento_medidor) -------
    # The demand options bill a maximum demand integrated over 15 minutes: their meters keep a load profile
    # (smart_metering.demand_options: ELPERUANO_2018_SMI + APPROX).
    opciones_ami: tuple[str, ...] = ("BT4", "BT3", "BT2", "MT4", "MT3", "MT2")
    # Residential BT5-I pilot, ~100 000 users from 2023-09 (smart_metering.residential_pilot, LACAMARA_BT5I): the
    # share of residential BT5B supplies with an electronic meter that joins it (pilot_share_of_residential,
    # DERIVED), switched on month by month over a year (APPROX: a first phase of ~30 000, INFOBAE_BT5I). Pilot
    # supplies stay billed as BT5B here (the BT5-I time-of-use option is not modelled): an assumption.
    cuota_piloto_residencial: float = 0.085
    inicio_piloto: str = "2023-09"
    meses_despliegue_piloto: int = 12
    # First month of interval data and meter events in RAW: the head-end extract starts here (a lake parameter,
    # not a fact; earlier months stay register-only so the default sample stays small). APPROX
    intervalos_desde: str | None = "2025-07"  # None: no smart-meter data at all
    # Daily profile noise: lognormal sigma of each 15-minute value around its class's typical day. APPROX
    ruido_intervalo: tuple[tuple[str, float], ...] = (
        ("RESIDENCIAL", 0.35),
        ("COMERCIAL", 0.20),
        ("INDUSTRIAL", 0.12),
        ("MT", 0.08),
        ("ALUMBRADO_PUBLICO", 0.03),
    )
    # How much of its appliance load (the day's load above its always-on base) a supply runs varies from month to
    # month: lognormal sigma of that load per meter-month, so a profile moves a little month to month. APPROX
    ruido_actividad_mensual: float = 0.15
    # Anomalies that take circuits off the meter (a bypass): the meter loses the appliance load first and the
    # always-on base last, so its day flattens. A slow meter (DESCENSO_LENTO) loses the same share of every interval
    # and keeps its shape. An empty home (DESOCUPADO) also keeps only its base load. APPROX
    tipos_derivacion: tuple[str, ...] = ("CAIDA_SOSTENIDA", "CASI_CERO")
    tangente_fi: tuple[float, float] = (0.2, 0.6)  # kVArh per kWh of demand-option supplies (cos fi 0.86-0.98); APPROX
    cortes_por_sector_mes: float = 0.25  # feeder interruptions per sector and month (~3 a year); APPROX
    duracion_corte_intervalos: tuple[int, int] = (2, 24)  # 30 minutes to 6 hours; APPROX
    prob_hueco_mes: float = 0.04  # meter-months with a communication gap (a faulty meter: prob_mes_con_falla); APPROX
    duracion_hueco_intervalos: tuple[int, int] = (1, 288)  # 15 minutes to 3 days, short ones the most common; APPROX
    hueco_max_estimado: int = 4  # the head-end fills a gap of up to an hour with estimates (calidad ESTIMADO); APPROX
    prob_dia_reenviado: float = 0.02  # meter-months in which the head-end sends one day twice; APPROX
    prob_reloj_desfasado: float = 0.01  # meter-months with the clock 1-14 minutes fast for 1-5 days; APPROX
    prob_racha_ceros: float = 0.005  # meter-months whose profile records zeros for 1-3 days while the register counts; APPROX
    # Background rates of the tamper codes per meter-month (maintenance, false triggers, wiring); APPROX
    tasas_eventos_fondo: tuple[tuple[str, float], ...] = (
        ("TAPA_ABIERTA", 0.003),
        ("CAMPO_MAGNETICO", 0.001),
        ("ENERGIA_INVERSA", 0.001),
    )
    # Tampering the meter logs: anomalies of these types leave a burst of tamper events when they start. APPROX
    tipos_manipulacion: tuple[str, ...] = ("CAIDA_SOSTENIDA", "CASI_CERO", "DESCENSO_LENTO")
    prob_rastro_manipulacion: float = 0.7  # some tampering (a bypass before the meter) leaves no event; APPROX
    eventos_por_manipulacion: tuple[int, int] = (2, 8)  # APPROX
    mezcla_eventos_manipulacion: tuple[tuple[str, float], ...] = (  # APPROX (theft_modalities: terminal block 75%)
        ("TAPA_ABIERTA", 0.6),
        ("CAMPO_MAGNETICO", 0.25),
        ("ENERGIA_INVERSA", 0.15),
    )

    # -- raw dirt ------------------------------------------------------------------------------------------
    tasa_suciedad: float = 0.003  # dirty rows per table (share of rows); APPROX
    mezcla_suciedad: tuple[tuple[str, float], ...] = (  # APPROX; renormalised over the types a table can take
        ("ESPACIOS_MAYUSCULAS", 0.30),
        ("FILA_DUPLICADA", 0.20),
        ("VALOR_FALTANTE", 0.15),
        ("FECHA_INVALIDA", 0.15),
        ("NUMERO_INVALIDO", 0.10),
        ("FK_HUERFANA", 0.10),
    )

    def __post_init__(self):
        if not 1 <= self.n_clientes <= config.MAX_CLIENTES:  # ids are sized for this many customers
            raise UsageError(f"n_clientes must be between 1 and {config.MAX_CLIENTES:,} (got {self.n_clientes})")
        if not 0 <= self.seed <= config.MAX_SEED:
            raise UsageError(f"seed must be between 0 and {config.MAX_SEED:,} (got {self.seed})")
        config.period_range(config.parse_period(self.desde, "desde"), config.parse_period(self.hasta, "hasta"))
        if self.horizonte is None:
            object.__setattr__(self, "horizonte", max(self.hasta, config.DEFAULT_HASTA))
        config.parse_period(self.horizonte, "horizonte")
        if self.horizonte < self.hasta:
            raise UsageError(f"hasta {self.hasta} is after horizonte {self.horizonte}, the last month simulated: a lake "
                             f"simulated to {self.horizonte} cannot be extended beyond it (generate a new lake with "
                             f"--horizonte {self.hasta} or later)")
        if not 0 <= self.historia_previa_meses <= config.MAX_HISTORIA_PREVIA:
            raise UsageError(f"historia_previa_meses must be between 0 and {config.MAX_HISTORIA_PREVIA} "
                             f"(got {self.historia_previa_meses})")
        if config.month_index(self.desde) - self.historia_previa_meses < config.month_index("1900-01"):
            raise UsageError(f"{self.historia_previa_meses} months of history before {self.desde} start before 1900-01")
        if self.clientes_por_bloque < 1:
            raise UsageError("clientes_por_bloque must be greater than zero")
        for name in ("tasa_anomalias", "tasa_suciedad", "capacidad_inspeccion", "tasa_baja_anual",
                     "prob_cambio_opcion", "prob_reemplazo_medidor", "cuota_inspeccion_aleatoria",
                     "tasa_estimada_rutinaria", "tasa_desocupado_anual", "tasa_cambio_nivel_anual",
                     "cuota_desocupado_cero", "cuota_piloto_residencial", "prob_hueco_mes", "prob_dia_reenviado",
                     "prob_reloj_desfasado", "prob_racha_ceros", "prob_rastro_manipulacion"):
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise UsageError(f"{name} must be between 0 and 1 (got {getattr(self, name)})")
        _check_mix("cuotas_tipo_cliente", self.cuotas_tipo_cliente, TIPOS_CLIENTE)
        _check_mix("mezcla_anomalias", self.mezcla_anomalias, TIPOS_ANOMALIA)
        _check_mix("mezcla_suciedad", self.mezcla_suciedad, TIPOS_SUCIEDAD)
        config.parse_period(self.inicio_piloto, "inicio_piloto")
        if self.intervalos_desde is not None:
            config.parse_period(self.intervalos_desde, "intervalos_desde")
        if set(self.opciones_ami) - set(OPCIONES):
            raise UsageError(f"opciones_ami: unknown options {sorted(set(self.opciones_ami) - set(OPCIONES))}")
        for name in ("tipos_manipulacion", "tipos_derivacion"):
            if set(getattr(self, name)) - set(TIPOS_ANOMALIA):
                raise UsageError(f"{name}: unknown anomaly types "
                                 f"{sorted(set(getattr(self, name)) - set(TIPOS_ANOMALIA))}")
        _check_mix("mezcla_eventos_manipulacion", self.mezcla_eventos_manipulacion, CODIGOS_EVENTO)
        for name in ("opciones_demanda_comercial", "opciones_demanda_industrial", "opciones_mt"):
            _check_mix(name, getattr(self, name), OPCIONES)

    @property
    def desde_datos(self) -> str:
        """First billing month generated: ``historia_previa_meses`` before ``desde``."""
        return config.shift_period(self.desde, -self.historia_previa_meses)

    @property
    def periodos(self) -> list[str]:
        """Billing months delivered, desde_datos..hasta."""
        return config.period_range(self.desde_datos, self.hasta)

    @property
    def periodos_simulados(self) -> list[str]:
        """Billing months simulated, desde_datos..horizonte."""
        return config.period_range(self.desde_datos, self.horizonte)

    @property
    def n_bloques(self) -> int:
        return math.ceil(self.n_clientes / self.clientes_por_bloque)


def _check_mix(name: str, pairs: tuple[tuple[str, float], ...], allowed: tuple[str, ...]) -> None:
    codes = [code for code, _ in pairs]
    unknown = sorted(set(codes) - set(allowed))
    if unknown or len(set(codes)) != len(codes):
        raise UsageError(f"{name}: unknown or repeated codes {unknown or codes}")
    total = sum(share for _, share in pairs)
    if any(share < 0 for _, share in pairs) or abs(total - 1.0) > 1e-6:
        raise UsageError(f"{name}: shares must be non-negative and add up to 1 (got {total:.6f})")
