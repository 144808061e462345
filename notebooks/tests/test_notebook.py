"""Executes the notebook headless against a small lakehouse written here with PySpark + Delta."""

from __future__ import annotations

import json
import os
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

NOTEBOOK = Path(__file__).resolve().parents[1] / "explore_lakehouse.ipynb"


@pytest.fixture(scope="module")
def lakehouse(tmp_path_factory):
    from delta import configure_spark_with_delta_pip
    from pyspark.sql import SparkSession

    root = tmp_path_factory.mktemp("lakehouse")
    builder = (
        SparkSession.builder.master("local[1]")
        .config("spark.sql.extensions", "io.delta.sql.DeltaSparkSessionExtension")
        .config("spark.sql.catalog.spark_catalog", "org.apache.spark.sql.delta.catalog.DeltaCatalog")
        .config("spark.ui.enabled", "false")
    )
    spark = configure_spark_with_delta_pip(builder).getOrCreate()
    # 12 female patients (shown) and 3 male (suppressed), in CareLake's silver.patient layout.
    rows = [(f"k{i}", "female" if i < 12 else "male", "White", "Not Hispanic or Latino") for i in range(15)]
    spark.createDataFrame(rows, "patient_key string, gender string, race string, ethnicity string") \
        .write.format("delta").save(str(root / "silver" / "patient"))
    spark.stop()
    quality = root / "reports" / "quality"
    quality.mkdir(parents=True)
    (quality / "quality-report.json").write_text(json.dumps(
        {"passed": True, "tables": [{"table": "silver.patient", "delta_version": 0, "verdict": "PASS"}]}))
    return root


def test_notebook_runs_and_shows_tables_with_suppressed_small_counts(lakehouse):
    nb = nbformat.read(NOTEBOOK, as_version=4)
    os.environ["CARELAKE_LAKEHOUSE"] = str(lakehouse)
    NotebookClient(nb, timeout=600, kernel_name="python3").execute()
    text = "\n".join(
        out.get("text", "") for cell in nb.cells if cell.cell_type == "code" for out in cell.get("outputs", []))
    assert "silver.patient" in text
    assert "15" in text.split("silver.patient", 1)[1].splitlines()[0]
    assert "female: 12" in text
    assert "male: <11" in text
    assert "quality: PASS" in text


def test_notebook_is_committed_without_outputs():
    nb = nbformat.read(NOTEBOOK, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None
