-- raw_columns: the columns of every RAW table as the catalog declares them.
-- Grain: one row per (table, column) of raw_db, in declaration order.
-- Input: information_schema.columns. Parameters: none.
select
    table_name as tabla,
    column_name as columna,
    data_type as tipo
from information_schema.columns
where table_schema = 'raw_db'
order by table_name, ordinal_position
