-- stg_acumulado_incremental: the rows of stg_acumulado for the new RAW deliveries only.
-- Build: incremental of stg_acumulado
-- Grain: one row per row of raw_db.acumulado whose entrega lies in [:entrega_desde, :entrega_hasta], as
--   stg_acumulado gives it for a key first delivered there.
-- Inputs: bronze_db.stg_acumulado_validado (the rules, over the new deliveries of raw_db.acumulado and
--   bronze_db.bronze_medidor), bronze_db.stg_acumulado (the keys of the earlier deliveries, entrega < :entrega_desde).
--   Parameters: :fecha_maxima ('YYYY-MM-DD'), :entrega_desde and :entrega_hasta ('YYYY-MM', the deliveries loaded;
--   every earlier one is loaded already).
-- A key already delivered is CLAVE_YA_ENTREGADA here (after the row's own reasons, as stg_acumulado_duplicado
-- decides it in a whole build), so the earlier partitions are never rewritten. The keys already delivered are found
-- by probing the earlier partitions' id_lectura with the new keys (the new delivery is the small side of that join).
with ya_entregada as (
    select distinct anterior.id_lectura
    from bronze_db.stg_acumulado as anterior
    where anterior.entrega < :entrega_desde
        and anterior.id_lectura in (
            select upper(trim(id_lectura)) from raw_db.acumulado where entrega between :entrega_desde and :entrega_hasta
        )
),

decidida as (
    select
        validado.*,
        coalesce(motivo_fila, case when ya_entregada.id_lectura is not null then 'CLAVE_YA_ENTREGADA' end) as motivo
    from bronze_db.stg_acumulado_validado as validado
    left join ya_entregada on validado.id_lectura = ya_entregada.id_lectura
)

-- The raw record as text only for the rows that can be rejected (a bad row, a repeated or delivered key).
select
    id_lectura, id_medidor, fecha_lectura, tipo_lectura, lectura_kwh, lectura_kwh_hp, demanda_max_kw,
    registros_esperados, registros_error,
    date_format(fecha_lectura, '%Y-%m') as anio_mes,
    entrega,
    motivo,
    clave_repetida,
    firma,
    case when clave_repetida or motivo is not null then concat_ws(',',
        coalesce(texto_id_lectura, ''), coalesce(texto_id_medidor, ''), coalesce(texto_fecha_lectura, ''),
        coalesce(texto_tipo_lectura, ''), coalesce(texto_lectura_kwh, ''), coalesce(texto_lectura_kwh_hp, ''),
        coalesce(texto_demanda_max_kw, ''), coalesce(texto_registros_esperados, ''),
        coalesce(texto_registros_error, '')) end as registro
from decidida
