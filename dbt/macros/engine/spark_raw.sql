{#- on-run-start: on Spark, the raw layer of the build (exported from the DuckDB warehouse
    as one Parquet directory per raw table by warehouse.build.spark, in the directory the
    environment variable CITYOPS_SPARK_RAW names) becomes the tables of the `raw` database
    that the sources name. Nothing on DuckDB, where raw is in the warehouse file. -#}
{% macro register_raw_parquet() %}
    {%- if execute and target.type == 'spark' -%}
        {%- set raw_dir = env_var('CITYOPS_SPARK_RAW', '') -%}
        {%- if not raw_dir -%}
            {{ exceptions.raise_compiler_error(
                "CITYOPS_SPARK_RAW is not set: build on Spark with `cityops build --engine spark`") }}
        {%- endif -%}
        {%- do run_query('create database if not exists raw') -%}
        {%- for source in graph.sources.values() if source.source_name == 'raw' -%}
            {%- do run_query('drop table if exists raw.' ~ source.name) -%}
            {%- do run_query('create table raw.' ~ source.name ~ ' using parquet location '
                             ~ "'" ~ raw_dir ~ '/' ~ source.name ~ "'") -%}
        {%- endfor -%}
    {%- endif -%}
{% endmacro %}
