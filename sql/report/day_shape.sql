-- day_shape: one smart meter's typical day in each month: its mean demand (kW, 4 x the mean interval kWh) at each
--   hour of the day, over the intervals it sent.
-- Grain: one row per delivery month and hour (anio_mes, hora) with intervals.
-- Input: bronze_db.bronze_lectura_intervalo. Parameters: :id_medidor; :desde ('YYYY-MM', the first month);
--   :period ('YYYY-MM'): nothing after the analysis month is read.
select
    anio_mes,
    hour(fecha_hora) as hora,
    4 * avg(energia_kwh) as kw_medio,
    count(*) as intervalos
from bronze_db.bronze_lectura_intervalo
where id_medidor = :id_medidor
    and anio_mes between :desde and :period
group by anio_mes, hour(fecha_hora)
order by anio_mes, hora
