{#- on-run-end: drop the tables and views in the project's own schemas (staging,
    intermediate, marts, reference) that no model or seed of the project builds any more
    — a renamed or deleted model — so that readers never see a stale mart beside its
    successor. dbt leaves them behind by design ("How do I remove deleted models", dbt
    FAQ); the raw schema holds sources, which no model builds, and is never touched. The
    relations are dropped through the adapter (its own DROP for each engine) and committed
    (dbt rolls the hook's connection back after it); the hook itself has no SQL. -#}
{% macro drop_relations_not_in_project() %}
    {#- a Spark build is a full build into a new metastore: nothing stale to drop -#}
    {%- if execute and target.type != 'spark' -%}
        {%- set dropped = [] -%}
        {%- set built = [] -%}
        {%- set schemas = [] -%}
        {%- for node in graph.nodes.values()
                if node.resource_type in ('model', 'seed', 'snapshot')
                and node.config.materialized != 'ephemeral' -%}
            {%- set schema = (node.database ~ '.' ~ node.schema) | lower -%}
            {%- do built.append(schema ~ '.' ~ (node.alias or node.name) | lower) -%}
            {%- if schema not in schemas -%}{%- do schemas.append(schema) -%}{%- endif -%}
        {%- endfor -%}
        {%- for schema in schemas -%}
            {%- set database, schema_name = schema.split('.') -%}
            {%- set schema_relation = api.Relation.create(database=database,
                                                          schema=schema_name) -%}
            {%- for row in list_relations_without_caching(schema_relation) -%}
                {%- set relation = api.Relation.create(database=row['database'],
                                                       schema=row['schema'],
                                                       identifier=row['name'],
                                                       type=row['type']) -%}
                {%- set name = (schema ~ '.' ~ row['name']) | lower -%}
                {%- if name not in built and not row['name'].endswith('__dbt_tmp') -%}
                    {%- do log('dropping ' ~ relation ~ ': no model of the project builds it',
                               info=true) -%}
                    {%- do adapter.drop_relation(relation) -%}
                    {%- do dropped.append(relation) -%}
                {%- endif -%}
            {%- endfor -%}
        {%- endfor -%}
        {%- if dropped -%}{%- do adapter.commit() -%}{%- endif -%}
    {%- endif -%}
{% endmacro %}
