-- bronze_db.ref_opcion_tarifaria
-- Build: view
-- Grain: one row per tariff option of the Osinergmin pliego that the data contract accepts (opcion_tarifaria).
-- Inputs: none: reference data, written here once and built as a view. Parameters: none.
-- The only statement of what each option is: the BRONZE checks, the GOLD bills and the companion detector join
-- this relation, and Python reads it by running this very file (lds_utils.billing.tariff_options).
--   nivel_tension       voltage level the option belongs to (BT low, MT medium)
--   doble_registro      energy read on two registers, HP (peak) and HFP (off-peak), each billed at its own charge;
--                       otherwise one register billed at cargo_energia
--   cobra_potencia      the bill has a power charge: the month's maximum demand x the pliego's power charges
--   aplica_fose         a residential supply on this option gets the FOSE discount or surcharge
--   admite_residencial  a residential supply may hold this option
select
    opcion_tarifaria,
    nivel_tension,
    doble_registro,
    cobra_potencia,
    aplica_fose,
    admite_residencial
from (
    values
        ('BT5B', 'BT', false, false, true, true),
        ('BT5A', 'BT', true, false, false, true),
        ('BT4', 'BT', false, true, false, false),
        ('BT3', 'BT', true, true, false, false),
        ('BT2', 'BT', true, true, false, false),
        ('MT4', 'MT', false, true, false, false),
        ('MT3', 'MT', true, true, false, false),
        ('MT2', 'MT', true, true, false, false)
) as opcion (opcion_tarifaria, nivel_tension, doble_registro, cobra_potencia, aplica_fose, admite_residencial)
