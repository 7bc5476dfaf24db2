"""Observatoire de l'attractivité: the indicator library (no Streamlit here)."""
