"""The lake: RAW contract and checks, the SQL files and their relation graph, the engines and the pipeline runner."""
