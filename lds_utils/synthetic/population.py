"""Customers, supply points, meters and tariff assignments of one chunk of customers.

Everything is drawn per supply as flat numpy arrays; dates are integer days since 1970-01-01 and
months are columns of the calendar (column 0 = the month before ``desde_datos``, whose reading opens the
window for the supplies connected earlier).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from lds_utils.lake.schema import column_names
from lds_utils.synthetic import text
from lds_utils.synthetic.catalog import STREAM_POPULATION, STREAM_TEXT, Calendar, Network, rng_for
from lds_utils.synthetic.settings import MESES, OPCIONES, OPCIONES_DOBLE_REGISTRO, TIPOS_CLIENTE, GeneratorConfig

RESIDENCIAL, COMERCIAL, INDUSTRIAL, ALUMBRADO = range(4)
#: Consumption classes: the customer type, except that every MT supply is its own class.
CLASES = ("RESIDENCIAL", "COMERCIAL", "INDUSTRIAL", "MT", "ALUMBRADO_PUBLICO")
CLASE_INDUSTRIAL_BT, CLASE_MT = 2, 3
TIPOS_MEDIDOR = ("ELECTROMECANICO", "ELECTRONICO", "DOBLE_REGISTRO", "PERFIL_CARGA")
DOBLE = np.array([code in OPCIONES_DOBLE_REGISTRO for code in OPCIONES])
DIAS_MES = 365.25 / 12
HORAS_MES = 24 * DIAS_MES
ANCHO_CLIENTE, ANCHO_SUMINISTRO = 8, 9  # id digits: up to 99 999 999 customers


@dataclass
class Population:
    chunk: int
    # customers
    cliente_num: np.ndarray  # global customer number (1-based)
    cliente_tipo: np.ndarray
    cliente_sector: np.ndarray
    cliente_alta: np.ndarray
    # supplies
    cliente: np.ndarray  # local customer row of each supply
    num: np.ndarray  # global supply number: customer number x 10 + sequence
    tipo: np.ndarray
    clase: np.ndarray
    sector: np.ndarray
    nivel_mt: np.ndarray
    opcion: np.ndarray  # index into OPCIONES, at the start of the window
    opcion_nueva: np.ndarray  # after an option change (= opcion when none)
    base_kwh: np.ndarray  # annual-mean monthly consumption
    curva: np.ndarray  # seasonality curve row
    factor_carga: np.ndarray
    cuota_hp: np.ndarray
    potencia_kw: np.ndarray
    digitos: np.ndarray
    factor: np.ndarray
    conexion: np.ndarray
    nuevo: np.ndarray  # connected inside the window (opens with an INSTALACION reading)
    primer_cierre: np.ndarray  # first month whose reading closes a billing period
    ultimo_cierre: np.ndarray
    baja: np.ndarray  # disconnection date, -1 when still connected
    evento_mes: np.ndarray  # month of the option change / meter replacement, -1 when none
    evento_fecha: np.ndarray
    cambia_opcion: np.ndarray
    reemplaza_medidor: np.ndarray
    tipo_medidor: np.ndarray  # [supply, 2]: first and second meter
    instalacion: np.ndarray  # install date of the first meter
    registro_inicial: np.ndarray  # [supply, 2] register value when each meter starts
    registro_hp_inicial: np.ndarray
    lectura: np.ndarray  # [supply, month] route reading date

    @property
    def n_supplies(self) -> int:
        return len(self.num)

    @property
    def n_cierres(self) -> np.ndarray:
        return self.ultimo_cierre - self.primer_cierre + 1


def shares(pairs, codes) -> np.ndarray:
    lookup = dict(pairs)
    return np.array([lookup.get(code, 0.0) for code in codes])


def pick(pairs, u: np.ndarray) -> np.ndarray:
    """Option index drawn from (code, share) pairs with uniforms u."""
    codes = [code for code, _ in pairs]
    cumulative = np.cumsum([share for _, share in pairs])
    chosen = np.minimum(np.searchsorted(cumulative, u, side="right"), len(codes) - 1)
    return np.array([OPCIONES.index(code) for code in codes])[chosen]


def build_population(cfg: GeneratorConfig, calendar: Calendar, network: Network, chunk: int) -> Population:
    rng = rng_for(cfg, STREAM_POPULATION, chunk)
    first = chunk * cfg.clientes_por_bloque
    n = min(cfg.clientes_por_bloque, cfg.n_clientes - first)
    cliente_num = np.arange(first, first + n, dtype=np.int64) + 1
    cliente_tipo = rng.choice(len(TIPOS_CLIENTE), n, p=shares(cfg.cuotas_tipo_cliente, TIPOS_CLIENTE))
    cliente_sector = rng.choice(network.n_sectors, n, p=network.sector_probability)

    per_type = np.array([dict(cfg.suministros_por_cliente)[t] for t in TIPOS_CLIENTE])
    n_sup = 1 + (rng.random(n)[:, None] > np.cumsum(per_type, axis=1)[cliente_tipo, :2]).sum(axis=1)
    cliente = np.repeat(np.arange(n), n_sup)
    seq = np.arange(len(cliente)) - np.repeat(np.cumsum(n_sup) - n_sup, n_sup) + 1
    tipo = cliente_tipo[cliente]
    sector = cliente_sector[cliente]
    subzona = _subzone_index(cfg, network)[network.sector_district[sector]]

    pop = dict(chunk=chunk, cliente_num=cliente_num, cliente_tipo=cliente_tipo, cliente_sector=cliente_sector,
               cliente=cliente, num=cliente_num[cliente] * 10 + seq, tipo=tipo, sector=sector,
               lectura=network.reading_date[sector])
    pop.update(_load_and_option(cfg, rng, tipo, subzona))
    pop.update(_meters(cfg, rng, pop["opcion"], pop["nivel_mt"], pop["base_kwh"]))
    pop.update(_life(cfg, rng, calendar, pop["lectura"]))
    pop.update(_events(cfg, rng, calendar, pop))
    pop["tipo_medidor"] = _meter_types(pop["opcion"], pop["opcion_nueva"], pop["cambia_opcion"],
                                       pop.pop("electromecanico"))
    pop["cliente_alta"] = np.minimum.reduceat(pop["conexion"], np.cumsum(n_sup) - n_sup)
    return Population(**pop)


def _subzone_index(cfg: GeneratorConfig, network: Network) -> np.ndarray:
    names = [name for name, _ in cfg.consumo_residencial]
    return np.array([names.index(sz) for sz in network.districts["subzona"]])


def _load_and_option(cfg: GeneratorConfig, rng: np.random.Generator, tipo: np.ndarray, subzona: np.ndarray) -> dict:
    size = len(tipo)
    z, u_level, u_option, u_other = rng.standard_normal(size), rng.random(size), rng.random(size), rng.random(size)
    res = np.array([params for _, params in cfg.consumo_residencial])
    mt_industrial = (tipo == INDUSTRIAL) & (u_level < cfg.cuota_mt_industrial)
    median = np.select(
        [tipo == RESIDENCIAL, tipo == COMERCIAL, mt_industrial, tipo == INDUSTRIAL],
        [res[subzona, 0], cfg.consumo_comercial[0], cfg.consumo_mt[0], cfg.consumo_industrial_bt[0]],
        cfg.consumo_alumbrado[0])
    sigma = np.select(
        [tipo == RESIDENCIAL, tipo == COMERCIAL, mt_industrial, tipo == INDUSTRIAL],
        [res[subzona, 1], cfg.consumo_comercial[1], cfg.consumo_mt[1], cfg.consumo_industrial_bt[1]],
        cfg.consumo_alumbrado[1])
    base = median * np.exp(sigma * z)
    nivel_mt = mt_industrial | ((tipo == COMERCIAL) & (base >= cfg.umbral_mt_comercial_kwh)
                                & (u_level < cfg.cuota_mt_comercial_grande))
    clase = np.where(nivel_mt, CLASE_MT, np.array([0, 1, 2, 4])[tipo])

    low, high = np.array([dict(cfg.factor_carga)[c] for c in CLASES]).T
    factor_carga = low[clase] + (high[clase] - low[clase]) * rng.random(size)
    base = _clip_by_demand(cfg, base, clase, factor_carga)

    bt5a_share = np.where(tipo == RESIDENCIAL, cfg.cuota_bt5a_residencial, cfg.cuota_bt5a_comercial)
    bt5 = np.where(u_option < bt5a_share, OPCIONES.index("BT5A"), OPCIONES.index("BT5B"))
    opcion = np.select(
        [nivel_mt, tipo == INDUSTRIAL, (tipo == COMERCIAL) & (base >= cfg.umbral_demanda_comercial_kwh),
         tipo == ALUMBRADO],
        [pick(cfg.opciones_mt, u_option), pick(cfg.opciones_demanda_industrial, u_option),
         pick(cfg.opciones_demanda_comercial, u_option), OPCIONES.index("BT5B")],
        bt5)

    low, high = np.array([dict(cfg.cuota_hp)[c] for c in CLASES]).T
    beach = [name for name, _ in cfg.consumo_residencial].index(SUBZONA_PLAYA)
    beach_house = (subzona == beach) & (tipo == RESIDENCIAL) & (u_other < cfg.cuota_casas_playa)
    extra = len(cfg.consumo_residencial)  # curve rows after one row per residential subzone
    curva = np.select([beach_house, tipo == RESIDENCIAL, tipo == COMERCIAL, tipo == INDUSTRIAL],
                      [extra + CURVA_PLAYA, subzona, extra + CURVA_COMERCIAL, extra + CURVA_INDUSTRIAL],
                      extra + CURVA_ALUMBRADO)
    return dict(clase=clase, nivel_mt=nivel_mt, opcion=opcion, base_kwh=base, factor_carga=factor_carga,
                cuota_hp=low[clase] + (high[clase] - low[clase]) * rng.random(size), curva=curva,
                potencia_kw=_contracted_power(cfg, rng, base, factor_carga, opcion, nivel_mt))


SUBZONA_PLAYA = "Balnearios del sur"
#: Rows of seasonal_curves() after the residential subzones (one row each, in consumo_residencial order).
CURVA_PLAYA, CURVA_COMERCIAL, CURVA_INDUSTRIAL, CURVA_ALUMBRADO = range(4)


def seasonal_curves(cfg: GeneratorConfig) -> np.ndarray:
    """[curve, month] multipliers with mean 1: each residential subzone, then summer homes, commerce, industry
    and street lighting."""
    base = np.array(cfg.estacionalidad_residencial)
    amplitude = dict(cfg.amplitud_estacional)
    rows = [1 + amplitude[name] * (base - 1) for name, _ in cfg.consumo_residencial]
    rows += [np.array(cfg.estacionalidad_playa), 1 + amplitude["COMERCIAL"] * (base - 1),
             1 + amplitude["INDUSTRIAL"] * (base - 1), np.array(cfg.estacionalidad_alumbrado)]
    curves = np.array(rows)
    return curves / curves.mean(axis=1, keepdims=True)


def _clip_by_demand(cfg: GeneratorConfig, base, clase, factor_carga) -> np.ndarray:
    """Keep industrial BT and MT loads inside the reference demand ranges (kW) through the load factor."""
    industrial, mt = clase == CLASE_INDUSTRIAL_BT, clase == CLASE_MT
    low = np.select([industrial, mt], [cfg.demanda_industrial_bt_kw[0], cfg.demanda_mt_kw[0]], 0.0)
    high = np.select([industrial, mt], [cfg.demanda_industrial_bt_kw[1], cfg.demanda_mt_kw[1]], np.inf)
    return np.clip(base, low * HORAS_MES * factor_carga, high * HORAS_MES * factor_carga)


def _contracted_power(cfg, rng, base, factor_carga, opcion, nivel_mt) -> np.ndarray:
    peak = base * cfg.pico_estacional_potencia / (HORAS_MES * factor_carga)
    steps = np.array(cfg.potencias_bt5_kw)
    bt5 = steps[np.minimum(np.searchsorted(steps, peak * cfg.margen_potencia_bt5), len(steps) - 1)]
    margin = peak * rng.uniform(*cfg.margen_potencia_demanda, len(base))
    demand_option = np.where(nivel_mt, np.ceil(margin / 10) * 10, np.ceil(margin))  # whole kW; tens of kW in MT
    is_bt5 = np.isin(opcion, [OPCIONES.index("BT5B"), OPCIONES.index("BT5A")])
    return np.where(is_bt5, bt5, demand_option)


def _meters(cfg: GeneratorConfig, rng: np.random.Generator, opcion, nivel_mt, base) -> dict:
    """Register size and multiplying factor so a month's advance stays far below half the register."""
    peak = base * cfg.holgura_registro
    digitos = np.where(~nivel_mt & (peak < 0.5 * 10**5), 5, 6)
    ct = np.array(cfg.factores_medidor)
    needed = ct[np.minimum(np.searchsorted(ct, peak / (0.5 * 10**6)), len(ct) - 1)]
    direct = ~nivel_mt & (peak < 0.5 * 10.0**digitos)
    factor = np.where(direct, 1, needed)
    size = len(opcion)
    return dict(digitos=digitos, factor=factor,
                registro_inicial=rng.integers(0, 10 ** digitos[:, None], (size, 2)),
                registro_hp_inicial=rng.integers(0, 10 ** digitos[:, None], (size, 2)),
                electromecanico=(digitos == 5) & (rng.random(size) < cfg.cuota_electromecanico))


