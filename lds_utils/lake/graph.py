"""The relation graph: what each SQL file builds, declared beside its SQL, and the order derived from what it reads.

Every file under ``sql/<layer>/`` carries one ``-- Build:`` line in its header:

    -- Build: table                                    a table, rewritten whole
    -- Build: view                                     a view (no data of its own)
    -- Build: table partitioned by anio_mes            a table of months; a run of some months replaces only those
    -- Build: table partitioned by entrega             a table of RAW deliveries (of one RAW table); a run that
                                                       loads new deliveries adds their partitions only, computed by
                                                       its incremental SELECT or by its own SELECT bound to them
    -- Build: ..., sliced by supply                    computed in slices of supplies on an engine that computes so
    -- Build: ..., incremental                         has a second SELECT, <name>_incremental.sql, that computes one
                                                       month from the relation's own published earlier months
    -- Build: ..., on request                          built only when asked for by name (the alertas command),
                                                       never by a pipeline run
    -- Build: ephemeral                                never stored: inlined as CTEs into the statements reading it
    -- Build: incremental of <relation>                the incremental SELECT of <relation>

The tables a SELECT reads are found by parsing it (sqlglot); ``build_order()`` sorts the relations so that each
comes after every relation it reads. A relation read but declared nowhere, a cycle, or a full SELECT that reads its
own relation is an error. RAW tables (``raw_db``) are the graph's sources: the engine registers them.
"""

from __future__ import annotations

import heapq
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from sqlglot import exp

from lds_utils.config import DATABASES, LAYERS, SQL_ROOT, period_from_index
from lds_utils.lake import sql as sqlmod

PARTITION_COLUMN = "anio_mes"
DELIVERY_COLUMN = "entrega"
RAW_DATABASE = DATABASES["raw"]
INCREMENTAL_SUFFIX = "_incremental"
_BUILD_LINE = re.compile(r"^-- Build: (.+)$", re.MULTILINE)
_KINDS = ("table", "view", "ephemeral")
_OPTIONS = {
    f"partitioned by {PARTITION_COLUMN}": "partitioned",
    f"partitioned by {DELIVERY_COLUMN}": "by_delivery",
    "sliced by supply": "sliced",
    "incremental": "incremental",
    "on request": "on_request",
}
_INCREMENTAL_OF = re.compile(r"incremental of ([a-z][a-z0-9_]*)")


class GraphError(ValueError):
    """The SQL files do not form a valid graph (bad declaration, unknown relation, cycle)."""


@dataclass(frozen=True)
class Relation:
    """One relation of the lake and how it is built."""

    name: str
    layer: str
    kind: str
    reads: frozenset[str]
    partitioned: bool = False
    sliced: bool = False
    incremental: bool = False
    on_request: bool = False
    by_delivery: bool = False

    @property
    def partition_column(self) -> str | None:
        return PARTITION_COLUMN if self.partitioned else DELIVERY_COLUMN if self.by_delivery else None

    @property
    def database(self) -> str:
        return f"{self.layer}_db"

    @property
    def incremental_file(self) -> str:
        return f"{self.name}{INCREMENTAL_SUFFIX}"


def parse_build(text: str, source: str = "SQL") -> dict:
    """The declaration of one SQL file's ``-- Build:`` line: {"kind": ..., option: True, ...}."""
    found = _BUILD_LINE.findall(text)
    if len(found) != 1:
        raise GraphError(f"{source}: expected one '-- Build:' line in the header, found {len(found)}")
    clauses = [clause.strip() for clause in found[0].split(",")]
    incremental_of = _INCREMENTAL_OF.fullmatch(clauses[0])
    if incremental_of:
        if len(clauses) > 1:
            raise GraphError(f"{source}: an incremental SELECT takes its options from {incremental_of.group(1)}")
        return {"kind": "incremental", "of": incremental_of.group(1)}
    kind, _, first_option = clauses[0].partition(" ")
    if kind not in _KINDS:
        raise GraphError(f"{source}: the build must start with one of {', '.join(_KINDS)} (got {clauses[0]!r})")
    declared = {"kind": kind}
    for clause in [first_option, *clauses[1:]] if first_option else clauses[1:]:
        if clause not in _OPTIONS:
            raise GraphError(f"{source}: unknown build option {clause!r} (known: {', '.join(_OPTIONS)})")
        declared[_OPTIONS[clause]] = True
    if declared["kind"] != "table" and len(declared) > 1:
        raise GraphError(f"{source}: only a table takes build options")
    if declared.get("partitioned") and declared.get("by_delivery"):
        raise GraphError(f"{source}: a table is partitioned by one column")
    if set(declared) - {"kind", "partitioned", "on_request", "by_delivery", "incremental"} and not declared.get(
            "partitioned"):
        raise GraphError(f"{source}: slices need a table partitioned by {PARTITION_COLUMN}")
    if declared.get("incremental") and not (declared.get("partitioned") or declared.get("by_delivery")):
        raise GraphError(f"{source}: an incremental build needs a partitioned table")
    return declared


