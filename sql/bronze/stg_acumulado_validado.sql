-- bronze_db.stg_acumulado_validado (ephemeral)
-- Build: ephemeral
-- Grain: one row per row of raw_db.acumulado whose entrega lies in [:entrega_desde, :entrega_hasta]: the reading
--   normalised, typed and checked, with its own reject reason (motivo_fila, null: valid) and whether its key
--   occurs more than once in those deliveries (clave_repetida).
-- The rules stg_acumulado (every delivery) and stg_acumulado_incremental (the new deliveries) share. Never stored:
-- the runner inlines it as common table expressions into the statements that read it (lds_utils.lake.graph).
-- Inputs: raw_db.acumulado, bronze_db.bronze_medidor. Parameters: :fecha_maxima ('YYYY-MM-DD'), :entrega_desde and
--   :entrega_hasta ('YYYY-MM'; a whole build binds the widest range).
-- A register value must fit the meter's register (0 <= lectura < 10^numero_digitos).
-- Ranges are written as not (valid range), so NaN and Infinity fail them on every engine; whole numbers
-- must be plain digits (a bare cast reads '0x10', '.5' or '1e3' as integers on DuckDB only).
-- One pass over the readings: a CTE that two parts of the statement reached would keep the raw files whole
-- (DuckDB cannot inline a CSV scan it reads twice), spilling gigabytes at full scale. The repeated keys are
-- counted from a second scan of the key column instead (at 1.3 M customers 99 -> 64 to 71 s), grouped by a 64-bit
-- hash of the key rather than by the text: the 61 M keys then fit in DuckDB's memory (buffers 4.0 -> 3.0 GB, no
-- spill; 61.4 -> 57.4 s).
-- A hash shared by two different keys only sends their rows through stg_acumulado_duplicado, which decides on the
-- key itself and keeps a key's only row: no result depends on the hash.
with medidor as (
    select id_medidor, numero_digitos from bronze_db.bronze_medidor
),

raw as (
    select
        entrega,
        id_lectura as texto_id_lectura,
        id_medidor as texto_id_medidor,
        fecha_lectura as texto_fecha_lectura,
        tipo_lectura as texto_tipo_lectura,
        lectura_kwh as texto_lectura_kwh,
        lectura_kwh_hp as texto_lectura_kwh_hp,
        demanda_max_kw as texto_demanda_max_kw,
        registros_esperados as texto_registros_esperados,
        registros_error as texto_registros_error
    from raw_db.acumulado
    where entrega between :entrega_desde and :entrega_hasta
),

claves_repetidas as (
    select xxhash64(to_utf8(upper(trim(id_lectura)))) as clave
    from raw_db.acumulado
    where entrega between :entrega_desde and :entrega_hasta
        and id_lectura is not null  -- a missing key repeats nothing (DuckDB hashes NULL to a value)
    group by xxhash64(to_utf8(upper(trim(id_lectura))))
    having count(*) > 1
),

normalizado as (
    select
        raw.*,
        upper(trim(texto_id_lectura)) as id_lectura,
        upper(trim(texto_id_medidor)) as id_medidor,
        trim(texto_fecha_lectura) as fecha_lectura_txt,
        upper(trim(texto_tipo_lectura)) as tipo_lectura,
        trim(texto_lectura_kwh) as lectura_kwh_txt,
        nullif(trim(texto_lectura_kwh_hp), '') as lectura_kwh_hp_txt,
        nullif(trim(texto_demanda_max_kw), '') as demanda_max_kw_txt,
        trim(texto_registros_esperados) as registros_esperados_txt,
        trim(texto_registros_error) as registros_error_txt,
        claves_repetidas.clave is not null as clave_repetida
    from raw
    left join claves_repetidas on xxhash64(to_utf8(upper(trim(raw.texto_id_lectura)))) = claves_repetidas.clave
),