def _meter_type(opcion: np.ndarray, electromecanico: np.ndarray) -> np.ndarray:
    profile = np.isin(opcion, [OPCIONES.index(code) for code in ("BT2", "MT2", "MT3")])
    single_demand = np.isin(opcion, [OPCIONES.index("BT4"), OPCIONES.index("MT4")])
    return np.select([profile, DOBLE[opcion], single_demand | ~electromecanico], [3, 2, 1], 0)


def _meter_types(opcion, opcion_nueva, cambia_opcion, electromecanico) -> np.ndarray:
    """[supply, 2] type of the first meter and of its replacement (an option change brings the new
    option's meter; an electromechanical meter is replaced by an electronic one)."""
    first = _meter_type(opcion, electromecanico)
    second = np.where(cambia_opcion, _meter_type(opcion_nueva, np.zeros(len(opcion), bool)), np.maximum(first, 1))
    return np.stack([first, second], axis=1)


def _life(cfg: GeneratorConfig, rng: np.random.Generator, calendar: Calendar, lectura: np.ndarray) -> dict:
    """Connection, first/last billing-period closings and disconnection of each supply."""
    size, months = lectura.shape
    rows = np.arange(size)
    window_years = (months - 1) / MESES
    nuevo = rng.random(size) < 1 - (1 + cfg.crecimiento_clientes_anual) ** -window_years
    earliest = text.days(cfg.primera_conexion)
    old = earliest + np.floor(rng.random(size) * (calendar.month_start[0] - earliest)).astype(np.int64)
    month = rng.integers(1, months, size)
    new = calendar.month_start[month] + np.floor(rng.random(size) * calendar.days_in_month[month]).astype(np.int64)
    conexion = np.where(nuevo, new, old)
    # A connection too close to the route reading is first read the next month.
    primer_cierre = np.where(nuevo, month + (lectura[rows, month] - new < cfg.dias_minimos_primera_lectura), 1)

    p_baja = 1 - (1 - cfg.tasa_baja_anual) ** window_years
    u_month, u_day = rng.random(size), rng.random(size)
    with_baja = (rng.random(size) < p_baja) & (primer_cierre + 1 <= months - 1)
    month_baja = np.minimum(primer_cierre + 1 + np.floor(u_month * (months - 1 - primer_cierre)).astype(int),
                            months - 1)
    route_offset = lectura[rows, month_baja] - calendar.month_start[month_baja]
    # The disconnection reading (RETIRO) replaces the route reading of its month: on or before the route day.
    fecha_baja = calendar.month_start[month_baja] + np.floor(u_day * (route_offset + 1)).astype(np.int64)
    installed = np.where(nuevo, conexion,
                         conexion + np.floor(rng.random(size) * (calendar.month_start[0] - conexion)).astype(np.int64))
    return dict(conexion=conexion, nuevo=nuevo, primer_cierre=primer_cierre,
                ultimo_cierre=np.where(with_baja, month_baja, months - 1),
                baja=np.where(with_baja, fecha_baja, -1), instalacion=installed)


