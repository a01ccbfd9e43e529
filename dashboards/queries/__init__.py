"""SQL and KPI logic of the dashboards: plain functions over a DuckDB connection that return
polars frames. They read ``marts.*`` only; pytest calls them without Streamlit."""