def tables_read(sql: str) -> set[str]:
    """The relations a statement reads, by name: its database-qualified tables but RAW's (the graph's sources); CTEs
    are not relations."""
    tree = sqlmod.parsed(sql)
    return {table.name for table in tree.find_all(exp.Table) if table.db and table.db != RAW_DATABASE}


def sql_files(root: Path = SQL_ROOT) -> list[Path]:
    """The SQL files of the lake's layers (sql/report/ holds the notebooks' queries, which build nothing)."""
    return sorted(path for path in root.glob("*/*.sql") if path.parent.name in LAYERS)


@lru_cache(maxsize=None)
def load_graph(root: Path = SQL_ROOT) -> dict[str, Relation]:
    """Every relation declared under root: the built ones in build order, then the ephemeral ones."""
    declared, sources, incremental = _read_declarations(root)
    relations = {}
    for name, (layer, build) in declared.items():
        reads = _resolve_reads(name, sources, declared)
        if name in incremental:  # what the incremental SELECT reads besides the relation's own earlier months
            reads |= _resolve_reads(name, {**sources, name: incremental[name] - {name}}, declared)
        options = {key: value for key, value in build.items() if key != "kind"}
        relations[name] = Relation(name, layer, build["kind"], frozenset(reads), **options)
    ephemeral = [name for name, relation in relations.items() if relation.kind == "ephemeral"]
    return {name: relations[name] for name in [*_topological(relations), *ephemeral]}


def _read_declarations(root: Path) -> tuple[dict, dict, dict]:
    """(name -> (layer, declaration), name -> relations its SELECT reads, name -> relations its incremental SELECT
    reads) of every SQL file under root."""
    declared, sources, incremental = {}, {}, {}
    for path in sql_files(root):
        text = path.read_text(encoding="utf-8")
        build = parse_build(text, f"{path.parent.name}/{path.name}")
        if build["kind"] == "incremental":
            if path.stem != build["of"] + INCREMENTAL_SUFFIX:
                raise GraphError(f"{path.name}: the incremental SELECT of {build['of']} must be "
                                 f"{build['of']}{INCREMENTAL_SUFFIX}.sql")
            incremental[build["of"]] = tables_read(text)
            continue
        if path.parent.name not in LAYERS or path.stem in declared:
            raise GraphError(f"{path}: a relation is one file, in one layer folder ({', '.join(LAYERS)})")
        declared[path.stem] = (path.parent.name, build)
        sources[path.stem] = tables_read(text)
    for name in incremental:
        if name not in declared or not declared[name][1].get("incremental"):
            raise GraphError(f"{name}{INCREMENTAL_SUFFIX}.sql: {name} is not declared incremental")
    for name, (_, build) in declared.items():
        if build.get("incremental") and name not in incremental:
            raise GraphError(f"{name} is declared incremental but {name}{INCREMENTAL_SUFFIX}.sql does not exist")
    return declared, sources, incremental


def build_order(root: Path = SQL_ROOT) -> list[Relation]:
    """The relations a run builds (tables and views), each after every relation it reads."""
    return [relation for relation in load_graph(root).values() if relation.kind != "ephemeral"]


def _resolve_reads(name: str, sources: dict[str, set[str]], declared: dict, seen: tuple = ()) -> set[str]:
    """What a relation reads, RAW excluded, with the reads of the ephemeral relations it inlines."""
    reads = set()
    for read in sources[name]:
        if read == name:
            raise GraphError(f"{name} reads itself: only its incremental SELECT may read its earlier months")
        if read not in declared:
            raise GraphError(f"{name} reads {read}, which no SQL file declares")
        if declared[read][1]["kind"] == "ephemeral":
            if read in seen:
                raise GraphError(f"cycle of ephemeral relations: {' -> '.join((*seen, read))}")
            reads |= _resolve_reads(read, sources, declared, (*seen, read))
        else:
            reads.add(read)
    return reads