typed as (
    select
        normalizado.*,
        try_cast(fecha_lectura_txt as date) as fecha_lectura,
        try_cast(lectura_kwh_txt as double) as lectura_kwh,
        try_cast(lectura_kwh_hp_txt as double) as lectura_kwh_hp,
        try_cast(demanda_max_kw_txt as double) as demanda_max_kw,
        try_cast(case when regexp_like(registros_esperados_txt, '^-?[0-9]+$') then registros_esperados_txt end as integer) as registros_esperados,
        try_cast(case when regexp_like(registros_error_txt, '^-?[0-9]+$') then registros_error_txt end as integer) as registros_error
    from normalizado
),

checked as (
    select
        typed.*,
        case
            when id_lectura is null or id_lectura = '' then 'CAMPO_VACIO:id_lectura'
            when typed.id_medidor is null or typed.id_medidor = '' then 'CAMPO_VACIO:id_medidor'
            when tipo_lectura is null or tipo_lectura not in ('INSTALACION', 'REAL', 'ESTIMADA', 'RETIRO')
                then 'CODIGO_INVALIDO:tipo_lectura'
            when fecha_lectura_txt is null or fecha_lectura_txt = '' then 'CAMPO_VACIO:fecha_lectura'
            when fecha_lectura is null then 'FORMATO_INVALIDO:fecha_lectura'
            when fecha_lectura not between date '2000-01-01' and cast(:fecha_maxima as date)
                then 'FUERA_DE_RANGO:fecha_lectura'
            when lectura_kwh_txt is null or lectura_kwh_txt = '' then 'CAMPO_VACIO:lectura_kwh'
            when lectura_kwh is null then 'FORMATO_INVALIDO:lectura_kwh'
            when lectura_kwh_hp is null and lectura_kwh_hp_txt is not null then 'FORMATO_INVALIDO:lectura_kwh_hp'
            when demanda_max_kw is null and demanda_max_kw_txt is not null then 'FORMATO_INVALIDO:demanda_max_kw'
            when registros_esperados_txt is null or registros_esperados_txt = '' then 'CAMPO_VACIO:registros_esperados'
            when registros_esperados is null then 'FORMATO_INVALIDO:registros_esperados'
            when registros_error_txt is null or registros_error_txt = '' then 'CAMPO_VACIO:registros_error'
            when registros_error is null then 'FORMATO_INVALIDO:registros_error'
            when medidor.id_medidor is null then 'HUERFANO:id_medidor'
            when not (lectura_kwh >= 0 and lectura_kwh < power(10, medidor.numero_digitos))
                then 'FUERA_DE_RANGO:lectura_kwh'
            when not (lectura_kwh_hp >= 0 and lectura_kwh_hp < power(10, medidor.numero_digitos))
                then 'FUERA_DE_RANGO:lectura_kwh_hp'
            when not (demanda_max_kw between 0 and 100000) then 'FUERA_DE_RANGO:demanda_max_kw'
            when registros_esperados not between 0 and 96 * 31 then 'FUERA_DE_RANGO:registros_esperados'
            when registros_error not between 0 and registros_esperados then 'FUERA_DE_RANGO:registros_error'
        end as motivo_fila
    from typed
    left join medidor on typed.id_medidor = medidor.id_medidor
)

select
    id_lectura, id_medidor, fecha_lectura, tipo_lectura, lectura_kwh, lectura_kwh_hp, demanda_max_kw,
    registros_esperados, registros_error, entrega, motivo_fila, clave_repetida,
    -- The signature (the normalised content) only where a key repeats: building it, or the raw record as text,
    -- for every valid reading would cost more than all the checks.
    case when clave_repetida then concat_ws('|', coalesce(id_lectura, ''), coalesce(id_medidor, ''),
        coalesce(fecha_lectura_txt, ''), coalesce(tipo_lectura, ''), coalesce(lectura_kwh_txt, ''),
        coalesce(lectura_kwh_hp_txt, ''), coalesce(demanda_max_kw_txt, ''), coalesce(registros_esperados_txt, ''),
        coalesce(registros_error_txt, '')) end as firma,
    -- the raw record's fields, for the statements that keep it as text for the rows they may reject
    texto_id_lectura, texto_id_medidor, texto_fecha_lectura, texto_tipo_lectura, texto_lectura_kwh,
    texto_lectura_kwh_hp, texto_demanda_max_kw, texto_registros_esperados, texto_registros_error
from checked
