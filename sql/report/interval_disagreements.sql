-- interval_disagreements: the analysis month's complete register periods whose intervals and register do not agree,
--   the largest relative difference first (pct_diferencia: |difference| / the larger of the two, in percent).
-- Grain: one row per smart meter (at most :n).
-- Input: silver_db.silver_intervalo_mensual. Parameters: :period ('YYYY-MM'), :n (rows).
select
    id_medidor,
    id_suministro,
    tipo_lectura,
    fecha_inicio,
    fecha_fin,
    kwh_registro,
    kwh_intervalos,
    diferencia_kwh,
    100e0 * abs(diferencia_kwh) / greatest(kwh_registro, kwh_intervalos, 1e0) as pct_diferencia,
    intervalos_error,
    racha_ceros_max
from silver_db.silver_intervalo_mensual
where anio_mes = :period
    and periodo_completo
    and not coincide_registro
order by abs(diferencia_kwh) / greatest(kwh_registro, kwh_intervalos, 1e0) desc, id_medidor
limit :n
