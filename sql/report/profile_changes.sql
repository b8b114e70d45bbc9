-- profile_changes: the analysis month's smart-meter supplies whose night/day ratio rose most against their own
--   previous periods (gold_senales_mes.razon_perfil_historia), with its z against the segment (z_perfil, null in a
--   segment too small) and whether the detector raised PERFIL_CAMBIA.
-- Grain: one row per supply (at most :n), the largest rise first.
-- Inputs: gold_db.gold_senales_mes, silver_db.silver_intervalo_mensual (the period's meter, dates and ratio).
-- Parameters: :period ('YYYY-MM'), :n (rows).
select
    s.id_suministro,
    i.id_medidor,
    i.fecha_inicio,
    i.fecha_fin,
    i.ratio_noche_dia,
    i.ratio_noche_dia / s.razon_perfil_historia as ratio_noche_dia_previo,
    s.razon_perfil_historia,
    s.z_perfil,
    s.es_perfil_cambia
from gold_db.gold_senales_mes as s
inner join silver_db.silver_intervalo_mensual as i
    on s.id_suministro = i.id_suministro
    and s.anio_mes = i.anio_mes
where s.anio_mes = :period
    and i.anio_mes = :period
    and s.razon_perfil_historia is not null
order by s.razon_perfil_historia desc, s.id_suministro
limit :n
