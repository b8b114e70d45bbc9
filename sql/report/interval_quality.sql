-- interval_quality: the smart meters' intervals month by month, from the first reported month to the analysis month.
-- Grain: one row per billing month with smart-meter periods.
-- Input: silver_db.silver_intervalo_mensual. Parameters: :inicio, :period ('YYYY-MM').
-- pct_error_medio and pct_coincide are over the complete periods (the meter was sending when the period began);
--   pct_coincide over those whose register difference is known.
select
    anio_mes,
    count(*) as medidores,
    count_if(periodo_completo) as periodos_completos,
    avg(pct_error) as pct_error_medio,
    100e0 * count_if(coincide_registro) / nullif(count(coincide_registro), 0) as pct_coincide,
    count_if(racha_ceros_max >= 96) as medidores_dia_en_cero,
    sum(kwh_intervalos) as kwh_intervalos
from silver_db.silver_intervalo_mensual
where anio_mes between :inicio and :period
group by anio_mes
order by anio_mes