def _events(cfg: GeneratorConfig, rng: np.random.Generator, calendar: Calendar, pop: dict) -> dict:
    """At most one option change or meter replacement per supply, strictly inside its connected window."""
    size = len(pop["opcion"])
    rows = np.arange(size)
    n_closings = pop["ultimo_cierre"] - pop["primer_cierre"] + 1
    eligible = n_closings >= 3
    month = np.clip(pop["primer_cierre"] + 1 + np.floor(rng.random(size) * (n_closings - 2)).astype(int),
                    0, calendar.n_months - 1)
    change_to = np.arange(len(OPCIONES))
    for old, new in cfg.cambios_opcion:
        change_to[OPCIONES.index(old)] = OPCIONES.index(new)
    cambia = eligible & (change_to[pop["opcion"]] != pop["opcion"]) & (rng.random(size) < cfg.prob_cambio_opcion)
    aleatorio = eligible & ~cambia & (rng.random(size) < cfg.prob_reemplazo_medidor)
    opcion_nueva = np.where(cambia, change_to[pop["opcion"]], pop["opcion"])
    reemplaza = aleatorio | (cambia & (DOBLE[opcion_nueva] != DOBLE[pop["opcion"]]))

    start = calendar.month_start[month]
    before_route = np.floor(rng.random(size) * (pop["lectura"][rows, month] - start)).astype(np.int64)
    # Option changes take effect on the 1st (so a whole billing month has one option); a random
    # replacement happens any day before that month's route reading.
    fecha = np.where(aleatorio, start + before_route, start)
    return dict(opcion_nueva=opcion_nueva, cambia_opcion=cambia, reemplaza_medidor=reemplaza,
                evento_mes=np.where(cambia | reemplaza, month, -1), evento_fecha=np.where(cambia | reemplaza, fecha, -1))


