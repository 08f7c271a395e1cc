"""sitegen: turn scraped paper listings into a curated, browsable reading list.

The build is a pipeline of plain functions, one module per stage:

    sources -> catalog -> taxonomy -> notes -> plan -> render -> output

Only `sources`, `notes` (reading), `output` (writing), the watcher and the server touch
the outside world.
"""

__version__ = "0.1.0"
