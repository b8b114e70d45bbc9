-- alert_tables_check: whether the alert relations were built from the GOLD a reader reads, up to :period.
-- Grain: one row: GOLD's bills, kWh and IQR alerts up to :period beside what the alert relations hold.
-- Inputs: gold_db.gold_facturacion_teorica_mes, gold_senales_mes, gold_alertas_mes. Parameters: :period.
select
    (select count(*) from gold_db.gold_facturacion_teorica_mes where anio_mes <= :period) as gold_filas,
    (select count(*) from gold_db.gold_senales_mes where anio_mes <= :period) as senales_filas,
    (select sum(consumo_kwh) from gold_db.gold_facturacion_teorica_mes where anio_mes <= :period) as gold_kwh,
    (select sum(consumo_kwh) from gold_db.gold_senales_mes where anio_mes <= :period) as senales_kwh,
    (select count_if(es_atipico) from gold_db.gold_facturacion_teorica_mes where anio_mes <= :period)
        as gold_atipicos,
    (select count_if(es_alerta_iqr) from gold_db.gold_alertas_mes where anio_mes <= :period) as alertas_iqr
