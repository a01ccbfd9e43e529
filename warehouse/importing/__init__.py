"""Importers of native exports: ``cityops import PROFILE FILE...``.

A profile (:mod:`warehouse.importing.profile`, TOML; the built-in ones in
``profiles/``) says what a source system's export holds and how it becomes the contracts;
a city's mapping file says what its codes are in the warehouse.  The conversion is SQL over
the whole file (:mod:`warehouse.importing.convert`, :mod:`warehouse.importing.shapes`),
and the result is loaded through the loader's one core and load path
(:mod:`warehouse.importing.run`).
"""

from warehouse.importing.run import ImportResult, import_files

__all__ = ["ImportResult", "import_files"]
