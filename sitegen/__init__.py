"""sitegen: turn scraped paper listings into a curated, browsable reading list.

The build is a pipeline of plain functions, one module or package per stage:

    sources/ -> catalog/ -> taxonomy -> notes (+ curation/) -> plan -> render -> output/

`pipeline` runs them; `dev/` is the watch-and-serve loop and `text/` the text and markup
shared by every stage. Only reading inputs (`sources/`), writing (`output/`) and `dev/`
touch the outside world.
"""

__version__ = "0.1.0"