# -- RAW tables ---------------------------------------------------------------------------------------------
def supply_ids(pop: Population) -> pa.Array:
    return text.ids("S", pop.num, ANCHO_SUMINISTRO)


def cliente_table(cfg: GeneratorConfig, pop: Population, network: Network) -> pa.Table:
    rng = rng_for(cfg, STREAM_TEXT, pop.chunk)
    n = len(pop.cliente_num)
    tipo = pop.cliente_tipo
    persona = (tipo == RESIDENCIAL) | ((tipo == COMERCIAL) & (rng.random(n) < cfg.cuota_comercial_persona_natural))
    dni = text.dni_numbers(pop.cliente_num)
    company_body = (pop.cliente_num * 7907 + 2_718_281) % 90_000_000 + 10_000_000
    numero = np.select([tipo == RESIDENCIAL, persona], [dni, text.ruc_numbers(10, dni)],
                       text.ruc_numbers(20, company_body))
    district = network.districts["distrito"].to_numpy()[network.sector_district[pop.cliente_sector]]
    municipio = text.join("MUNICIPALIDAD DISTRITAL DE ", pc.utf8_upper(pa.array(district)))
    nombre = pc.if_else(pa.array(persona), text.person_names(rng, n),
                        pc.if_else(pa.array(tipo == ALUMBRADO), municipio, text.company_names(rng, n)))
    columns = {
        "id_cliente": text.ids("C", pop.cliente_num, ANCHO_CLIENTE),
        "tipo_documento": text.codes(("RUC", "DNI"), (tipo == RESIDENCIAL).astype(int)),
        "numero_documento": text.integers(numero),
        "nombre": nombre,
        "tipo_cliente": text.codes(TIPOS_CLIENTE, tipo),
        "fecha_alta": text.dates(pop.cliente_alta),
    }
    return text.table(columns, column_names("cliente"))


