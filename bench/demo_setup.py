"""A fresh demo for the benchmarks that measure what people see: a temporary SQLite database,
migrated, with ``aftercare demo`` loaded and its search index built (the keeper made active).

The environment is set before any settings are read, so call ``demo_with_index`` before importing
anything that reads them.
"""

from __future__ import annotations

import os
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass
class DemoSetup:
    data_dir: Path
    database: Any  # aftercare.db.Database
    keeper: Any  # kb.search.keeper.IndexKeeper
    index_seconds: float


def demo_with_index(prefix: str) -> DemoSetup:
    data_dir = Path(tempfile.mkdtemp(prefix=prefix))
    os.environ.update(
        {
            "AFTERCARE_DATA_DIR": str(data_dir),
            "AFTERCARE_DATABASE_URL": f"sqlite:///{data_dir / 'bench.db'}",
            "AFTERCARE_ENVIRONMENT": "development",
            "HF_HUB_OFFLINE": "1",
        }
    )
    from aftercare import migrate
    from aftercare.config import get_settings
    from aftercare.db import Database
    from entry.demo import load_demo
    from kb.search.keeper import IndexKeeper, set_active_keeper
    from kb.search.service import search

    settings = get_settings()
    migrate.upgrade(settings.database_url_resolved)
    database = Database(settings.database_url_resolved)
    with database.session() as session:
        load_demo(session, echo=lambda message: None)
    keeper = IndexKeeper(embedder_spec="e5", index_dir=data_dir / "index")
    set_active_keeper(keeper)
    started = time.perf_counter()
    with database.session() as session:
        keeper.open(session)
        search(session, "warm up the model", limit=3, log=False)
    return DemoSetup(data_dir, database, keeper, time.perf_counter() - started)
