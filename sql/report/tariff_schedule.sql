-- tariff_schedule: the pliego of one tariff option in force in the analysis month.
-- Grain: one row per (opcion_tarifaria, anio_mes): the option :tariff in :period.
-- Input: bronze_db.bronze_tarifa. Parameters: :tariff (tariff option), :period ('YYYY-MM').
select
    opcion_tarifaria,
    anio_mes,
    cargo_fijo,
    cargo_energia,
    cargo_energia_hp,
    cargo_energia_hfp,
    cargo_potencia_generacion,
    cargo_potencia_distribucion
from bronze_db.bronze_tarifa
where opcion_tarifaria = :tariff
    and anio_mes = :period
