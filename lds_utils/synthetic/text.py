"""Arrow text columns for the RAW CSV files: ids, ISO dates, decimals, codes and fake names.

Every RAW value is text, so the generator builds string arrays directly (vectorised in Arrow's C++
kernels). No value may contain a comma, a quote or a newline: the CSV writer runs without quoting
and refuses such values, which keeps the files plain and guards the contract.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

EPOCH = np.datetime64("1970-01-01", "D")


def days(iso_date: str) -> int:
    """Days since 1970-01-01 of an ISO date (the generator keeps dates as integer days)."""
    return int((np.datetime64(iso_date, "D") - EPOCH).astype(np.int64))


def ids(prefix: str, numbers: np.ndarray, width: int, suffix: np.ndarray | None = None) -> pa.Array:
    """prefix + zero-padded number (+ suffix digits), e.g. ids('C', [7], 8) -> 'C00000007'."""
    numbers = np.asarray(numbers, dtype=np.int64)
    if len(numbers) and not 0 <= numbers.min() <= numbers.max() < 10**width:
        raise ValueError(f"id numbers must have at most {width} digits")
    # 10^width + n is '1' followed by n zero-padded to width digits: the '1' becomes the prefix (one cast, no pad)
    padded = pc.utf8_replace_slice(pc.cast(pa.array(numbers + 10**width), pa.string()), 0, 1, prefix)
    if suffix is None:
        return padded
    return pc.binary_join_element_wise(padded, pc.cast(pa.array(np.asarray(suffix, dtype=np.int64)), pa.string()), "")


def join(*parts, separator: str = "") -> pa.Array:
    """Element-wise concatenation of string arrays and literals (literals broadcast)."""
    values = [pa.scalar(p) if isinstance(p, str) else p.cast(pa.string()) for p in parts]
    return pc.binary_join_element_wise(*values, separator)


def dates(values: np.ndarray, valid: np.ndarray | None = None) -> pa.Array:
    """Integer days since epoch -> 'YYYY-MM-DD' (null where not valid)."""
    mask = None if valid is None else ~np.asarray(valid, dtype=bool)
    array = pa.array(np.asarray(values, dtype=np.int32), type=pa.int32(), mask=mask)
    return pc.cast(array.cast(pa.date32()), pa.string())


def decimals(values: np.ndarray, ndigits: int, valid: np.ndarray | None = None) -> pa.Array:
    """Floats rounded to ndigits, written with a dot and no exponent for the magnitudes used here."""
    mask = None if valid is None else ~np.asarray(valid, dtype=bool)
    rounded = np.round(np.asarray(values, dtype=np.float64), ndigits) + 0.0  # + 0.0 turns -0.0 into 0.0
    return pc.cast(pa.array(rounded, mask=mask), pa.string())


def integers(values: np.ndarray, valid: np.ndarray | None = None) -> pa.Array:
    mask = None if valid is None else ~np.asarray(valid, dtype=bool)
    return pc.cast(pa.array(np.asarray(values, dtype=np.int64), mask=mask), pa.string())


def codes(labels, index: np.ndarray, valid: np.ndarray | None = None) -> pa.Array:
    """labels[index] as strings (null where not valid)."""
    taken = pa.array(list(labels), type=pa.string()).take(pa.array(np.asarray(index, dtype=np.int64)))
    if valid is None:
        return taken
    return pc.if_else(pa.array(np.asarray(valid, dtype=bool)), taken, pa.scalar(None, pa.string()))


def table(columns: dict[str, pa.Array], names: list[str]) -> pa.Table:
    """A string table with exactly the contract's columns, in the contract's order."""
    missing = sorted(set(names) - set(columns))
    extra = sorted(set(columns) - set(names))
    if missing or extra:
        raise ValueError(f"columns differ from the contract: missing {missing}, unexpected {extra}")
    return pa.table({name: columns[name].cast(pa.string()) for name in names})


# -- fake personal data ------------------------------------------------------------------------------------
APELLIDOS = (
    "QUISPE", "MAMANI", "FLORES", "RODRIGUEZ", "SANCHEZ", "GARCIA", "ROJAS", "GONZALES", "HUAMAN", "RAMOS",
    "CHAVEZ", "VASQUEZ", "TORRES", "DIAZ", "LOPEZ", "MENDOZA", "CASTILLO", "RAMIREZ", "ESPINOZA", "CRUZ",
    "GUTIERREZ", "PEREZ", "MARTINEZ", "FERNANDEZ", "CONDORI", "HUAMANI", "CARDENAS", "RIVERA", "SALAZAR",
    "CASTRO", "VARGAS", "ROMERO", "ALVAREZ", "MORALES", "HERRERA", "MEDINA", "AGUILAR", "CHOQUE", "TICONA",
    "PAREDES", "VEGA", "RIOS", "CORDOVA", "LEON", "CAMPOS", "SOTO", "NUÑEZ", "PALOMINO", "ARIAS", "YUPANQUI",
    "INGA", "PAUCAR", "HUILLCA", "CCAHUANA", "ZAVALA", "VILLANUEVA", "REYES", "SILVA", "OLIVERA", "PALACIOS",
)
NOMBRES = (
    (  # male
        "JUAN", "JOSE", "LUIS", "CARLOS", "JORGE", "MIGUEL", "CESAR", "VICTOR", "PEDRO", "RAUL", "JULIO", "MANUEL",
        "ALBERTO", "FERNANDO", "RICARDO", "DANIEL", "ANTONIO", "WILLIAM", "EDWIN", "HUGO", "ROBERTO", "OSCAR",
    ),
    (  # female
        "MARIA", "ROSA", "ANA", "CARMEN", "JUANA", "ELIZABETH", "LUZ", "GLADYS", "PATRICIA", "MARTHA", "SONIA",
        "NANCY", "GABRIELA", "LUCIA", "JESSICA", "KATHERINE", "MILAGROS", "YOLANDA", "SUSANA", "ELENA", "FIORELLA",
        "VALERIA",
    ),
)
RUBROS = (
    "INVERSIONES", "COMERCIAL", "DISTRIBUIDORA", "CORPORACION", "SERVICIOS GENERALES", "GRUPO", "NEGOCIACIONES",
    "INDUSTRIAS", "TEXTIL", "METALMECANICA", "PLASTICOS", "CONSTRUCTORA", "AGROINDUSTRIAL", "PANIFICADORA",
    "FERRETERIA", "RESTAURANTES", "CLINICA", "COLEGIO", "MINIMARKET", "IMPORTACIONES",
)
SOCIEDADES = ("S.A.C.", "S.R.L.", "E.I.R.L.", "S.A.")


def person_names(rng: np.random.Generator, n: int) -> pa.Array:
    """'PATERNO MATERNO NOMBRE [NOMBRE]' as utilities store them (upper case, no comma)."""
    paterno = codes(APELLIDOS, rng.integers(0, len(APELLIDOS), n))
    materno = codes(APELLIDOS, rng.integers(0, len(APELLIDOS), n))
    gender = rng.integers(0, 2, n)
    given = [name for names in NOMBRES for name in names]
    offset = np.where(gender == 0, 0, len(NOMBRES[0]))
    count = np.where(gender == 0, len(NOMBRES[0]), len(NOMBRES[1]))
    first_index = np.floor(rng.random(n) * count).astype(int)
    # the second given name is a different one of the same gender
    second_index = (first_index + 1 + np.floor(rng.random(n) * (count - 1)).astype(int)) % count
    nombre = codes(given, offset + first_index)
    segundo = codes(given, offset + second_index, valid=rng.random(n) < 0.5)
    return pc.binary_join_element_wise(paterno, materno, nombre, segundo, " ", null_handling="skip")


def company_names(rng: np.random.Generator, n: int) -> pa.Array:
    rubro = codes(RUBROS, rng.integers(0, len(RUBROS), n))
    apellido = codes(APELLIDOS, rng.integers(0, len(APELLIDOS), n))
    sociedad = codes(SOCIEDADES, rng.integers(0, len(SOCIEDADES), n))
    return join(rubro, apellido, sociedad, separator=" ")


def dni_numbers(cliente_num: np.ndarray) -> np.ndarray:
    """Distinct 8-digit numbers: a bijection of the customer number onto 10 000 000..99 999 999."""
    return (np.asarray(cliente_num, dtype=np.int64) * 7919 + 3_141_592) % 90_000_000 + 10_000_000


def ruc_numbers(prefix: int, body: np.ndarray) -> np.ndarray:
    """11-digit RUC: 2-digit prefix (10 person, 20 company) + 8 digits + SUNAT check digit (mod 11)."""
    first10 = prefix * 100_000_000 + np.asarray(body, dtype=np.int64)
    weights = np.array([5, 4, 3, 2, 7, 6, 5, 4, 3, 2], dtype=np.int64)
    digits = (first10[:, None] // 10 ** np.arange(9, -1, -1, dtype=np.int64)) % 10
    check = 11 - (digits @ weights) % 11
    check = np.where(check == 10, 0, np.where(check == 11, 1, check))
    return first10 * 10 + check
