-- raw_sample: the first raw readings (by id_lectura) of the analysis month's delivery, as text.
-- Grain: one row per raw reading of raw_db.acumulado delivered in :period (or in a file without a delivery folder,
--   entrega '0000-00') whose date reads as :period or earlier (five rows).
-- Input: raw_db.acumulado. Parameters: :period ('YYYY-MM').
-- One delivery, not every one: entrega is the files' folder, so the engine reads that month's files only (ordering
-- the 75 M readings of 1.3 M customers by their key to keep five took about a minute).
select *
from raw_db.acumulado
where entrega in (:period, '0000-00')
    and substr(trim(fecha_lectura), 1, 7) <= :period
order by id_lectura
limit 5
