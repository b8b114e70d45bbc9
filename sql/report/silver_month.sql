-- silver_month: the SILVER rows of the analysis month.
-- Grain: one row per supply with readings in :period.
-- Input: silver_db.silver_consumo_mensual. Parameters: :period ('YYYY-MM').
select
    id_suministro,
    consumo_kwh,
    consumo_kwh_hp,
    demanda_max_kw,
    dias_facturados,
    es_estimada,
    n_vueltas,
    n_retrocesos,
    n_sin_lectura_previa,
    registros_esperados,
    registros_error,
    pct_error
from silver_db.silver_consumo_mensual
where anio_mes = :period
order by id_suministro
