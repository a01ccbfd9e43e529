{#- Fails on every row where `expression` is not true (NULL counts as a failure only when
    `null_is_failure`); written here because dbt packages (dbt_utils) are not installed. -#}
{% test expression_is_true(model, expression, column_name=None, null_is_failure=false) %}
select *
from {{ model }}
where {% if null_is_failure %}not coalesce({{ expression }}, false){% else %}not ({{ expression }}){% endif %}
{% endtest %}
