-- gold_factura_evaluada_mes_vacia: gold_db.gold_factura_evaluada_mes before its first run.
-- Grain: none, zero rows. Partitioned by anio_mes like the bills.
-- Inputs: none. Parameters: none.
-- The bills SELECT reads the bills already published for the 12 months before the months it computes,
-- so the table must exist before its first run: on a lake without it, lds_utils.pipeline writes this
-- empty table first, with the columns that SELECT reads. Its first run then replaces it whole.
select
    cast(null as varchar) as id_suministro,
    cast(null as integer) as anio,
    cast(null as integer) as mes,
    cast(null as double) as facturacion_teorica,
    cast(null as varchar) as anio_mes
where false
