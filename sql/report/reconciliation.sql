-- reconciliation: raw = bronze + rejected, per raw table.
-- Grain: one row per raw table.
-- Input: bronze_db.bronze_conciliacion. Parameters: none.
select
    tabla,
    filas_raw,
    filas_bronze,
    filas_rechazadas,
    cuadra
from bronze_db.bronze_conciliacion
order by tabla
