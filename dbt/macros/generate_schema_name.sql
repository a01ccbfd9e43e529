{#- Custom schema names are used as they are (staging, intermediate, marts, reference),
    so an analyst queries `marts.incident_sla`, not `main_marts.incident_sla`. -#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}
        {{ target.schema }}
    {%- else -%}
        {{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro %}
