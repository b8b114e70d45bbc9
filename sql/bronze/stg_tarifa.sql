-- stg_tarifa: every raw tariff-sheet row (pliego tarifario), normalised, typed and validated.
-- Build: table
-- Grain: one row per row of raw_db.tarifa; valid rows have motivo null, the others carry the reject reason.
-- Inputs: raw_db.tarifa; bronze_db.ref_opcion_tarifaria (the valid options, their voltage level and which
--   charges their pliego must carry). Parameters: :fecha_maxima (latest plausible date, 'YYYY-MM-DD').
-- Deliveries: duplicates are judged within one delivery (entrega); a key's valid row of its latest delivery is
--   current, its valid rows of earlier deliveries are reemplazada (superseded by a newer state, not rejected).
-- Charges: cargo_fijo S/ per month; cargo_energia* ctm S/ per kWh; cargo_potencia_* S/ per kW-month (no IGV).
with opcion as (
    select
        opcion_tarifaria as opcion_conocida,
        nivel_tension as nivel_tension_opcion,
        not doble_registro as simple_medicion,
        cobra_potencia
    from bronze_db.ref_opcion_tarifaria
),

raw as (
    select
        entrega,
        upper(trim(id_tarifa)) as id_tarifa,
        upper(trim(opcion_tarifaria)) as opcion_tarifaria,
        upper(trim(nivel_tension)) as nivel_tension,
        trim(vigencia_desde) as vigencia_desde_txt,
        trim(cargo_fijo) as cargo_fijo_txt,
        trim(cargo_energia) as cargo_energia_txt,
        trim(cargo_energia_hp) as cargo_energia_hp_txt,
        trim(cargo_energia_hfp) as cargo_energia_hfp_txt,
        trim(cargo_potencia_generacion) as cargo_potencia_generacion_txt,
        trim(cargo_potencia_distribucion) as cargo_potencia_distribucion_txt,
        concat_ws(',', coalesce(id_tarifa, ''), coalesce(opcion_tarifaria, ''), coalesce(nivel_tension, ''),
            coalesce(vigencia_desde, ''), coalesce(cargo_fijo, ''), coalesce(cargo_energia, ''),
            coalesce(cargo_energia_hp, ''), coalesce(cargo_energia_hfp, ''),
            coalesce(cargo_potencia_generacion, ''), coalesce(cargo_potencia_distribucion, '')) as registro
    from raw_db.tarifa
),

typed as (
    select
        raw.*,
        try_cast(vigencia_desde_txt as date) as vigencia_desde,
        try_cast(cargo_fijo_txt as double) as cargo_fijo,
        try_cast(cargo_energia_txt as double) as cargo_energia,
        try_cast(cargo_energia_hp_txt as double) as cargo_energia_hp,
        try_cast(cargo_energia_hfp_txt as double) as cargo_energia_hfp,
        try_cast(cargo_potencia_generacion_txt as double) as cargo_potencia_generacion,
        try_cast(cargo_potencia_distribucion_txt as double) as cargo_potencia_distribucion,
        opcion.opcion_conocida is not null as opcion_valida,
        opcion.nivel_tension_opcion,
        opcion.simple_medicion,
        opcion.cobra_potencia,
        concat_ws('|', coalesce(id_tarifa, ''), coalesce(opcion_tarifaria, ''), coalesce(nivel_tension, ''),
            coalesce(vigencia_desde_txt, ''), coalesce(cargo_fijo_txt, ''), coalesce(cargo_energia_txt, ''),
            coalesce(cargo_energia_hp_txt, ''), coalesce(cargo_energia_hfp_txt, ''),
            coalesce(cargo_potencia_generacion_txt, ''), coalesce(cargo_potencia_distribucion_txt, '')) as firma
    from raw
    left join opcion
        on raw.opcion_tarifaria = opcion.opcion_conocida
),

checked as (
    select
        typed.*,
        case
            when id_tarifa is null or id_tarifa = '' then 'CAMPO_VACIO:id_tarifa'
            when not opcion_valida then 'CODIGO_INVALIDO:opcion_tarifaria'
            when nivel_tension is null or nivel_tension <> nivel_tension_opcion
                then 'CODIGO_INVALIDO:nivel_tension'
            when vigencia_desde_txt is null or vigencia_desde_txt = '' then 'CAMPO_VACIO:vigencia_desde'
            when vigencia_desde is null then 'FORMATO_INVALIDO:vigencia_desde'
            when vigencia_desde not between date '2000-01-01' and cast(:fecha_maxima as date)
                then 'FUERA_DE_RANGO:vigencia_desde'
            when cargo_fijo_txt is null or cargo_fijo_txt = '' then 'CAMPO_VACIO:cargo_fijo'
            when cargo_fijo is null then 'FORMATO_INVALIDO:cargo_fijo'
            when simple_medicion and cargo_energia is null then 'FORMATO_INVALIDO:cargo_energia'
            when not simple_medicion and (cargo_energia_hp is null or cargo_energia_hfp is null)
                then 'FORMATO_INVALIDO:cargo_energia_hp_hfp'
            when cobra_potencia and (cargo_potencia_generacion is null or cargo_potencia_distribucion is null)
                then 'FORMATO_INVALIDO:cargo_potencia'
            when cargo_fijo not between 0 and 100
                or coalesce(cargo_energia, 0) not between 0 and 1000
                or coalesce(cargo_energia_hp, 0) not between 0 and 1000
                or coalesce(cargo_energia_hfp, 0) not between 0 and 1000
                or coalesce(cargo_potencia_generacion, 0) not between 0 and 500
                or coalesce(cargo_potencia_distribucion, 0) not between 0 and 500 then 'FUERA_DE_RANGO:cargo'
        end as motivo_fila
    from typed
),

deduplicated as (
    select
        checked.*,
        case
            when motivo_fila is not null then motivo_fila
            when min(case when motivo_fila is null then firma end) over (partition by id_tarifa, entrega)
                <> max(case when motivo_fila is null then firma end) over (partition by id_tarifa, entrega)
                then 'CLAVE_DUPLICADA'
            when row_number() over (partition by id_tarifa, entrega, motivo_fila is null order by registro) > 1
                then 'FILA_DUPLICADA'
        end as motivo
    from checked
)

select
    id_tarifa, opcion_tarifaria, nivel_tension, vigencia_desde, cargo_fijo, cargo_energia, cargo_energia_hp,
    cargo_energia_hfp, cargo_potencia_generacion, cargo_potencia_distribucion,
    date_format(vigencia_desde, '%Y-%m') as anio_mes,
    motivo, registro, entrega,
    motivo is null and entrega < max(case when motivo is null then entrega end) over (partition by id_tarifa)
        as reemplazada
from deduplicated
