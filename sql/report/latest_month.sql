-- latest_month: the latest month with GOLD bills, the default analysis month.
-- Grain: one row.
-- Input: gold_db.gold_facturacion_teorica_mes. Parameters: none.
select max(anio_mes) as anio_mes
from gold_db.gold_facturacion_teorica_mes
