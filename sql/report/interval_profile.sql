-- interval_profile: one smart meter's energy day by day between two dates, as its intervals show it.
-- Grain: one row per day with intervals in [:fecha_desde, :fecha_hasta).
-- Input: bronze_db.bronze_lectura_intervalo. Parameters: :id_medidor; :fecha_desde, :fecha_hasta ('YYYY-MM-DD');
--   :period ('YYYY-MM'): nothing after the analysis month is read.
select
    cast(fecha_hora as date) as dia,
    sum(energia_kwh) as kwh,
    count(*) as intervalos,
    4 * max(energia_kwh) as demanda_max_kw
from bronze_db.bronze_lectura_intervalo
where id_medidor = :id_medidor
    and anio_mes <= :period
    and fecha_hora >= cast(:fecha_desde as timestamp)
    and fecha_hora < cast(:fecha_hasta as timestamp)
group by cast(fecha_hora as date)
order by dia
