-- alerts_of_month: the month's ranked alerts, first to inspect first.
-- Grain: one row per alerted supply of :period.
-- Input: gold_db.gold_alertas_mes. Parameters: :period ('YYYY-MM').
select *
from gold_db.gold_alertas_mes
where anio_mes = :period
order by prioridad