def suministro_table(pop: Population, network: Network) -> pa.Table:
    columns = {
        "id_suministro": supply_ids(pop),
        "id_cliente": text.ids("C", pop.cliente_num[pop.cliente], ANCHO_CLIENTE),
        "id_sector": network.sector_ids().take(pa.array(pop.sector)),
        "nivel_tension": text.codes(("BT", "MT"), pop.nivel_mt.astype(int)),
        "potencia_contratada_kw": text.decimals(pop.potencia_kw, 1),
        "fecha_conexion": text.dates(pop.conexion),
        "fecha_baja": text.dates(pop.baja, valid=pop.baja >= 0),
    }
    return text.table(columns, column_names("suministro"))


def medidor_table(pop: Population) -> pa.Table:
    second = np.flatnonzero(pop.reemplaza_medidor)
    supply = np.concatenate([np.arange(pop.n_supplies), second])
    seq = np.concatenate([np.ones(pop.n_supplies, int), np.full(len(second), 2)])
    installed = np.concatenate([pop.instalacion, pop.evento_fecha[second]])
    removed = np.concatenate([np.where(pop.reemplaza_medidor, pop.evento_fecha, pop.baja), pop.baja[second]])
    order = np.lexsort((seq, supply))
    supply, seq, installed, removed = supply[order], seq[order], installed[order], removed[order]
    columns = {
        "id_medidor": meter_ids(pop, supply, seq),
        "id_suministro": supply_ids(pop).take(pa.array(supply)),
        "tipo_medidor": text.codes(TIPOS_MEDIDOR, pop.tipo_medidor[supply, seq - 1]),
        "numero_digitos": text.integers(pop.digitos[supply]),
        "factor_medidor": text.integers(pop.factor[supply]),
        "fecha_instalacion": text.dates(installed),
        "fecha_retiro": text.dates(removed, valid=removed >= 0),
    }
    return text.table(columns, column_names("medidor"))


