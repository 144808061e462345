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
    # The reports in the layout CareLake writes them (DemoEndToEndTest asserts the fields read here on a real demo lakehouse).
    quality = root / "reports" / "quality"
    quality.mkdir(parents=True)
    (quality / "quality-report.json").write_text(json.dumps(
        {"overall": "PASS", "tables": [{"table": "silver.patient", "currentVersion": 0, "currentVerdict": "PASS"}]}))
    card = root / "registry" / "risk-model" / "v1"
    card.mkdir(parents=True)
    (card / "model-card.json").write_text(json.dumps({"model": "risk-model", "version": 1, "metrics": {"auroc_test": 0.6123},
                                                      "lineage": {"input_delta_versions": {"silver.patient": 0}}}))
    (root / "registry" / "risk-model" / "v2").mkdir()
    (root / "registry" / "risk-model" / "v2" / "model-card.json").write_text(json.dumps(
        {"model": "risk-model", "version": 2, "metrics": {"auroc_test": None, "auroc_test_undefined_because":
                                                          "no patient with the outcome was held out: the cohort has 1, and training needs it"},
         "lineage": {"input_delta_versions": {"silver.patient": 1}}}))
    (root / "registry" / "risk-model" / "v10").mkdir()
    (root / "registry" / "risk-model" / "v10" / "model-card.json").write_text(json.dumps(
        {"model": "risk-model", "version": 10, "metrics": {"auroc_test": 0.7},
         "lineage": {"input_delta_versions": {"silver.patient": 9}}}))
    bias = root / "reports" / "bias"
    bias.mkdir(parents=True)
    group = {"attribute": "payer_type", "group": "private", "patients": "283", "positives": "28", "truePositiveRate": 0.5357,
             "falsePositiveRate": 0.63, "auroc": 0.4459}
    small = {"attribute": "payer_type", "group": "uninsured", "patients": "43", "positives": "<11", "truePositiveRate": None,
             "falsePositiveRate": None, "auroc": None}
    (bias / "risk-model-bias-report.json").write_text(json.dumps(
        {"model": "risk-model", "evaluated on": "out-of-fold predictions", "groups": [group, small],
         "tpr_gap_by_attribute": {"sex": 0.1667}, "findings": ["ethnicity: every audited patient's ethnicity is unknown"]}))
    (bias / "data-bias.json").write_text(json.dumps(
        {"asOf": "2025-01-01", "flags": ["hba1c: payer_type = Medicaid has hba1c coverage 44% of the best-covered group's"]}))
    return root


def test_notebook_runs_and_shows_tables_reports_and_models_with_suppressed_small_counts(lakehouse, tmp_path):
    nb = nbformat.read(NOTEBOOK, as_version=4)
    os.environ["CARELAKE_LAKEHOUSE"] = str(lakehouse)
    NotebookClient(nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}).execute()
    assert list(tmp_path.iterdir()) == [], "the notebook leaves nothing (e.g. a spark-warehouse folder) where it runs"
    text = "\n".join(
        out.get("text", "") for cell in nb.cells if cell.cell_type == "code" for out in cell.get("outputs", []))
    assert "silver.patient" in text
    assert "15" in text.split("silver.patient", 1)[1].splitlines()[0]
    assert "female: 12" in text
    assert "male: <11" in text
    assert "quality: PASS" in text
    assert "silver.patient                   v0    PASS" in text
    assert "model risk-model v1: AUROC 0.612" in text
    assert ("model risk-model v2: AUROC undefined: no patient with the outcome was held out: the cohort has 1, "
            "and training needs it, inputs") in text
    assert text.index("model risk-model v2:") < text.index("model risk-model v10: AUROC 0.700"), "versions in number order"
    assert "payer_type private" in text and "TPR 0.54" in text
    assert "outcomes   <11  TPR -  FPR -  AUROC -" in text
    assert "largest true-positive-rate gap: sex 0.167" in text
    assert "finding: ethnicity: every audited patient's ethnicity is unknown" in text
    assert "data bias as of 2025-01-01: 1 findings" in text and "payer_type = Medicaid" in text


def test_notebook_is_committed_without_outputs():
    nb = nbformat.read(NOTEBOOK, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None
