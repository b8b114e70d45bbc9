-- smart_meter_months: the supply-months with a smart meter's intervals, to measure what their reasons add.
-- Grain: one row per supply and billing month (id_suministro, anio_mes) of silver_db.silver_intervalo_mensual from
--   :desde to :hasta (a supply whose meter changed in the month has one row). Only the supplies of the evaluation's
--   sample: those whose code's number (after its first letter) is a multiple of :cada (1: all).
-- Inputs: silver_db.silver_intervalo_mensual.
-- Parameters: :desde, :hasta ('YYYY-MM'), :cada (a positive integer).
select distinct
    id_suministro,
    anio_mes
from silver_db.silver_intervalo_mensual
where anio_mes between :desde and :hasta
    and mod(coalesce(try_cast(substr(id_suministro, 2) as bigint), 0), :cada) = 0
order by anio_mes, id_suministro