def _topological(relations: dict[str, Relation]) -> list[str]:
    """Stored relations and views in build order: after what they read; among ready ones, by layer, then name."""
    built = {name: relation for name, relation in relations.items() if relation.kind != "ephemeral"}
    waiting = {name: set(relation.reads) for name, relation in built.items()}
    rank = {layer: index for index, layer in enumerate(LAYERS)}
    ready = [(rank[built[name].layer], name) for name, reads in waiting.items() if not reads]
    heapq.heapify(ready)
    order = []
    while ready:
        _, name = heapq.heappop(ready)
        order.append(name)
        for other, reads in waiting.items():
            if name in reads:
                reads.discard(name)
                if not reads:
                    heapq.heappush(ready, (rank[built[other].layer], other))
    stuck = sorted(set(built) - set(order))
    if stuck:
        raise GraphError(f"the SQL files read each other in a cycle: {', '.join(stuck)}")
    return order


@lru_cache(maxsize=None)
def statement(name: str, incremental: bool = False, root: Path = SQL_ROOT) -> str:
    """The Trino statement that builds a relation: its SQL file as written, with the ephemeral relations it reads
    inlined as CTEs (placed first, so they read as they did inside one file)."""
    graph = load_graph(root)
    relation = graph[name]
    file = relation.incremental_file if incremental else name
    return _inline_ephemeral(_read(root, relation.layer, file), root)


def _inline_ephemeral(text: str, root: Path) -> str:
    ephemeral = {table.name for table in sqlmod.parsed(text).find_all(exp.Table)
                 if table.db and _is_ephemeral(table.name, root)}
    if not ephemeral:
        return text
    tree = sqlmod.parse_trino(text)
    ctes = []
    for name in sorted(ephemeral):
        inlined = sqlmod.parsed(_inline_ephemeral(_ephemeral_text(name, root), root))
        ctes += [cte.copy() for cte in inlined.ctes]
        body = inlined.copy()
        body.set("with_", None)
        ctes.append(exp.CTE(this=body, alias=exp.TableAlias(this=exp.to_identifier(name))))
    own = tree.ctes
    clash = {cte.alias for cte in ctes} & {cte.alias for cte in own}
    if clash:
        raise GraphError(f"CTE names shared with an inlined ephemeral relation: {', '.join(sorted(clash))}")
    for table in list(tree.find_all(exp.Table)):
        if table.db and table.name in ephemeral:
            table.set("db", None)
    tree.set("with_", exp.With(expressions=[*ctes, *own]))
    return tree.sql(dialect="trino", pretty=True)


def _is_ephemeral(name: str, root: Path) -> bool:
    relation = load_graph(root).get(name)
    return relation is not None and relation.kind == "ephemeral"


def _ephemeral_text(name: str, root: Path) -> str:
    return _read(root, load_graph(root)[name].layer, name)


def _read(root: Path, layer: str, file: str) -> str:
    return (root / sqlmod.check_identifier(layer) / f"{sqlmod.check_identifier(file)}.sql").read_text(encoding="utf-8")


def raw_source(name: str, root: Path = SQL_ROOT) -> str:
    """The one RAW table a table of deliveries is built from: what its statement reads from raw_db, or the RAW
    source of the tables of deliveries it reads."""
    tree = sqlmod.parsed(statement(name, root=root))
    raw = {table.name for table in tree.find_all(exp.Table) if table.db == RAW_DATABASE}
    graph = load_graph(root)
    raw |= {raw_source(read, root) for read in graph[name].reads if graph[read].by_delivery}
    if len(raw) != 1:
        raise GraphError(f"{name} is partitioned by {DELIVERY_COLUMN}: it must read one RAW table, not {sorted(raw)}")
    return raw.pop()


def month_calendar(desde: str) -> dict:
    """The months a statement's look-backs start from, computed once from :desde and bound as parameters:
    :mes_anterior (the month before), :inicio_historia (the same month a year before, the 12-month history's
    start) and :indice_desde (year x 12 + month, as the SQL numbers months). desde may be '0000-01', the start of
    a run of every month: its look-backs then lie before every month (a year below 0 sorts first)."""
    year, month = int(desde[:4]), int(desde[5:7])
    index = year * 12 + month - 1
    return {"mes_anterior": period_from_index(index - 1), "inicio_historia": period_from_index(index - 12),
            "indice_desde": index + 1}


def month_parameters(desde: str, hasta: str) -> dict:
    """:desde, :hasta and the month calendar of :desde."""
    return {"desde": desde, "hasta": hasta, **month_calendar(desde)}
