"""The yardstick of benchmarks/settle.py: a Streamlit page with nothing but a title, served
the same way as the dashboards (warehouse.serve.streamlit_command)."""

import streamlit as st

st.set_page_config(page_title="CityOps", layout="wide")
st.title("CityOps")
