"""The shipped DAGs load in real Airflow and wire CareLake's CLI steps in order."""

from __future__ import annotations

from pathlib import Path

import pytest

DAGS = Path(__file__).resolve().parents[1] / "dags"


@pytest.fixture(scope="module")
def dagbag():
    from airflow.dag_processing.dagbag import DagBag

    return DagBag(dag_folder=str(DAGS))


def test_dags_import_without_errors(dagbag):
    assert dagbag.import_errors == {}
    assert "carelake_pipeline" in dagbag.dag_ids


def test_pipeline_runs_cli_steps_in_order(dagbag):
    dag = dagbag.dags["carelake_pipeline"]
    order = ["generate", "ingest_fhir", "gold", "quality", "train"]
    assert sorted(t.task_id for t in dag.tasks) == sorted(order + ["build_features"])
    assert dag.get_task("build_features").upstream_task_ids == {"quality"}
    for upstream, downstream in zip(order, order[1:]):
        assert dag.get_task(downstream).upstream_task_ids == {upstream}
    for task in dag.tasks:
        assert "./carelake" in task.bash_command
        assert task.doc_md, f"{task.task_id} documents what it does"


def test_ingest_reads_the_folder_generate_pushed(dagbag):
    ingest = dagbag.dags["carelake_pipeline"].get_task("ingest_fhir")
    assert "xcom_pull(task_ids='generate')" in ingest.bash_command
    assert "--lakehouse {{ params.lakehouse }}" in ingest.bash_command


def test_quality_gate_precedes_training(dagbag):
    dag = dagbag.dags["carelake_pipeline"]
    assert "quality" in dag.get_task("train").upstream_task_ids
    assert dag.get_task("quality").bash_command.endswith("quality run --lakehouse {{ params.lakehouse }} --master '{{ params.master }}'")
