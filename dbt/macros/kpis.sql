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

{#- SELECT: the additive parts of share KPIs of one mart, per month and breakdown: for each
    (kpi_code, flag) of `kpis`, the rows of `relation` (with a month_start) grouped by
    month and `breakdown` (SQL with its alias), numerator the rows `flag` holds for,
    denominator every row. -#}
{% macro kpi_share_parts(relation, kpis, breakdown) -%}
    {%- for kpi_code, flag in kpis %}
    {%- if not loop.first %}
    union all
    {%- endif %}
    select
        month_start,
        '{{ kpi_code }}' as kpi_code,
        {{ breakdown }},
        count(*) filter (where {{ flag }}) as numerator,
        count(*) as denominator
    from {{ relation }}
    group by 1, 2, 3
    {%- endfor %}
{%- endmacro %}

{#- SELECT: the rows of kpi_values from `relation` (month_start, kpi_code, numerator,
    denominator) for breakdown `breakdown` (a name), its value `breakdown_value` (SQL);
    numerator and denominator as DOUBLEs. -#}
{% macro kpi_parts(relation, breakdown, breakdown_value) -%}
    select
        month_start,
        kpi_code,
        '{{ breakdown }}' as breakdown,
        {{ breakdown_value }} as breakdown_value,
        cast(numerator as double) as numerator,
        cast(denominator as double) as denominator
    from {{ relation }}
{%- endmacro %}

{#- SELECT: the rows of `relation` (month_start, kpi_code and, for a breakdown other than
    'all', `breakdown_value`: SQL) with the KPI's definition in force in the month
    (int_kpi_definitions; a row without one is dropped) — display_order, name_pl, name_en,
    unit, direction, kind — and its target and warning band of breakdown `breakdown` in
    force then (int_kpi_targets; NULL without one). The one join director_kpis and
    director_kpis_by_priority judge their values with. -#}
{% macro kpi_rules_in_force(relation, breakdown, breakdown_value=none) -%}
    select
        {{ relation }}.*,
        definitions.display_order,
        definitions.name_pl,
        definitions.name_en,
        definitions.unit,
        definitions.direction,
        definitions.kind,
        targets.target,
        targets.warning
    from {{ relation }}
    inner join {{ ref('int_kpi_definitions') }} as definitions
        on {{ relation }}.kpi_code = definitions.kpi_code
        and {{ in_force_on('definitions', relation ~ '.month_start') }}
    left join {{ ref('int_kpi_targets') }} as targets
        on {{ relation }}.kpi_code = targets.kpi_code
        and targets.breakdown = '{{ breakdown }}'
        {%- if breakdown_value is not none %}
        and {{ breakdown_value }} = targets.breakdown_value
        {%- endif %}
        and {{ in_force_on('targets', relation ~ '.month_start') }}
{%- endmacro %}

{#- A registry row (with valid_from and valid_until, exclusive, NULL = still in force) is
    in force on `day`. -#}
{% macro in_force_on(row, day) -%}
    ({{ day }} >= {{ row }}.valid_from
     and ({{ day }} < {{ row }}.valid_until or {{ row }}.valid_until is null))
{%- endmacro %}

{#- The verdict of a KPI value against its target and warning band, in its direction:
    'on_target', 'warning' (missed, within the band), 'off_target'; NULL without a value or
    a target. Taken on the unrounded value: the pages show it with the precision that
    decides it. -#}
{% macro target_status(value, target, warning, direction) -%}
    case
        when {{ value }} is null or {{ target }} is null then null
        when {{ direction }} = 'higher_is_better' and {{ value }} >= {{ target }}
            then 'on_target'
        when {{ direction }} = 'lower_is_better' and {{ value }} <= {{ target }}
            then 'on_target'
        when {{ warning }} is not null and {{ direction }} = 'higher_is_better'
            and {{ value }} >= {{ warning }} then 'warning'
        when {{ warning }} is not null and {{ direction }} = 'lower_is_better'
            and {{ value }} <= {{ warning }} then 'warning'
        else 'off_target'
    end
{%- endmacro %}

{#- The worse of two verdicts (NULL counts as no verdict). -#}
{% macro worse_status(a, b) -%}
    case
        when {{ a }} = 'off_target' or {{ b }} = 'off_target' then 'off_target'
        when {{ a }} = 'warning' or {{ b }} = 'warning' then 'warning'
        else coalesce({{ a }}, {{ b }})
    end
{%- endmacro %}

{#- Whether a month-on-month change of a KPI is more than noise (the overview colours only
    those): for a ratio, a two-proportion z-test at 95 % (|z| ≥ 1.96) on the two months'
    numerators and denominators; for a mean or a count, a move of at least 5 % of the
    previous value (and at least 1 for a count). NULL without both months. -#}
{% macro is_change_notable(kind, n1, d1, n0, d0) -%}
    case
        when {{ kind }} = 'ratio' then
            case
                when {{ d1 }} > 0 and {{ d0 }} > 0
                    and ({{ n1 }} + {{ n0 }}) > 0 and ({{ n1 }} + {{ n0 }}) < ({{ d1 }} + {{ d0 }})
                    then abs({{ n1 }} / {{ d1 }} - {{ n0 }} / {{ d0 }}) / sqrt(
                        (({{ n1 }} + {{ n0 }}) / ({{ d1 }} + {{ d0 }}))
                        * (1 - ({{ n1 }} + {{ n0 }}) / ({{ d1 }} + {{ d0 }}))
                        * (1 / {{ d1 }} + 1 / {{ d0 }})
                    ) >= 1.96
                when {{ d1 }} > 0 and {{ d0 }} > 0 then false
            end
        when {{ kind }} = 'mean' then
            case
                when {{ d1 }} > 0 and {{ d0 }} > 0 and {{ n0 }} != 0
                    then abs({{ n1 }} / {{ d1 }} - {{ n0 }} / {{ d0 }})
                    >= 0.05 * abs({{ n0 }} / {{ d0 }})
                when {{ d1 }} > 0 and {{ d0 }} > 0 then {{ n1 }} != 0
            end
        when {{ kind }} = 'count' then
            case
                when {{ n1 }} is not null and {{ n0 }} is not null
                    then abs({{ n1 }} - {{ n0 }}) >= greatest(1, 0.05 * abs({{ n0 }}))
            end
    end
{%- endmacro %}

{#- A KPI's score against its target, CityScore-style: value / target when higher is better,
    target / value when lower is better (a lower-is-better value of 0 scores the cap),
    capped at var('kpi_score_cap') — 1 is on target, below 1 short of it; NULL without a
    value or a target. -#}
{% macro kpi_score(value, target, direction) -%}
    case
        when {{ value }} is null or {{ target }} is null or {{ target }} <= 0 then null
        when {{ direction }} = 'higher_is_better'
            then least({{ var('kpi_score_cap') }}, {{ value }} / {{ target }})
        when {{ value }} <= 0 then {{ var('kpi_score_cap') }}
        else least({{ var('kpi_score_cap') }}, {{ target }} / {{ value }})
    end
{%- endmacro %}

{#- The rows of its source mart a KPI counts (seeds/kpi_definitions.csv, `scope`), as a
    condition on a row `relation` of that mart; `scope` is SQL (the registry's column):
      all                 — every row;
      electronic_channels — DK-03's work: the submissions that came through an electronic
                            channel (is_electronic: portal, email, mobile_app, epuap), not
                            reports by phone, in person, by letter or from staff.
    A scope this macro does not know counts nothing (and the seed's accepted values test
    fails first). -#}
{% macro kpi_in_scope(scope, relation) -%}
    coalesce(case {{ scope }}
        when 'all' then true
        when 'electronic_channels' then {{ relation }}.is_electronic
    end, false)
{%- endmacro %}
