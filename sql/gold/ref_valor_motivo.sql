-- gold_db.ref_valor_motivo (ephemeral)
-- Build: ephemeral
-- Grain: one row per reason code an alert of gold_alertas_mes can lead with (motivo: the companion's codes of
--   gold_senales_mes, CERCO_IQR for an alert of the IQR rule alone) and band of consumption (banda_consumo, see
--   gold_alertas_valoradas): 'TODAS' for every band, and a band of its own where the tuning seed gave the reason at
--   least lds_utils.detection.evaluate.MIN_ALERTAS_BANDA alerts in it.
-- Inputs: none: reference values, written here once. gold_alertas_mes inlines this relation; Python reads it by
--   running this very file (lds_utils.rules.companion.reason_values). Parameters: none.
--   probabilidad    share of the alerts leading with this code that were a real anomaly
--   meses_en_juego  months the anomaly still had to run, the alert's own month included, when it was real: the
--                   months an inspection that month stops (a one-month error: 1)
-- Both were measured on the tuning seed (100,000 customers, seed 42, alerts 2022-01..2025-12, legitimate behaviour in
-- the data: lds_utils.synthetic.legitimate, smart-meter data from 2025-07: INTERVALOS_DISCREPAN led 101 alerts,
-- PERFIL_CAMBIA 21, DEMANDA_DISCREPA 30 and EVENTO_MANIPULACION 10, so their values rest on few cases) with
-- lds_utils.detection.evaluate.reason_calibration; `bench/eval_detection.py --clientes 100000 --seed 42` prints
-- them again, and on another seed reports the ranking they give. They are what the synthetic data show, not field
-- figures: with the outcomes of real inspections they would be measured again.
select
    motivo,
    banda_consumo,
    probabilidad,
    meses_en_juego
from (
    values
        ('CERCO_IQR', 'ALTA', 0.005e0, 1.44e0),
        ('CERCO_IQR', 'BAJA', 0.041e0, 8.33e0),
        ('CERCO_IQR', 'MUY_ALTA', 0.012e0, 2.10e0),
        ('CERCO_IQR', 'NORMAL', 0.002e0, 6.06e0),
        ('CERCO_IQR', 'TODAS', 0.006e0, 2.22e0),
        ('CONSUMO_ALTO', 'ALTA', 0.458e0, 1.00e0),
        ('CONSUMO_ALTO', 'MUY_ALTA', 0.949e0, 1.00e0),
        ('CONSUMO_ALTO', 'TODAS', 0.898e0, 1.00e0),
        ('CONSUMO_BAJO', 'BAJA', 0.650e0, 4.66e0),
        ('CONSUMO_BAJO', 'MUY_BAJA', 0.254e0, 2.80e0),
        ('CONSUMO_BAJO', 'NORMAL', 0.396e0, 5.03e0),
        ('CONSUMO_BAJO', 'TODAS', 0.455e0, 4.16e0),
        ('CONSUMO_CERO', 'CERO', 0.600e0, 2.66e0),
        ('CONSUMO_CERO', 'TODAS', 0.600e0, 2.66e0),
        ('DEMANDA_DISCREPA', 'TODAS', 0.933e0, 1.39e0),
        ('DESCENSO_GRADUAL', 'BAJA', 0.431e0, 3.88e0),
        ('DESCENSO_GRADUAL', 'NORMAL', 0.512e0, 3.20e0),
        ('DESCENSO_GRADUAL', 'TODAS', 0.451e0, 3.68e0),
        ('ESTIMADA_BAJA', 'BAJA', 0.832e0, 2.74e0),
        ('ESTIMADA_BAJA', 'NORMAL', 0.039e0, 2.65e0),
        ('ESTIMADA_BAJA', 'TODAS', 0.067e0, 2.69e0),
        ('EVENTO_MANIPULACION', 'TODAS', 1.000e0, 2.70e0),
        ('FACTOR_CARGA_ATIPICO', 'BAJA', 0.449e0, 1.55e0),
        ('FACTOR_CARGA_ATIPICO', 'NORMAL', 0.781e0, 1.68e0),
        ('FACTOR_CARGA_ATIPICO', 'TODAS', 0.763e0, 1.67e0),
        ('FACTOR_CARGA_MAYOR_1', 'NORMAL', 0.999e0, 1.66e0),
        ('FACTOR_CARGA_MAYOR_1', 'TODAS', 0.978e0, 1.66e0),
        ('INTERVALOS_DISCREPAN', 'MUY_ALTA', 1.000e0, 1.00e0),
        ('INTERVALOS_DISCREPAN', 'TODAS', 0.980e0, 1.02e0),
        ('OPCION_INCOMPATIBLE', 'ALTA', 1.000e0, 5.14e0),
        ('OPCION_INCOMPATIBLE', 'BAJA', 1.000e0, 4.66e0),
        ('OPCION_INCOMPATIBLE', 'NORMAL', 1.000e0, 4.70e0),
        ('OPCION_INCOMPATIBLE', 'TODAS', 1.000e0, 4.70e0),
        ('OPCION_NUEVA', 'NORMAL', 0.301e0, 7.40e0),
        ('OPCION_NUEVA', 'TODAS', 0.299e0, 7.37e0),
        ('PERFIL_CAMBIA', 'TODAS', 0.190e0, 1.25e0),
        ('RECUPERO_TRAS_ESTIMADA', 'ALTA', 0.090e0, 1.00e0),
        ('RECUPERO_TRAS_ESTIMADA', 'MUY_ALTA', 0.070e0, 1.00e0),
        ('RECUPERO_TRAS_ESTIMADA', 'NORMAL', 0.014e0, 1.00e0),
        ('RECUPERO_TRAS_ESTIMADA', 'TODAS', 0.027e0, 1.00e0),
        ('REGISTRO_RETROCEDE', 'CERO', 1.000e0, 2.00e0),
        ('REGISTRO_RETROCEDE', 'TODAS', 1.000e0, 2.00e0)
) as valor (motivo, banda_consumo, probabilidad, meses_en_juego)
