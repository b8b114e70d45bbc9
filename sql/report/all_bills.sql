-- all_bills: the GOLD bills of every reported month up to the analysis month, with what the valor_evaluado
--   candidate comparison needs.
-- Grain: one row per billed supply-month from :inicio to :period.
-- Input: gold_db.gold_facturacion_teorica_mes. Parameters: :inicio (first reported month), :period ('YYYY-MM').
select
    id_suministro,
    anio_mes,
    tipo_cliente,
    nivel_tension,
    facturacion_teorica,
    dias_facturados
from gold_db.gold_facturacion_teorica_mes
where anio_mes between :inicio and :period
