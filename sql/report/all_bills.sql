-- all_bills: the GOLD bills up to the analysis month, with what the valor_evaluado candidate comparison needs.
-- Grain: one row per billed supply-month up to :period, the months before the first reported one included: they
--   are the history the candidates compare the reported bills with.
-- Input: gold_db.gold_facturacion_teorica_mes. Parameters: :period ('YYYY-MM').
select
    id_suministro,
    anio_mes,
    tipo_cliente,
    nivel_tension,
    facturacion_teorica,
    dias_facturados
from gold_db.gold_facturacion_teorica_mes
where anio_mes <= :period
order by id_suministro, anio_mes
