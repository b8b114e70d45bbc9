-- month_summary: a month's bills, atypical bills and alerts beside the month before, for the summary of `mes`.
-- Grain: one row. Inputs: gold_db.gold_facturacion_teorica_mes, gold_db.gold_alertas_mes.
-- Parameters: :period (the month), :mes_anterior (the month before it).
-- suministros_nuevos: supplies billed in :period and not in :mes_anterior; suministros_sin_factura: the reverse.
-- alertas: supplies on the month's list (either detector); alertas_nuevas: of them, with no alert the month
-- before; a_inspeccionar: within the month's inspection capacity.
with facturas as (
    select anio_mes, id_suministro, es_atipico, facturacion_teorica
    from gold_db.gold_facturacion_teorica_mes
    where anio_mes in (:period, :mes_anterior)
),

por_suministro as (
    select
        id_suministro,
        count_if(anio_mes = :period) > 0 as en_mes,
        count_if(anio_mes = :mes_anterior) > 0 as en_mes_anterior
    from facturas
    group by id_suministro
),

alertas as (
    select
        count_if(anio_mes = :period) as alertas,
        count_if(anio_mes = :mes_anterior) as alertas_anterior,
        count_if(anio_mes = :period and es_nueva) as alertas_nuevas,
        count_if(anio_mes = :period and dentro_capacidad) as a_inspeccionar
    from gold_db.gold_alertas_mes
    where anio_mes in (:period, :mes_anterior)
)

select
    (select count_if(anio_mes = :period) from facturas) as facturas,
    (select count_if(anio_mes = :mes_anterior) from facturas) as facturas_anterior,
    (select count_if(anio_mes = :period and es_atipico) from facturas) as atipicos,
    (select count_if(anio_mes = :mes_anterior and es_atipico) from facturas) as atipicos_anterior,
    (select sum(case when anio_mes = :period then facturacion_teorica end) from facturas) as facturacion_soles,
    (select sum(case when anio_mes = :mes_anterior then facturacion_teorica end) from facturas)
        as facturacion_soles_anterior,
    (select count_if(en_mes and not en_mes_anterior) from por_suministro) as suministros_nuevos,
    (select count_if(en_mes_anterior and not en_mes) from por_suministro) as suministros_sin_factura,
    a.alertas,
    a.alertas_anterior,
    a.alertas_nuevas,
    a.a_inspeccionar
from alertas as a
