-- gold_months: the months the GOLD bills hold, oldest first.
-- Grain: one row per month (anio_mes) with bills.
-- Input: gold_db.gold_facturacion_teorica_mes. Parameters: none.
select distinct anio_mes
from gold_db.gold_facturacion_teorica_mes
order by anio_mes
