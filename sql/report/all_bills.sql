-- all_bills: every GOLD bill of the lake, with what the valor_evaluado candidate comparison needs.
-- Grain: one row per billed supply-month, every month of the lake.
-- Input: gold_db.gold_facturacion_teorica_mes. Parameters: none.
select
    id_suministro,
    anio_mes,
    tipo_cliente,
    nivel_tension,
    facturacion_teorica,
    dias_facturados
from gold_db.gold_facturacion_teorica_mes
