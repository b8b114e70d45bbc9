-- stg_evento_medidor_tipado: the raw smart-meter events of some deliveries, normalised, typed and checked on their own.
-- Build: table partitioned by entrega
-- Grain: one row per row of raw_db.evento_medidor whose entrega lies in [:entrega_desde, :entrega_hasta].
--   motivo_propio is the row's own reject reason (null: valid so far); stg_evento_medidor adds the foreign key and
--   the duplicates.
-- Inputs: raw_db.evento_medidor. Parameters: :fecha_maxima ('YYYY-MM-DD'), :entrega_desde and :entrega_hasta
--   ('YYYY-MM'; a whole build binds the widest range).
-- Partitioned by entrega: a monthly run computes the new deliveries' partitions and keeps the earlier ones' files.
--   clave_repetida: the key occurs more than once in its delivery; stg_evento_medidor judges the duplicates among
--   those rows only, by firma (the normalised content) and registro (the raw record as text).
with raw as (
    select
        entrega,
        upper(trim(id_evento)) as id_evento,
        upper(trim(id_medidor)) as id_medidor,
        trim(fecha_hora) as fecha_hora_txt,
        upper(trim(codigo_evento)) as codigo_evento,
        concat_ws(',', coalesce(id_evento, ''), coalesce(id_medidor, ''), coalesce(fecha_hora, ''),
            coalesce(codigo_evento, '')) as registro
    from raw_db.evento_medidor
    where entrega between :entrega_desde and :entrega_hasta
),

typed as (
    select
        raw.*,
        try_cast(fecha_hora_txt as timestamp) as fecha_hora,
        concat_ws('|', coalesce(id_evento, ''), coalesce(id_medidor, ''), coalesce(fecha_hora_txt, ''),
            coalesce(codigo_evento, '')) as firma
    from raw
),

checked as (
    select
        typed.*,
        case
            when id_evento is null or id_evento = '' then 'CAMPO_VACIO:id_evento'
            when typed.id_medidor is null or typed.id_medidor = '' then 'CAMPO_VACIO:id_medidor'
            when fecha_hora_txt is null or fecha_hora_txt = '' then 'CAMPO_VACIO:fecha_hora'
            when fecha_hora is null then 'FORMATO_INVALIDO:fecha_hora'
            when fecha_hora < timestamp '2000-01-01 00:00:00'
                or fecha_hora >= date_add('day', 1, cast(:fecha_maxima as date)) then 'FUERA_DE_RANGO:fecha_hora'
            when codigo_evento is null or codigo_evento not in ('CORTE_ENERGIA', 'RESTABLECIMIENTO_ENERGIA',
                'COMUNICACION_PERDIDA', 'COMUNICACION_RESTABLECIDA', 'ERROR_RELOJ', 'TAPA_ABIERTA',
                'CAMPO_MAGNETICO', 'ENERGIA_INVERSA') then 'CODIGO_INVALIDO:codigo_evento'
        end as motivo_propio
    from typed
)

select
    id_evento, id_medidor, fecha_hora, codigo_evento, firma, motivo_propio, registro, entrega,
    count(*) over (partition by id_evento, entrega) > 1 as clave_repetida
from checked
