-- gold_db.gold_factura_evaluada_mes
-- Build: table partitioned by anio_mes, sliced by supply, incremental
-- Grain: one row per billed supply-month (id_suministro, anio_mes); a supply-month is billed when
--   silver has at least one consumption difference for it. Partitioned by anio_mes.
-- The theoretical bill (gold_db.gold_factura_mes) and the value the Tukey fence is applied to; the fence
-- itself is gold_cerco_segmento_mes, and gold_facturacion_teorica_mes (a view) joins the two. The fence of a
-- segment needs every supply of the segment, the bills and their history need only the supply's own rows:
-- so this SELECT can run over a slice of supplies and the fence over the finished bills.
-- valor_evaluado = ln(facturacion_teorica / facturacion_referencia), where the reference is the median of
-- the supply's own bills of the previous 12 months (those it has; none: not evaluated).
-- lds_utils/detect.py documents the comparison that chose it.
-- The full build: the previous bills come from a window over the bills computed here, so it reads no
-- published bill. The runner uses it for a run of every month and for a table not built yet; a run of some
-- months of a built table uses gold_factura_evaluada_mes_incremental, one month at a time, oldest first.
-- Inputs: gold_db.gold_factura_mes (its inputs: silver, bronze). Parameters: those of gold_factura_mes.
with

previas as (
    select
        id_suministro,
        anio_mes,
        array_agg(facturacion_teorica) over (
            partition by id_suministro
            order by anio * 12 + mes
            range between 12 preceding and 1 preceding
        ) as facturas_previas
    from gold_db.gold_factura_mes
    where facturacion_teorica is not null
),

-- Exact median of the previous bills: the middle one of the sorted bills, or the mean of the middle two. DuckDB
-- runs this CASE as list_median, which needs no sort (lds_utils.sql.SORTED_ARRAY_MEDIAN).
referencia as (
    select
        id_suministro,
        anio_mes,
        coalesce(cardinality(facturas_previas), 0) as meses_historia,
        case
            when cardinality(facturas_previas) = 0 then null
            when cardinality(facturas_previas) % 2 = 1
                then element_at(array_sort(facturas_previas), cast((cardinality(facturas_previas) + 1) / 2 as integer))
            else (
                element_at(array_sort(facturas_previas), cast(cardinality(facturas_previas) / 2 as integer))
                + element_at(array_sort(facturas_previas), cast(cardinality(facturas_previas) / 2 as integer) + 1)
            ) / 2
        end as facturacion_referencia
    from previas
)

select
    f.id_suministro,
    f.id_cliente,
    f.anio_mes,
    f.anio,
    f.mes,
    f.tipo_cliente,
    f.nivel_tension,
    f.tarifa,
    f.id_sector,
    f.distrito,
    f.zona,
    f.consumo_kwh,
    f.demanda_kw,
    f.dias_facturados,
    f.es_estimada,
    f.n_retrocesos,
    f.pct_error,
    f.cargo_fijo_soles,
    f.energia_soles,
    f.potencia_soles,
    f.alumbrado_soles,
    f.descuento_fose_soles,
    f.recargo_fose_soles,
    f.subtotal_soles,
    f.igv_soles,
    f.facturacion_teorica,
    coalesce(r.meses_historia, 0) as meses_historia,
    r.facturacion_referencia,
    ln(f.facturacion_teorica / r.facturacion_referencia) as valor_evaluado
from gold_db.gold_factura_mes as f
left join referencia as r
    on f.id_suministro = r.id_suministro
    and f.anio_mes = r.anio_mes
    -- a bill that could not be computed is not evaluated (its history is looked up by supply and month)
    and f.facturacion_teorica is not null