def meter_ids(pop: Population, supply: np.ndarray, seq: np.ndarray) -> pa.Array:
    return text.ids("M", pop.num[supply], ANCHO_SUMINISTRO, suffix=seq)


def asignacion_table(pop: Population, calendar: Calendar, wrong_supply, wrong_first, wrong_last,
                     wrong_option) -> pa.Table:
    """Contiguous, non-overlapping option periods covering each supply's connected life (end inclusive).

    An option change splits the life at its date; a TARIFA_INCORRECTA anomaly inserts a period with the
    wrong option covering whole calendar months wrong_first..wrong_last.
    """
    size = pop.n_supplies
    end_of_life = pop.baja
    wrong = np.full(size, -1)
    wrong[wrong_supply] = wrong_option
    cut_start = np.full(size, -1, dtype=np.int64)
    cut_end = np.full(size, -1, dtype=np.int64)
    cut_start[wrong_supply] = calendar.month_start[wrong_first]
    cut_end[wrong_supply] = calendar.month_start[wrong_last] + calendar.days_in_month[wrong_last] - 1

    change = pop.cambia_opcion
    # Up to three periods per supply: [start, end, option, exists]
    starts = np.stack([pop.conexion, np.where(change, pop.evento_fecha, cut_start), cut_end + 1], axis=1)
    ends = np.stack([np.select([change, wrong >= 0], [pop.evento_fecha - 1, cut_start - 1], end_of_life),
                     np.where(change, end_of_life, cut_end), end_of_life], axis=1)
    options = np.stack([pop.opcion, np.where(change, pop.opcion_nueva, wrong), pop.opcion], axis=1)
    exists = np.stack([np.ones(size, bool), change | (wrong >= 0), wrong >= 0], axis=1)
    supply, slot = np.nonzero(exists)
    columns = {
        "id_asignacion": text.ids("A", pop.num[supply], ANCHO_SUMINISTRO, suffix=slot + 1),
        "id_suministro": supply_ids(pop).take(pa.array(supply)),
        "opcion_tarifaria": text.codes(OPCIONES, options[supply, slot]),
        "fecha_inicio": text.dates(starts[supply, slot]),
        "fecha_fin": text.dates(ends[supply, slot], valid=ends[supply, slot] >= 0),
    }
    return text.table(columns, column_names("asignacion_tarifa"))
