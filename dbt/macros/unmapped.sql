{#- Codes the reference data does not know (dbt/DECISIONS.md § 19). An importer without a
    mapping keeps a unit, IT service or KCK topic code it does not know as it comes
    (warehouse.loading.core.Staged.unmapped); such a code must show as unmapped in the
    dimensions (organisation_units, service_catalogue, topics), not vanish from joins. -#}

{#- SELECT code: every distinct code of reference set `ref_set` ('org_units',
    'it_services' or 'kck_topics', the REF_* of warehouse/contracts.py) that a column of any
    raw contract referencing it holds (dbt/macros/contracts.sql, generated from the
    contracts), less the codes `known` (SQL: a SELECT of the known codes). -#}
{% macro codes_in_raw(ref_set, known) -%}
    {%- set parts = [] -%}
    {%- for table in raw_contract_names() -%}
        {%- for column, ref in (raw_contract(table).get('refs') or {}).items() -%}
            {%- if ref == ref_set -%}
                {%- do parts.append('select ' ~ column ~ ' as code from '
                                    ~ source('raw', table) ~ ' where ' ~ column
                                    ~ ' is not null') -%}
            {%- endif -%}
        {%- endfor -%}
    {%- endfor -%}
    {%- if not parts -%}
        {{ exceptions.raise_compiler_error('codes_in_raw: no raw column references ' ~ ref_set) }}
    {%- endif -%}
    select distinct found.code
    from ({{ parts | join(' union all ') }}) as found
    where found.code not in ({{ known }})
{%- endmacro %}

{#- SELECT: a dimension over reference set `ref_set` (as codes_in_raw): the rows of
    `reference` (a relation or CTE) in `columns` (a list, the code first, then name_pl and
    name_en among them), is_mapped = true; then one row per code the raw data holds that
    `reference` does not, is_mapped = false: the code, named by unmapped_name, the SQL of
    `unmapped` (a dict column → SQL) for the columns it names, and NULL (a string) for the
    rest — the one shape organisation_units, topics and service_catalogue share. -#}
{% macro with_unmapped_codes(reference, ref_set, columns, unmapped={}) -%}
    {%- set code = columns[0] -%}
    select
        {%- for column in columns %}
        {{ column }},
        {%- endfor %}
        true as is_mapped
    from {{ reference }}
    union all
    select
        {%- for column in columns %}
        {%- if loop.first %}
        unknown.code as {{ column }},
        {%- elif column in ('name_pl', 'name_en') %}
        {{ unmapped_name('unknown.code', column[-2:]) }} as {{ column }},
        {%- elif column in unmapped %}
        {{ unmapped[column] }} as {{ column }},
        {%- else %}
        cast(null as {{ dbt.type_string() }}) as {{ column }},
        {%- endif %}
        {%- endfor %}
        false as is_mapped
    from ({{ codes_in_raw(ref_set, 'select ' ~ code ~ ' from ' ~ reference) }}) as unknown
{%- endmacro %}

{#- SQL: the label of an unmapped code in language `lang` ('pl' or 'en'): the var
    unmapped_label, which holds the dashboards' catalogue message `unmapped_code` of each
    language ("niezmapowane: {code}"; tests/test_i18n.py keeps them equal). -#}
{% macro unmapped_name(code, lang) -%}
    {%- set template = var('unmapped_label')[lang] -%}
    {%- set before, after = template.split('{code}') -%}
    {{ dbt.concat(["'" ~ before ~ "'", code, "'" ~ after ~ "'"]) }}
{%- endmacro %}
