-- raw_columns: the columns of every RAW table as the catalog declares them: those of its files (entrega, the month
--   of the delivery folder a row came in, is the catalog's, not the files').
-- Grain: one row per (table, column) of raw_db but entrega, in declaration order.
-- Input: information_schema.columns. Parameters: none.
select
    table_name as tabla,
    column_name as columna,
    data_type as tipo
from information_schema.columns
where table_schema = 'raw_db'
    and column_name <> 'entrega'
order by table_name, ordinal_position
