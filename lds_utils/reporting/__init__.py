"""What readers see: the notebooks' read-only API, charts and tables, the book build and its appendices."""
