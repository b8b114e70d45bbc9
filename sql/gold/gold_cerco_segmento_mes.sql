-- gold_db.gold_cerco_segmento_mes
-- Build: table partitioned by anio_mes
-- Grain: one row per segment (tipo_cliente, nivel_tension, anio_mes) with at least one evaluated supply.
--   Partitioned by anio_mes.
-- Input: gold_db.gold_factura_evaluada_mes (the months :desde..:hasta). Parameters: :desde, :hasta; the fence's
--   constants of lds_utils.fence.fence_parameters(): :iqr_factor, :min_segmento.
-- Tukey fence per segment: q1, q3 exact, numpy's linear method (virtual index h = (n - 1) p, value =
-- x[floor h] interpolated towards x[floor h + 1], written as numpy writes it), read from each segment's
-- sorted values; umbral_atipico = q3 + :iqr_factor iqr; a segment is valid with at least :min_segmento evaluated
-- supplies (n_segmento counts those with a valor_evaluado). n_atipicos: its bills above the fence, the ones
-- gold_facturacion_teorica_mes flags es_atipico (0 in a segment too small to judge), so a month's atypical bills are
-- counted from its few segments instead of from every bill.
with

evaluado as (
    select
        tipo_cliente,
        nivel_tension,
        anio_mes,
        valor_evaluado
    from gold_db.gold_factura_evaluada_mes
    where anio_mes between :desde and :hasta
),

-- The evaluated values of each segment, sorted: the quantiles are read at their positions. One ordered aggregate: no
-- window sorts every bill with its row, and on DuckDB it costs less than sorting each finished list (the fences of
-- 1.3 M customers: 8.45 -> 6.9 s, 13.2 -> 10.9 CPU-s, same rows).
valores_segmento as (
    select
        tipo_cliente,
        nivel_tension,
        anio_mes,
        array_agg(valor_evaluado order by valor_evaluado) as valores,
        count(*) as n_segmento
    from evaluado
    where valor_evaluado is not null
    group by tipo_cliente, nivel_tension, anio_mes
),

indice_virtual as (
    select
        tipo_cliente,
        nivel_tension,
        anio_mes,
        valores,
        n_segmento,
        cast(floor((n_segmento - 1) * 0.25e0) as integer) + 1 as q1_indice,
        (n_segmento - 1) * 0.25e0 - floor((n_segmento - 1) * 0.25e0) as q1_fraccion,
        cast(floor((n_segmento - 1) * 0.75e0) as integer) + 1 as q3_indice,
        (n_segmento - 1) * 0.75e0 - floor((n_segmento - 1) * 0.75e0) as q3_fraccion
    from valores_segmento
),

-- x[floor h] and x[floor h + 1] (1-based arrays); the upper neighbour of the last value is itself.
vecinos_cuantil as (
    select
        tipo_cliente,
        nivel_tension,
        anio_mes,
        n_segmento,
        valores,
        q1_fraccion,
        q3_fraccion,
        element_at(valores, q1_indice) as q1_bajo,
        element_at(valores, least(q1_indice + 1, n_segmento)) as q1_alto,
        element_at(valores, q3_indice) as q3_bajo,
        element_at(valores, least(q3_indice + 1, n_segmento)) as q3_alto
    from indice_virtual
),

-- numpy's lerp: a + (b - a) t below t = 0.5, b - (b - a) (1 - t) from 0.5 on.
cuantiles as (
    select
        tipo_cliente,
        nivel_tension,
        anio_mes,
        n_segmento,
        valores,
        case
            when q1_fraccion >= 0.5e0 then q1_alto - (q1_alto - q1_bajo) * (1 - q1_fraccion)
            else q1_bajo + (q1_alto - q1_bajo) * q1_fraccion
        end as q1,
        case
            when q3_fraccion >= 0.5e0 then q3_alto - (q3_alto - q3_bajo) * (1 - q3_fraccion)
            else q3_bajo + (q3_alto - q3_bajo) * q3_fraccion
        end as q3
    from vecinos_cuantil
),

cerco as (
    select
        tipo_cliente,
        nivel_tension,
        anio_mes,
        n_segmento,
        n_segmento >= :min_segmento as segmento_valido,
        q1,
        q3,
        q3 - q1 as iqr,
        q3 + :iqr_factor * (q3 - q1) as umbral_atipico,
        valores
    from cuantiles
)

select
    tipo_cliente,
    nivel_tension,
    anio_mes,
    n_segmento,
    segmento_valido,
    q1,
    q3,
    iqr,
    umbral_atipico,
    case
        when segmento_valido then cardinality(filter(valores, valor -> valor > umbral_atipico))
        else 0
    end as n_atipicos
from cerco
