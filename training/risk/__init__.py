"""The backorder-risk classifiers: seed-averaged LightGBM boosters, calibration, cost threshold.

``model`` holds the estimator the service scores with (``BoosterClassifier``), ``train`` fits it
beside its baselines on ordered folds, ``calibration`` and ``threshold`` turn raw scores into
probabilities and alerts, ``metrics`` scores them, ``explanations`` renders TreeSHAP reasons and
``booster_calls`` runs LightGBM predictions as single native calls. The models' settings live in
``training.recipes``.
"""
