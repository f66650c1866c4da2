"""MLflow "model from code" entry: serves any saved OrderSight model through pyfunc.

Logged by models/registry.py so `mlflow models serve` can serve a registered model without
pickling Python objects.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import mlflow.pyfunc
import pandas as pd
from mlflow.models import set_model

from models.registry import load_model_dir


class OrderSightPyfunc(mlflow.pyfunc.PythonModel):
    def load_context(self, context: Any) -> None:
        self.model = load_model_dir(Path(context.artifacts["model_dir"]))

    def predict(self, context: Any, model_input: pd.DataFrame, params: Any = None) -> pd.DataFrame:
        return self.model.predict_frame(model_input)


set_model(OrderSightPyfunc())
