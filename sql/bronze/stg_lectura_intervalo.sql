-- stg_lectura_intervalo: every raw 15-minute interval of the smart meters, normalised, typed and validated.
-- Build: table partitioned by entrega
-- Grain: one row per row of raw_db.lectura_intervalo whose entrega lies in [:entrega_desde, :entrega_hasta]; valid
--   rows have motivo null, the others carry the reject reason and the raw record as text (registro).
-- Inputs: raw_db.lectura_intervalo, bronze_db.bronze_medidor. Parameters: :fecha_maxima ('YYYY-MM-DD'),
--   :entrega_desde and :entrega_hasta ('YYYY-MM'; a whole build binds the widest range).
-- An interval belongs to the delivery of its month (the head-end sends each calendar month once): a timestamp of
--   another month is FUERA_DE_RANGO, so a key is judged within its delivery and a monthly run reads the new delivery
--   only (the table is partitioned by entrega: earlier partitions' files are kept).
-- fecha_hora is the start of the interval on the 15-minute grid. A meter clock running minutes fast stamps it off
--   the grid: the row is kept, aligned to the interval its stamp falls in, and desfase_segundos says by how much.
-- Duplicates (same meter and interval in one delivery, among valid rows): copies of one content keep one row (the
--   others FILA_DUPLICADA); different contents reject every row of the key (CLAVE_DUPLICADA: none can be trusted).
with medidor as (
    select id_medidor from bronze_db.bronze_medidor
),

raw as (
    select
        entrega,
        id_medidor as texto_id_medidor,
        fecha_hora as texto_fecha_hora,
        energia_kwh as texto_energia_kwh,
        energia_reactiva_kvarh as texto_energia_reactiva_kvarh,
        calidad as texto_calidad,
        upper(trim(id_medidor)) as id_medidor,
        trim(fecha_hora) as fecha_hora_txt,
        trim(energia_kwh) as energia_kwh_txt,
        nullif(trim(energia_reactiva_kvarh), '') as energia_reactiva_kvarh_txt,
        upper(trim(calidad)) as calidad
    from raw_db.lectura_intervalo
    where entrega between :entrega_desde and :entrega_hasta
),

typed as (
    select
        raw.*,
        try_cast(fecha_hora_txt as timestamp) as fecha_hora_medidor,
        try_cast(energia_kwh_txt as double) as energia_kwh,
        try_cast(energia_reactiva_kvarh_txt as double) as energia_reactiva_kvarh
    from raw
),

aligned as (
    select
        typed.*,
        -- floor of a double: the integer division of Trino would be a true division on DuckDB
        date_add('minute', cast(floor(minute(fecha_hora_medidor) / 15e0) * 15 as integer),
            date_trunc('hour', fecha_hora_medidor)) as fecha_hora
    from typed
),

checked as (
    select
        aligned.*,
        case
            when aligned.id_medidor is null or aligned.id_medidor = '' then 'CAMPO_VACIO:id_medidor'
            when fecha_hora_txt is null or fecha_hora_txt = '' then 'CAMPO_VACIO:fecha_hora'
            when fecha_hora_medidor is null then 'FORMATO_INVALIDO:fecha_hora'
            when date_format(fecha_hora, '%Y-%m') <> entrega
                or fecha_hora >= date_add('day', 1, cast(:fecha_maxima as date)) then 'FUERA_DE_RANGO:fecha_hora'
            when energia_kwh_txt is null or energia_kwh_txt = '' then 'CAMPO_VACIO:energia_kwh'
            when energia_kwh is null then 'FORMATO_INVALIDO:energia_kwh'
            when not (energia_kwh >= 0 and energia_kwh < 100000) then 'FUERA_DE_RANGO:energia_kwh'
            when energia_reactiva_kvarh is null and energia_reactiva_kvarh_txt is not null
                then 'FORMATO_INVALIDO:energia_reactiva_kvarh'
            when not (energia_reactiva_kvarh >= 0 and energia_reactiva_kvarh < 100000)
                then 'FUERA_DE_RANGO:energia_reactiva_kvarh'
            when calidad is null or calidad not in ('VALIDO', 'ESTIMADO') then 'CODIGO_INVALIDO:calidad'
            when medidor.id_medidor is null then 'HUERFANO:id_medidor'
        end as motivo_fila
    from aligned
    left join medidor on aligned.id_medidor = medidor.id_medidor
),

repetido as (
    select
        checked.*,
        motivo_fila is null
            and count(*) over (partition by entrega, id_medidor, fecha_hora, motivo_fila is null) > 1 as clave_repetida
    from checked
),

repetida as (
    select
        repetido.*,
        concat_ws('|', texto_id_medidor, texto_fecha_hora, texto_energia_kwh, coalesce(texto_energia_reactiva_kvarh, ''),
            texto_calidad) as firma
    from repetido
    where clave_repetida
),

decidido as (
    select
        id_medidor, fecha_hora, fecha_hora_medidor, energia_kwh, energia_reactiva_kvarh, calidad, entrega,
        texto_id_medidor, texto_fecha_hora, texto_energia_kwh, texto_energia_reactiva_kvarh, texto_calidad,
        motivo_fila as motivo
    from repetido
    where not clave_repetida
    union all
    -- the duplicate checks run over the valid rows of a key repeated in its delivery only (a day sent twice)
    select
        id_medidor, fecha_hora, fecha_hora_medidor, energia_kwh, energia_reactiva_kvarh, calidad, entrega,
        texto_id_medidor, texto_fecha_hora, texto_energia_kwh, texto_energia_reactiva_kvarh, texto_calidad,
        case
            when min(firma) over (partition by entrega, id_medidor, fecha_hora)
                <> max(firma) over (partition by entrega, id_medidor, fecha_hora) then 'CLAVE_DUPLICADA'
            when row_number() over (partition by entrega, id_medidor, fecha_hora order by firma) > 1
                then 'FILA_DUPLICADA'
        end as motivo
    from repetida
)

select
    id_medidor,
    fecha_hora,
    cast(date_diff('second', fecha_hora, fecha_hora_medidor) as integer) as desfase_segundos,
    energia_kwh,
    energia_reactiva_kvarh,
    calidad,
    date_format(fecha_hora, '%Y-%m') as anio_mes,
    entrega,
    motivo,
    case when motivo is not null then concat_ws(',',
        coalesce(texto_id_medidor, ''), coalesce(texto_fecha_hora, ''), coalesce(texto_energia_kwh, ''),
        coalesce(texto_energia_reactiva_kvarh, ''), coalesce(texto_calidad, '')) end as registro
from decidido
