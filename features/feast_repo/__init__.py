"""Feast declarations of Backorder Radar (entities, sources, feature views, feature services).

Declarations only: ``features.feature_store`` applies them from Python, so nothing here touches a
store, and the generated repository folder holds no Python for ``feast apply`` to import.
"""
