-- meter_events: the events the smart meters logged, month by month and code, up to the analysis month.
-- Grain: one row per month (of the event) and event code.
-- Input: bronze_db.bronze_evento_medidor. Parameters: :inicio, :period ('YYYY-MM').
select
    anio_mes,
    codigo_evento,
    count(*) as eventos,
    count(distinct id_medidor) as medidores
from bronze_db.bronze_evento_medidor
where anio_mes between :inicio and :period
group by anio_mes, codigo_evento
order by anio_mes, codigo_evento
