"""Detection beyond the official KPI: the companion detector's alerts, the valor_evaluado methodology, evaluation."""
