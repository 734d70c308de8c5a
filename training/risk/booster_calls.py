"""A LightGBM prediction prepared on the caller's thread, run as one native call anywhere.

Why: ``Booster.predict`` runs Python around four native calls (iteration count, class count,
output size, then the prediction). On a helper thread each of them waits for the GIL that the
thread which submitted the job holds, so in the service a TreeSHAP job would start late while the
request's thread works. ``prepared_predict`` does that Python part on the caller's thread
and leaves the job a single ctypes call, which releases the GIL for its whole length.

It calls LightGBM's C API through the Python package's own library handle (``lightgbm.basic``),
the same call ``Booster.predict`` makes for a float64 row-major matrix; the pinned LightGBM version
is checked against ``Booster.predict`` in ``tests/training/risk/test_booster_calls.py``.

One LightGBM booster must not run two predictions over different iteration ranges at once (the
range is booster state in LightGBM's C++), so ``booster_slice`` copies a range of trees into a
booster of its own.
"""

from __future__ import annotations

import ctypes
from collections.abc import Callable
from typing import Literal

import lightgbm as lgb
import numpy as np
from lightgbm import basic

PredictKind = Literal["raw_score", "contrib"]
_KIND = {"raw_score": basic._C_API_PREDICT_RAW_SCORE, "contrib": basic._C_API_PREDICT_CONTRIB}


def booster_slice(booster: lgb.Booster, start_iteration: int, num_iteration: int) -> lgb.Booster:
    """A new booster holding only iterations ``[start_iteration, start_iteration + num_iteration)``.

    TreeSHAP contributions (bias column included) add over trees, so the slices of a booster
    explain exactly what the booster explains.
    """
    text = booster.model_to_string(num_iteration=num_iteration, start_iteration=start_iteration)
    return lgb.Booster(model_str=text)


def prepared_predict(
    booster: lgb.Booster,
    data: np.ndarray,
    kind: PredictKind,
    num_iteration: int = -1,
    num_threads: int = 1,
) -> Callable[[], np.ndarray]:
    """A job returning ``booster.predict(data, num_iteration=..., raw_score / pred_contrib=True)``.

    ``data``: a float64 matrix (copied to C order if it is not); ``num_iteration`` -1 means all
    trees. Output size and parameters are computed here, so the job is one native call; it
    returns ``(rows,)`` raw scores or ``(rows, features + 1)`` contributions.
    """
    matrix = np.ascontiguousarray(data, dtype=np.float64)
    if matrix.ndim != 2:
        raise ValueError(f"data: expected a 2-D matrix, got {matrix.ndim} dimension(s)")
    rows, columns = matrix.shape
    handle = booster._handle
    predict_type = ctypes.c_int(_KIND[kind])
    first, count = ctypes.c_int(0), ctypes.c_int(num_iteration)
    n_preds = ctypes.c_int64(0)
    size_call = basic._LIB.LGBM_BoosterCalcNumPredict
    basic._safe_call(size_call(handle, ctypes.c_int(rows), predict_type, first, count, ctypes.byref(n_preds)))
    out = np.empty(n_preds.value, dtype=np.float64)
    out_len = ctypes.c_int64(0)
    arguments = (
        matrix.ctypes.data_as(ctypes.POINTER(ctypes.c_double)),
        ctypes.c_int(basic._C_API_DTYPE_FLOAT64),
        ctypes.c_int32(rows),
        ctypes.c_int32(columns),
        ctypes.c_int(basic._C_API_IS_ROW_MAJOR),
        predict_type,
        first,
        count,
        basic._c_str(f"num_threads={num_threads}"),
        ctypes.byref(out_len),
        out.ctypes.data_as(ctypes.POINTER(ctypes.c_double)),
    )
    call = basic._LIB.LGBM_BoosterPredictForMat

    def run() -> np.ndarray:
        # ``booster``, ``matrix`` and ``out`` stay alive with this closure, so the handle and the
        # pointers stay valid even when nothing else holds the booster any more.
        basic._safe_call(call(booster._handle, *arguments))
        if out_len.value != out.size:
            raise RuntimeError(f"LightGBM wrote {out_len.value} predictions, expected {out.size}")
        return out if kind == "raw_score" else out.reshape(rows, -1)

    return run
