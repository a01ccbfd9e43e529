{#- The formula of a director KPI (seeds/kpi_definitions.csv, `kind`): its value from its
    additive parts, the one definition every mart and page computes a KPI with. Sum the
    parts of any slice (months, units, priorities), then apply it:
      ratio — a share: 100 · numerator / denominator (none without a denominator);
      mean  — numerator / denominator (a total over a count, e.g. seconds of wait over
              answered calls);
      count — the numerator (0 when nothing was counted).
    kpi_value(kind, n, d) takes SQL for the three (kind a column or a quoted literal);
    kpi_formula_sql(kind) is the same formula as text over columns named numerator and
    denominator, which marts.kpis hands to the dashboards' query layer. -#}

{% macro kpi_kinds() -%}
    {{ return(['ratio', 'mean', 'count']) }}
{%- endmacro %}

{% macro kpi_formula(kind, numerator, denominator) -%}
    {%- if kind == 'ratio' -%}
    {{ pct(numerator, denominator) }}
    {%- elif kind == 'mean' -%}
    case when ({{ denominator }}) > 0 then ({{ numerator }}) / ({{ denominator }}) end
    {%- elif kind == 'count' -%}
    coalesce({{ numerator }}, 0)
    {%- else -%}
    {{ exceptions.raise_compiler_error("kpi_formula: no formula for kind " ~ kind) }}
    {%- endif -%}
{%- endmacro %}

{% macro kpi_value(kind, numerator, denominator) -%}
    case {{ kind }}
        {%- for k in kpi_kinds() %}
        when '{{ k }}' then {{ kpi_formula(k, numerator, denominator) }}
        {%- endfor %}
    end
{%- endmacro %}

{% macro kpi_formula_sql(kind) -%}
    case {{ kind }}
        {%- for k in kpi_kinds() %}
        when '{{ k }}' then '{{ kpi_formula(k, "numerator", "denominator") | replace("'", "''") }}'
        {%- endfor %}
    end
{%- endmacro %}

{#- A registry row (with valid_from and valid_until, exclusive, NULL = still in force) is
    in force on `day`. -#}
{% macro in_force_on(row, day) -%}
    ({{ day }} >= {{ row }}.valid_from
     and ({{ day }} < {{ row }}.valid_until or {{ row }}.valid_until is null))
{%- endmacro %}
