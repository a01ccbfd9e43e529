{#- The build that wrote a row: warehouse.build sets CITYOPS_BUILD_ID for each build (read
    only when dbt executes, like as_of: a new value must not make dbt re-parse). The
    incremental models stamp every row they write with it, as `_build_id`. -#}
{% macro build_id() -%}
    {%- if execute -%}
    '{{ env_var("CITYOPS_BUILD_ID", "manual") }}'
    {%- else -%}
    'parse'
    {%- endif -%}
{%- endmacro %}

{#- dbt wraps the model a generic data test reads in this macro (dbt's own version applies
    the test's `where` config). For a model with meta `tests_read_rows_of_this_build`
    (the incremental models), the tests read only the rows this build wrote: a daily build
    then tests its day, not five years again, and a full refresh — every row written by
    it — still tests everything. That is complete for the row-level tests (not_null,
    accepted values, relationships, expressions) and for keys: with delete+insert on the
    unique key, a duplicate can only come from the rows written now. A test that needs
    the whole table (a row count against another model) sets meta `whole_table: true`. -#}
{% macro get_where_subquery(relation) -%}
    {%- set where = config.get('where', '') -%}
    {%- set tested = graph.nodes.get(model.attached_node) if model.attached_node else none -%}
    {%- if tested is not none
          and tested.config.meta.get('tests_read_rows_of_this_build')
          and not config.get('meta', {}).get('whole_table') -%}
        {%- set this_build = '_build_id = ' ~ build_id() -%}
        {%- set where = '(' ~ where ~ ') and ' ~ this_build if where else this_build -%}
    {%- endif -%}
    {%- if where -%}
        {%- do return('(select * from ' ~ relation ~ ' where ' ~ where ~ ') dbt_subquery') -%}
    {%- else -%}
        {%- do return(relation) -%}
    {%- endif -%}
{%- endmacro %}
