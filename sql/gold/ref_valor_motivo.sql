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
-- the data: lds_utils.synthetic.legitimate) with
-- lds_utils.detection.evaluate.reason_calibration; `bench/eval_detection.py --clientes 100000 --seed 42` prints
-- them again, and on another seed reports the ranking they give. REGISTRO_RETROCEDE led no alert there (the
-- generator makes no register that goes back): 1.0 and 1 month are assumed. They are what the synthetic data show,
-- not field figures: with the outcomes of real inspections they would be measured again.
select
    motivo,
    banda_consumo,
    probabilidad,
    meses_en_juego
from (
    values
        ('CERCO_IQR', 'ALTA', 0.001e0, 3.86e0),
        ('CERCO_IQR', 'BAJA', 0.042e0, 7.67e0),
        ('CERCO_IQR', 'MUY_ALTA', 0.008e0, 2.27e0),
        ('CERCO_IQR', 'NORMAL', 0.003e0, 7.31e0),
        ('CERCO_IQR', 'TODAS', 0.003e0, 3.58e0),
        ('CONSUMO_ALTO', 'ALTA', 0.356e0, 1.00e0),
        ('CONSUMO_ALTO', 'MUY_ALTA', 0.947e0, 1.00e0),
        ('CONSUMO_ALTO', 'TODAS', 0.892e0, 1.00e0),
        ('CONSUMO_BAJO', 'BAJA', 0.652e0, 4.61e0),
        ('CONSUMO_BAJO', 'MUY_BAJA', 0.021e0, 5.71e0),
        ('CONSUMO_BAJO', 'NORMAL', 0.474e0, 4.46e0),
        ('CONSUMO_BAJO', 'TODAS', 0.387e0, 4.63e0),
        ('CONSUMO_CERO', 'CERO', 0.691e0, 2.63e0),
        ('CONSUMO_CERO', 'TODAS', 0.691e0, 2.63e0),
        ('DESCENSO_GRADUAL', 'BAJA', 0.423e0, 3.81e0),
        ('DESCENSO_GRADUAL', 'NORMAL', 0.499e0, 3.12e0),
        ('DESCENSO_GRADUAL', 'TODAS', 0.442e0, 3.61e0),
        ('ESTIMADA_BAJA', 'BAJA', 0.881e0, 2.72e0),
        ('ESTIMADA_BAJA', 'NORMAL', 0.058e0, 2.65e0),
        ('ESTIMADA_BAJA', 'TODAS', 0.098e0, 2.68e0),
        ('FACTOR_CARGA_ATIPICO', 'BAJA', 0.472e0, 1.96e0),
        ('FACTOR_CARGA_ATIPICO', 'NORMAL', 0.772e0, 1.67e0),
        ('FACTOR_CARGA_ATIPICO', 'TODAS', 0.751e0, 1.68e0),
        ('FACTOR_CARGA_MAYOR_1', 'NORMAL', 0.998e0, 1.67e0),
        ('FACTOR_CARGA_MAYOR_1', 'TODAS', 0.979e0, 1.67e0),
        ('OPCION_INCOMPATIBLE', 'ALTA', 1.000e0, 4.75e0),
        ('OPCION_INCOMPATIBLE', 'BAJA', 1.000e0, 4.59e0),
        ('OPCION_INCOMPATIBLE', 'NORMAL', 1.000e0, 4.65e0),
        ('OPCION_INCOMPATIBLE', 'TODAS', 1.000e0, 4.65e0),
        ('OPCION_NUEVA', 'NORMAL', 0.324e0, 7.87e0),
        ('OPCION_NUEVA', 'TODAS', 0.319e0, 7.93e0),
        ('REGISTRO_RETROCEDE', 'TODAS', 1.0e0, 1.0e0),
        ('RECUPERO_TRAS_ESTIMADA', 'ALTA', 0.141e0, 1.00e0),
        ('RECUPERO_TRAS_ESTIMADA', 'MUY_ALTA', 0.080e0, 1.00e0),
        ('RECUPERO_TRAS_ESTIMADA', 'NORMAL', 0.020e0, 1.00e0),
        ('RECUPERO_TRAS_ESTIMADA', 'TODAS', 0.042e0, 1.00e0)
) as valor (motivo, banda_consumo, probabilidad, meses_en_juego)
