"""Smoke test of the benchmark: ``scripts/bench.py --quick`` runs and reports every row.

The benchmark itself (minutes at its default size) stays out of the test suite; this
only checks, at a tiny size, that the script still works end to end and writes its JSON.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "bench.py"

EXPECTED_ROWS = {
    "import",
    "reimport",
    "start_home",
    "start_card",
    "answer",
    "counts",
    "queue",
    "export",
    "stats",
    "memory",
}


def test_bench_quick_runs_and_reports_every_row(tmp_path: Path) -> None:
    out = tmp_path / "bench.json"
    done = subprocess.run(
        [sys.executable, str(SCRIPT), "--quick", "--json", str(out),
         "--workdir", str(tmp_path / "work")],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert "| what | quiz | Anki (same data, same run) | aim | met |" in done.stdout
    result = json.loads(out.read_text(encoding="utf-8"))
    rows = {row["key"]: row for row in result["rows"]}
    assert set(rows) >= EXPECTED_ROWS
    for key in EXPECTED_ROWS:
        quiz = rows[key]["quiz"]
        assert quiz is not None and quiz["median"] > 0, key
    assert rows["answer"]["quiz"]["p99"] >= rows["answer"]["quiz"]["p50"]
    # Anki is a test dependency, so its column is filled in here.
    assert rows["import"]["anki"] is not None
    assert rows["answer"]["anki"] is not None
    assert result["dataset"]["quiz"]["reviews"] == result["config"]["reviews"]
    machine = result["machine"]
    assert machine["python"] and machine["sqlite"] and machine["cores"]


def test_stats_benchmark_runs_at_a_tiny_size(tmp_path: Path) -> None:
    # scripts/bench_stats.py fills the tables with its own bulk inserts: a schema change
    # that it does not follow (a new NOT NULL column) must fail here, not in a user's hands.
    done = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "bench_stats.py"), "--reviews", "2000",
         "--cards", "400", "--runs", "1", "--db", str(tmp_path / "stats.sqlite3")],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert "| 2,000 reviews over 1,095 days, 400 cards (SQLite) | all decks" in done.stdout
