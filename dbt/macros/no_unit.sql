{#- "No unit" (var no_unit, DECISIONS.md § 13): the rows no unit holds — an incident no
    assignment group ever held, a submission not yet forwarded — have one code in every
    mart with a unit or group column, and a name the marts carry. -#}

{#- SQL: the code of no unit, a string literal ('(none)'). -#}
{% macro no_unit_code() -%}
    '{{ var("no_unit")["code"] }}'
{%- endmacro %}

{#- SQL: `unit_code` or, when it is NULL, the code of no unit. -#}
{% macro or_no_unit(unit_code) -%}
    coalesce({{ unit_code }}, {{ no_unit_code() }})
{%- endmacro %}

{#- SQL: the name in language `lang` ('pl' or 'en') of the unit `unit_code`: `name` (SQL,
    the unit's name from organisation_units), or for no unit its name ("bez jednostki" /
    "no unit"). -#}
{% macro unit_name_or_no_unit(unit_code, name, lang) -%}
    case
        when {{ unit_code }} = {{ no_unit_code() }} then '{{ var("no_unit")[lang] }}'
        else {{ name }}
    end
{%- endmacro %}
