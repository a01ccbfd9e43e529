{#- Every non-NULL value of each foreign-key column is a key of its target (dbt's
    `relationships`, for several columns of a model in one test node instead of one node
    per column: each dbt test node has a fixed cost of dbt overhead whatever it checks).

    `relations` lists the foreign keys, each as dbt's relationships test has them:
        relations:
        - {column: requester_unit, to: "ref('org_units')", field: unit_code}
        - {column: final_group_code, to: "ref('org_units')", field: unit_code}
    dbt renders each `to` as it renders the `to` of `relationships` (the nested ref()
    becomes a dependency of the test node, so the test runs after its targets).

    Returns one row per column with orphans: the column, the target (model.field), how
    many rows hold an orphan value, and one of those values.

    Give each use a `name:` listing its columns, relationships_all_<model>__<col>__…
    (a failed build prints only node names); a test with another config (severity: warn,
    where) is a separate use. tests/test_dbt_rules.py checks the names. -#}
{% test relationships_all(model, relations) %}
{{- require_rule_list(relations, 'relationships_all', model, 'relations',
                      '{column, to, field}') -}}
{%- for r in relations -%}
    {%- if r is not mapping or not r.get('column') or not r.get('to') or not r.get('field') -%}
        {{ exceptions.raise_compiler_error(
            "relationships_all on " ~ model ~ ": each relation needs `column`, `to` and "
            ~ "`field`, got " ~ r) }}
    {%- endif -%}
{%- endfor %}
with child as (
    select * from {{ model }}
),
orphans as (
    {% for r in relations -%}
    {%- set to_name = r.to.identifier if r.to.identifier is defined and r.to.identifier else r.to | string -%}
    select
        '{{ r.column | replace("'", "''") }}' as column_name,
        '{{ (to_name ~ "." ~ r.field) | replace("'", "''") }}' as target,
        count(*) as orphan_rows,
        min(cast(c.{{ adapter.quote(r.column) }} as {{ dbt.type_string() }})) as orphan_example
    from child c
    where c.{{ adapter.quote(r.column) }} is not null
      and not exists (
        select 1 from {{ r.to }} p
        where p.{{ adapter.quote(r.field) }} = c.{{ adapter.quote(r.column) }}
      )
    {% if not loop.last %}union all
    {% endif -%}
    {%- endfor %}
)
select * from orphans
where orphan_rows > 0
{% endtest %}
