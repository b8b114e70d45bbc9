-- consumption_by_month: SILVER totals per reported month up to the analysis month, over supplies with measured
--   consumption (at least one reading difference: the rule GOLD bills by, so the first month of the data,
--   made only of first readings, is left out).
-- Grain: one row per month (anio_mes) from :inicio to :period.
-- Input: silver_db.silver_consumo_mensual. Parameters: :inicio (first reported month), :period ('YYYY-MM').
select
    anio_mes,
    count(*) as suministros,
    sum(consumo_kwh) as consumo_kwh,
    count_if(es_estimada) as con_lectura_estimada,
    sum(n_retrocesos) as retrocesos,
    sum(n_vueltas) as vueltas,
    100 * cast(sum(registros_error) as double) / sum(registros_esperados) as pct_error
from silver_db.silver_consumo_mensual
where anio_mes between :inicio and :period
    and n_diferencias > 0
group by anio_mes
order by anio_mes
