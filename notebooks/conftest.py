"""nbval runs the notebooks as the book does: as readers of the demo lake, which is prepared first.

The notebooks never generate or build anything. When they read the demo lake (no $LDS_LAKE), it is
prepared here before the first notebook runs, exactly as `make book` prepares it; a lake named by
$LDS_LAKE is only read, and one that is not ready stops its notebooks in one line.
"""

from lds_utils import config
from lds_utils.reporting import book


def pytest_collection_finish(session):
    if any(item.path.suffix == ".ipynb" for item in session.items):
        lake = config.resolve_lake(None)
        if book.is_demo_lake(lake, config.DEFAULT_ENGINE):
            book.prepare_demo_lake(lake)
