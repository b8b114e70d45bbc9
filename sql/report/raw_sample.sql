-- raw_sample: the first raw readings (by id_lectura) among those taken in the analysis month or earlier, as text.
-- Grain: one row per raw reading of raw_db.acumulado whose date reads as :period or earlier (five rows).
-- Input: raw_db.acumulado. Parameters: :period ('YYYY-MM').
select *
from raw_db.acumulado
where substr(trim(fecha_lectura), 1, 7) <= :period
order by id_lectura
limit 5
