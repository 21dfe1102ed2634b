"""Where the migrations, templates and built front-end assets live.

In a source checkout they sit at the top of the repository; an installed wheel carries copies
inside the package (pyproject's force-include).
"""

from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
_PACKAGED = PACKAGE_DIR / "_resources"
_SOURCE_ROOT = PACKAGE_DIR.parent


def _resource(name: str) -> Path:
    packaged = _PACKAGED / name
    return packaged if packaged.is_dir() else _SOURCE_ROOT / name


MIGRATIONS_DIR = _resource("migrations")
TEMPLATES_DIR = _resource("templates")
STATIC_DIR = PACKAGE_DIR / "web" / "static"
