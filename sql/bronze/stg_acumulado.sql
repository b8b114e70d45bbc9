-- stg_acumulado: every raw meter reading, normalised, typed and validated (foreign key included).
-- Build: table partitioned by entrega, incremental
-- Grain: one row per row of raw_db.acumulado. motivo is the row's own reject reason (null: valid). A row whose
--   key occurs more than once (clave_repetida, a few per thousand) gets its final reason in
--   stg_acumulado_duplicado, which tells a repeated key from an exact copy: it reads firma (the normalised
--   content) and registro (the raw record as text), kept for those rows and for the rejected ones only.
-- Inputs: bronze_db.stg_acumulado_validado (the rules, over raw_db.acumulado and bronze_db.bronze_medidor).
--   Parameters: :fecha_maxima ('YYYY-MM-DD'); :entrega_desde and :entrega_hasta, every delivery in a whole build.
-- Partitioned by entrega, the RAW delivery: a monthly run loads its new deliveries with stg_acumulado_incremental
--   and keeps the earlier partitions' files. A key delivered in more than one delivery is a repeated key too
--   (stg_acumulado_duplicado rejects the later deliveries' rows: a reading is never replaced).

-- The raw record as text only for the rows that can be rejected (a bad row or a repeated key).
select
    id_lectura, id_medidor, fecha_lectura, tipo_lectura, lectura_kwh, lectura_kwh_hp, demanda_max_kw,
    registros_esperados, registros_error,
    date_format(fecha_lectura, '%Y-%m') as anio_mes,
    entrega,
    motivo_fila as motivo,
    clave_repetida,
    firma,
    case when clave_repetida or motivo_fila is not null then concat_ws(',',
        coalesce(texto_id_lectura, ''), coalesce(texto_id_medidor, ''), coalesce(texto_fecha_lectura, ''),
        coalesce(texto_tipo_lectura, ''), coalesce(texto_lectura_kwh, ''), coalesce(texto_lectura_kwh_hp, ''),
        coalesce(texto_demanda_max_kw, ''), coalesce(texto_registros_esperados, ''),
        coalesce(texto_registros_error, '')) end as registro
from bronze_db.stg_acumulado_validado
