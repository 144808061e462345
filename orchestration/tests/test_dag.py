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
    order = ["generate", "ingest_fhir", "gold", "quality", "data_bias", "train"]
    assert sorted(t.task_id for t in dag.tasks) == sorted(order + ["build_features", "ingest_vcf", "prs"])
    assert dag.get_task("ingest_vcf").upstream_task_ids == {"ingest_fhir"}
    assert dag.get_task("prs").upstream_task_ids == {"ingest_vcf"}
    assert dag.get_task("build_features").upstream_task_ids == {"quality"}
    for upstream, downstream in zip(order, order[1:]):
        assert dag.get_task(downstream).upstream_task_ids == {upstream}
    for task in dag.tasks:
        assert "./carelake" in task.bash_command
        assert task.doc_md, f"{task.task_id} documents what it does"


def test_runs_never_overlap(dagbag):
    # each task's commits are all-or-nothing, but two runs would ingest and train into the same tables at once
    assert dagbag.dags["carelake_pipeline"].max_active_runs == 1


def test_ingest_reads_the_folder_generate_pushed(dagbag):
    ingest = dagbag.dags["carelake_pipeline"].get_task("ingest_fhir")
    assert "xcom_pull(task_ids='generate')" in ingest.bash_command
    assert "--lakehouse {{ params.lakehouse }}" in ingest.bash_command


def test_quality_gate_and_data_bias_precede_training(dagbag):
    dag = dagbag.dags["carelake_pipeline"]
    assert "data_bias" in dag.get_task("train").upstream_task_ids
    assert "quality" in dag.get_task("data_bias").upstream_task_ids
    assert dag.get_task("quality").bash_command.endswith("quality run --lakehouse {{ params.lakehouse }} --master '{{ params.master }}'")


def test_genomic_tasks_skip_without_input_and_pass_every_score(dagbag):
    from jinja2 import Environment

    dag = dagbag.dags["carelake_pipeline"]
    env = Environment()
    ingest_vcf = dag.get_task("ingest_vcf").bash_command
    prs = dag.get_task("prs").bash_command
    empty = {"vcf_input": "", "vcf_manifest": "", "pgs_scores": "", "carelake_home": "/c", "lakehouse": "/l", "master": "local[2]"}
    assert env.from_string(ingest_vcf).render(params=empty).startswith("exit 99")
    assert env.from_string(prs).render(params=empty).startswith("exit 99")
    given = dict(empty, vcf_input="/in/batch7", vcf_manifest="/in/samples.csv", pgs_scores="/s/a.txt.gz /s/b.txt")
    rendered = env.from_string(prs).render(params=given)
    assert "exit 99" not in rendered
    assert '--score "/s/a.txt.gz" --score "/s/b.txt"' in rendered
    vcf = env.from_string(ingest_vcf).render(params=given)
    assert 'ingest vcf --lakehouse /l' in vcf and '--input "/in/batch7" --manifest "/in/samples.csv"' in vcf


def test_one_bias_configuration_reaches_the_data_bias_report_and_the_fairness_audit(dagbag):
    from jinja2 import Environment

    dag = dagbag.dags["carelake_pipeline"]
    env = Environment()
    params = {"carelake_home": "/c", "lakehouse": "/l", "master": "local[2]", "cohort": "training/cohorts/x.yaml", "bias_config": ""}
    data_bias = dag.get_task("data_bias").bash_command
    train = dag.get_task("train").bash_command
    assert env.from_string(data_bias).render(params=params) == "cd /c && ./carelake quality bias --lakehouse /l --master 'local[2]'"
    assert "--bias-config" not in env.from_string(train).render(params=params)
    given = dict(params, bias_config="/etc/carelake/bias.yaml")
    assert env.from_string(data_bias).render(params=given).endswith(' --bias-config "/etc/carelake/bias.yaml"')
    assert env.from_string(train).render(params=given).endswith(
        '--cohort training/cohorts/x.yaml --bias-config "/etc/carelake/bias.yaml"')
