-- gold_months: the months the GOLD bills hold, oldest first.
-- Grain: one row per month (anio_mes) with bills.
-- Input: gold_db.gold_factura_evaluada_mes, the bills of gold_facturacion_teorica_mes without its fence (the view's
--   join with the fence made this list take 4 s at 1.3 M customers, on every chapter's opening). Parameters: none.
select distinct anio_mes
from gold_db.gold_factura_evaluada_mes
order by anio_mes
