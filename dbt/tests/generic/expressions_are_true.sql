{#- Each of `expressions` is true on every row: one test node per model instead of one
    `expression_is_true` node per rule (each dbt test node has a fixed cost of dbt
    overhead whatever it checks), and one scan of the model.

    `expressions` is a list of SQL boolean expressions over the model's columns, e.g.
        expressions:
        - answered + abandoned = offered
        - hour between 0 and 23
    A row fails an expression where it is false; NULL is not a failure unless the item is
    written as a mapping with `null_is_failure: true`:
        - {expression: "days_late >= 0", null_is_failure: true}

    Returns one row per failing expression: its text and how many rows fail it.

    Give each use a `name:`, expressions_are_true_<model> (dbt would name it after the
    expressions, hashed when long); a model has one such test per config (severity,
    where). tests/test_dbt_rules.py checks both. -#}
{% test expressions_are_true(model, expressions) %}
{{- require_rule_list(expressions, 'expressions_are_true', model, 'expressions',
                      'SQL boolean expressions') -}}
{%- set checks = [] -%}
{%- for item in expressions -%}
    {%- if item is mapping -%}
        {%- set expression, null_is_failure = item.get('expression'), item.get('null_is_failure', false) -%}
    {%- else -%}
        {%- set expression, null_is_failure = item, false -%}
    {%- endif -%}
    {%- if expression is not string or expression | trim == '' -%}
        {{ exceptions.raise_compiler_error(
            "expressions_are_true on " ~ model ~ ": each item must be an SQL expression or "
            ~ "a mapping {expression: ..., null_is_failure: ...}, got " ~ item) }}
    {%- endif -%}
    {%- do checks.append((expression, null_is_failure)) -%}
{%- endfor %}
with counted as (
    select
        {% for expression, null_is_failure in checks -%}
        count(*) filter (where {% if null_is_failure %}not coalesce({{ expression }}, false){% else %}not ({{ expression }}){% endif %}) as failing_{{ loop.index }}{{ "," if not loop.last }}
        {% endfor %}
    from {{ model }}
)
{% for expression, null_is_failure in checks -%}
select '{{ expression | replace("'", "''") }}' as expression, failing_{{ loop.index }} as failing_rows
from counted
where failing_{{ loop.index }} > 0
{% if not loop.last %}union all
{% endif -%}
{%- endfor %}
{% endtest %}
