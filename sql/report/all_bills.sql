-- all_bills: the GOLD bills up to the analysis month, with what the valor_evaluado candidate comparison needs.
-- Grain: one row per billed supply-month up to :period, the months before the first reported one included: they
--   are the history the candidates compare the reported bills with.
--   Only the supplies of the evaluation's sample: those whose code's number (after its first letter) is a
--   multiple of :cada (1: all; a code without a number counts as 0). In no particular order.
-- Input: gold_db.gold_factura_evaluada_mes, the bills of gold_facturacion_teorica_mes without its fence: the view
--   joins every bill with its segment's fence, which these columns do not need (at 1.3 M customers the join was a
--   third of this query's time). Parameters: :period ('YYYY-MM'), :cada (a positive integer).
select
    id_suministro,
    anio_mes,
    tipo_cliente,
    nivel_tension,
    facturacion_teorica,
    dias_facturados
from gold_db.gold_factura_evaluada_mes
where anio_mes <= :period
    and mod(coalesce(try_cast(substr(id_suministro, 2) as bigint), 0), :cada) = 0
