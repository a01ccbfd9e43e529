"""A yardstick of benchmarks/settle.py: a title and one small bar chart, drawn with Plotly
(``?chart=one_plotly_chart``, as every dashboard chart is) or with Vega-Lite (Streamlit's
own ``st.vega_lite_chart``), served the same way as the dashboards. Beside the empty page
it shows what a chart library alone costs a new tab."""

import plotly.graph_objects as go
import streamlit as st

st.set_page_config(page_title="CityOps", layout="wide")
st.title("CityOps")
values = {"miesiąc": ["2026-01", "2026-02", "2026-03"], "liczba": [3, 1, 2]}
if st.query_params.get("chart") == "one_vega_lite_chart":
    st.vega_lite_chart(
        {"data": {"values": [dict(zip(values, row, strict=True))
                             for row in zip(*values.values(), strict=True)]},
         "mark": "bar",
         "encoding": {"x": {"field": "miesiąc", "type": "ordinal"},
                      "y": {"field": "liczba", "type": "quantitative"}}},
        width="stretch")
else:
    st.plotly_chart(go.Figure(go.Bar(x=values["miesiąc"], y=values["liczba"])),
                    width="stretch")
