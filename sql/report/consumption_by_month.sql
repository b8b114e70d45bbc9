-- consumption_by_month: SILVER totals per month up to the analysis month, over supplies with measured
--   consumption (at least one reading difference: the rule GOLD bills by, so the first month of the data,
--   made only of first readings, is left out).
-- Grain: one row per month (anio_mes) up to :period.
-- Input: silver_db.silver_consumo_mensual. Parameters: :period ('YYYY-MM').
select
    anio_mes,
    count(*) as suministros,
    sum(consumo_kwh) as consumo_kwh,
    count_if(es_estimada) as con_lectura_estimada,
    sum(n_retrocesos) as retrocesos,
    sum(n_vueltas) as vueltas,
    100 * cast(sum(registros_error) as double) / sum(registros_esperados) as pct_error
from silver_db.silver_consumo_mensual
where anio_mes <= :period
    and n_diferencias > 0
group by anio_mes
order by anio_mes
