"""Streamlit glue shared by the pages: connection, URL state, widgets. The library stays Streamlit-free."""
