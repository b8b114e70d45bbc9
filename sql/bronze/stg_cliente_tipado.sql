-- stg_cliente_tipado: the raw customer rows of some deliveries, normalised, typed and validated.
-- Build: table partitioned by entrega
-- Grain: one row per row of raw_db.cliente whose entrega lies in [:entrega_desde, :entrega_hasta]; valid rows have
--   motivo null, the others carry the reject reason.
-- Inputs: raw_db.cliente. Parameters: :fecha_maxima (latest plausible date, 'YYYY-MM-DD'), :entrega_desde and
--   :entrega_hasta ('YYYY-MM'; a whole build binds the widest range).
-- Partitioned by entrega: a customer row's verdict reads its own delivery only (duplicates are judged within one
--   delivery), so a monthly run computes the new deliveries' partitions and keeps the earlier ones' files;
--   stg_cliente tells the current rows from the replaced ones across deliveries.
-- registro, the raw row as text that a rejected row takes to bronze_rechazos, carries no personal data: the name is
-- '<oculto>' (empty stays empty) and the document number its shape (each digit as 9, any other character as X, so a
-- FORMATO_INVALIDO stays explainable). The raw record is found in raw_db.cliente by id_cliente (or, for a row
-- without one, by the other fields). registro_completo, the unmasked text, only orders exact duplicates.
with raw as (
    select
        entrega,
        upper(trim(id_cliente)) as id_cliente,
        upper(trim(tipo_documento)) as tipo_documento,
        trim(numero_documento) as numero_documento,
        trim(nombre) as nombre,
        upper(trim(tipo_cliente)) as tipo_cliente,
        trim(fecha_alta) as fecha_alta_txt,
        concat_ws(',', coalesce(id_cliente, ''), coalesce(tipo_documento, ''), coalesce(numero_documento, ''),
            coalesce(nombre, ''), coalesce(tipo_cliente, ''), coalesce(fecha_alta, '')) as registro_completo,
        concat_ws(',', coalesce(id_cliente, ''), coalesce(tipo_documento, ''),
            regexp_replace(regexp_replace(coalesce(numero_documento, ''), '[0-9]', '9'), '[^9]', 'X'),
            case when coalesce(nombre, '') = '' then '' else '<oculto>' end,
            coalesce(tipo_cliente, ''), coalesce(fecha_alta, '')) as registro
    from raw_db.cliente
    where entrega between :entrega_desde and :entrega_hasta
),

typed as (
    select
        raw.*,
        try_cast(fecha_alta_txt as date) as fecha_alta,
        concat_ws('|', coalesce(id_cliente, ''), coalesce(tipo_documento, ''), coalesce(numero_documento, ''),
            coalesce(nombre, ''), coalesce(tipo_cliente, ''), coalesce(fecha_alta_txt, '')) as firma
    from raw
),

checked as (
    select
        typed.*,
        case
            when id_cliente is null or id_cliente = '' then 'CAMPO_VACIO:id_cliente'
            when tipo_cliente is null or tipo_cliente = '' then 'CAMPO_VACIO:tipo_cliente'
            when tipo_cliente not in ('RESIDENCIAL', 'COMERCIAL', 'INDUSTRIAL', 'ALUMBRADO_PUBLICO')
                then 'CODIGO_INVALIDO:tipo_cliente'
            when tipo_documento not in ('DNI', 'RUC') or tipo_documento is null then 'CODIGO_INVALIDO:tipo_documento'
            when numero_documento is null
                or (tipo_documento = 'DNI' and not regexp_like(numero_documento, '^[0-9]{8}$'))
                or (tipo_documento = 'RUC' and not regexp_like(numero_documento, '^[0-9]{11}$'))
                then 'FORMATO_INVALIDO:numero_documento'
            when fecha_alta_txt is null or fecha_alta_txt = '' then 'CAMPO_VACIO:fecha_alta'
            when fecha_alta is null then 'FORMATO_INVALIDO:fecha_alta'
            when fecha_alta not between date '1950-01-01' and cast(:fecha_maxima as date)
                then 'FUERA_DE_RANGO:fecha_alta'
        end as motivo_fila
    from typed
),

deduplicated as (
    select
        checked.*,
        case
            when motivo_fila is not null then motivo_fila
            when min(case when motivo_fila is null then firma end) over (partition by id_cliente, entrega)
                <> max(case when motivo_fila is null then firma end) over (partition by id_cliente, entrega)
                then 'CLAVE_DUPLICADA'
            when row_number() over (partition by id_cliente, entrega, motivo_fila is null order by registro_completo) > 1
                then 'FILA_DUPLICADA'
        end as motivo
    from checked
)

select
    id_cliente, tipo_documento, numero_documento, nombre, tipo_cliente, fecha_alta,
    motivo, registro, entrega
from deduplicated
