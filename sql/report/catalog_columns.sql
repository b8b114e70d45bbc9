-- catalog_columns: the columns of every relation of the four databases, for the data dictionary.
-- Grain: one row per (database, relation, column).
-- Input: information_schema.columns. Parameters: none.
-- DuckDB's views read the BRONZE code columns as ENUM (lds_utils.engines.CODED_COLUMNS); the tables hold text.
select
    table_schema as base_datos,
    table_name as tabla,
    column_name as columna,
    case when data_type like 'ENUM(%' then 'VARCHAR' else data_type end as tipo,
    ordinal_position as posicion
from information_schema.columns
where table_schema in ('raw_db', 'bronze_db', 'silver_db', 'gold_db')
order by table_schema, table_name, ordinal_position
