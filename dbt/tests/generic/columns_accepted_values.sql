{#- Every value of each column is one of its accepted values: one test node per model
    instead of one `accepted_values` node per column (each dbt test node has a fixed cost
    of dbt overhead whatever it checks).

    `columns` maps a column name to its list of accepted values, e.g.
        columns: {portal: [KPUM, MPI, BIP], priority: [1, 2, 3, 4]}
    A string value is compared as a quoted SQL string literal (quotes doubled); a YAML
    number or boolean is written as it is (what dbt's accepted_values does with
    `quote: false`), so list numbers for a numeric column and strings for a text column.
    NULL is not a failure (as in dbt's accepted_values; a `columns_not_null` test says
    whether NULLs are allowed).

    Returns one row per column and offending value, with how many rows hold it; the value
    is cast to a string so the columns can be stacked.

    Give each use a `name:` listing its columns, columns_accepted_values_<model>__<col>__…:
    dbt names a generic test after its argument values and leaves out a mapping's keys, so
    the default name would list the accepted values but not the columns (a failed build
    prints only node names). tests/test_dbt_rules.py checks that the names match. -#}
{% test columns_accepted_values(model, columns) %}
{%- if columns is not mapping or columns | length == 0 -%}
    {{ exceptions.raise_compiler_error(
        "columns_accepted_values on " ~ model ~ ": `columns` must map column names to "
        ~ "lists of accepted values, got " ~ columns) }}
{%- endif -%}
{%- for column, values in columns.items() %}
{%- if values is string or values is mapping or values is not iterable or values | length == 0 -%}
    {{ exceptions.raise_compiler_error(
        "columns_accepted_values on " ~ model ~ ": column " ~ column
        ~ " needs a non-empty list of accepted values, got " ~ values) }}
{%- endif %}
select
    '{{ column | replace("'", "''") }}' as column_name,
    cast({{ adapter.quote(column) }} as {{ dbt.type_string() }}) as value,
    count(*) as n_records
from {{ model }}
where {{ adapter.quote(column) }} is not null
  and {{ adapter.quote(column) }} not in (
    {%- for v in values -%}
        {%- if v is boolean -%}{{ "true" if v else "false" }}
        {%- elif v is number -%}{{ v }}
        {%- else -%}'{{ v | string | replace("'", "''") }}'
        {%- endif -%}
        {{- ", " if not loop.last -}}
    {%- endfor -%}
  )
group by {{ adapter.quote(column) }}
{% if not loop.last %}
union all
{% endif -%}
{%- endfor %}
{% endtest %}
