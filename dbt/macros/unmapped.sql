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

{#- SQL: the label of an unmapped code in language `lang` ('pl' or 'en'): the var
    unmapped_label, which holds the dashboards' catalogue message `unmapped_code` of each
    language ("niezmapowane: {code}"; tests/test_i18n.py keeps them equal). -#}
{% macro unmapped_name(code, lang) -%}
    {%- set template = var('unmapped_label')[lang] -%}
    {%- set before, after = template.split('{code}') -%}
    {{ dbt.concat(["'" ~ before ~ "'", code, "'" ~ after ~ "'"]) }}
{%- endmacro %}
