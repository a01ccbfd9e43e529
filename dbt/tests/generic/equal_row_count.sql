{#- The model has exactly as many rows as `compare_model` (e.g. incident_sla vs raw tickets). -#}
{% test equal_row_count(model, compare_model) %}
with a as (select count(*) as n from {{ model }}),
     b as (select count(*) as n from {{ compare_model }})
select a.n as model_rows, b.n as compare_rows
from a cross join b
where a.n != b.n
{% endtest %}
