"""CareLake batch pipeline: generate (or land) EHR data, ingest it, check it, train and register a model.

Every task calls the ``./carelake`` command line, so Airflow only schedules; the work, its retries'
idempotency (MERGE on natural keys, no new commits for unchanged input) and its gates live in
CareLake. Each ingest task checks the silver tables it changed with their Deequ suites before it
commits; a failed fail-action check rolls that task back and exits 1, which fails it and stops
everything downstream. The ``quality`` task re-checks every table at its current version, records
the verdicts training pins, and writes the quality report; it too exits 1 on a failed check. The
``data_bias`` task then writes the data bias report (who is in the data, who has missing data), so
fairness reviewers can read it before any model; ``train`` audits the model with the same groups.
A run whose data did not change trains nothing: ``train`` finds the latest model version already
trained on the same training set, says it is up to date and re-applies the fairness gate to it.

Runs never overlap (``max_active_runs=1``). Within a run some tasks run side by side (``ingest_vcf``
beside ``gold`` and ``quality``, ``build_features`` beside ``data_bias`` and ``train``); a failed
task's rollback leaves alone any table another task committed to meanwhile, and says so in its log.
A task killed mid-step (a timeout, out of memory) cannot roll back itself; the next ``./carelake``
command on the lakehouse (the task's retry, or the next run) does, from the journal the step left.

Configure with DAG params (or trigger-time overrides):
  carelake_home  the CareLake checkout (holds ./carelake)
  lakehouse      the lakehouse folder
  patients/seed  the Synthea population (demo data; replace ``generate`` with a landing sensor for real exports)
  cohort         the cohort definition to train
  bias_config    a bias configuration (age bands, your claims' payer names as payer types) for the data bias
                 report and the model fairness audit (empty: CareLake's built-in one)
  vcf_input      a VCF file or folder to ingest (empty: the genomic tasks are skipped)
  vcf_manifest   its samples.csv (sample_id,patient_id[,result_date])
  pgs_scores     PGS Catalog scoring files for ``prs``, space separated (empty: skipped)
"""

from __future__ import annotations

import os

from airflow.providers.standard.operators.bash import BashOperator
from airflow.sdk import DAG, Param

CARELAKE_HOME = os.environ.get("CARELAKE_HOME", "/opt/carelake")

# Jinja renders these at run time; nothing here touches Spark or the lakehouse at import time.
CLI = "cd {{ params.carelake_home }} && ./carelake"
COMMON = "--lakehouse {{ params.lakehouse }} --master '{{ params.master }}'"
# The one group configuration the data bias report and the fairness audit share, when one is given.
BIAS_CONFIG = "{% if params.bias_config %} --bias-config \"{{ params.bias_config }}\"{% endif %}"

with DAG(
    dag_id="carelake_pipeline",
    description="Synthea -> bronze/silver/gold -> Deequ quality gate -> cohort model -> registry",
    schedule=None,
    catchup=False,
    # Two runs of the pipeline would write the same lakehouse tables at once; a run waits for the one before.
    max_active_runs=1,
    tags=["carelake"],
    params={
        "carelake_home": Param(CARELAKE_HOME, type="string"),
        "lakehouse": Param(os.path.join(CARELAKE_HOME, "lakehouse"), type="string"),
        "master": Param("local[*]", type="string"),
        "patients": Param(1000, type="integer", minimum=1),
        "seed": Param(20250101, type="integer"),
        "cohort": Param("training/cohorts/incident-hypertension-5y.yaml", type="string"),
        "bias_config": Param("", type="string"),
        "vcf_input": Param("", type="string"),
        "vcf_manifest": Param("", type="string"),
        "pgs_scores": Param("", type="string"),
    },
    doc_md=__doc__,
) as dag:
    generate = BashOperator(
        task_id="generate",
        doc_md="Generate the seeded Synthea population (reused when it exists); pushes its folder to XCom.",
        bash_command=f"{CLI} generate {COMMON} --patients {{{{ params.patients }}}} --seed {{{{ params.seed }}}} | tail -n 1",
    )
    ingest = BashOperator(
        task_id="ingest_fhir",
        doc_md="Ingest the FHIR NDJSON into bronze and silver, checked before commit; prints the reconciliation and the verdicts.",
        bash_command=f"{CLI} ingest fhir {COMMON} --input \"{{{{ ti.xcom_pull(task_ids='generate') }}}}\"",
    )
    gold = BashOperator(
        task_id="gold",
        doc_md="Build gold.patient_summary from pinned silver versions; skipped when those its last build read are still "
        "current (ops.build_lineage).",
        bash_command=f"{CLI} gold {COMMON}",
    )
    quality = BashOperator(
        task_id="quality",
        doc_md="Deequ checks of every silver table at its current version and the quality report; exit 1 (task failure) "
        "when a fail-action check fails.",
        bash_command=f"{CLI} quality run {COMMON}",
    )
    data_bias = BashOperator(
        task_id="data_bias",
        doc_md="Data bias report on the full tables (reports/bias/data-bias.html and .json): representation, coverage of key "
        "fields and, per sensitive group (sex, race, ethnicity, age band, payer type), counts under 11 suppressed.",
        bash_command=f"{CLI} quality bias {COMMON}{BIAS_CONFIG}",
    )
    train = BashOperator(
        task_id="train",
        doc_md="Cohort, point-in-time features, MLlib model, fairness audit per sensitive group, new registry version.",
        bash_command=f"{CLI} train {COMMON} --cohort {{{{ params.cohort }}}}{BIAS_CONFIG}",
    )

    features = BashOperator(
        task_id="build_features",
        doc_md="Materialize gold.feature_cardiometabolic_v1 for every living patient, with a Deequ profile "
        "and drift against the previous build (reports/features/).",
        bash_command=f"{CLI} features build {COMMON} --set cardiometabolic_v1",
    )

    # Exit code 99 marks a task skipped (BashOperator's skip_on_exit_code) when its input is not configured.
    ingest_vcf = BashOperator(
        task_id="ingest_vcf",
        doc_md="Ingest VCFs into silver.variant / silver.genotype (idempotent: unchanged files are skipped), then "
        "gold.pgx_marker; prints the reconciliation. Skipped when params.vcf_input is empty.",
        bash_command="{% if not params.vcf_input %}exit 99{% endif %}\n"
        f"{CLI} ingest vcf {COMMON} --input \"{{{{ params.vcf_input }}}}\" --manifest \"{{{{ params.vcf_manifest }}}}\"",
    )
    prs = BashOperator(
        task_id="prs",
        doc_md="Polygenic scores into gold.prs for every configured PGS Catalog scoring file. Skipped when "
        "params.pgs_scores is empty.",
        bash_command="{% if not params.pgs_scores %}exit 99{% endif %}\n"
        f"{CLI} prs {COMMON}{{% for f in params.pgs_scores.split() %}} --score \"{{{{ f }}}}\"{{% endfor %}}",
    )

    generate >> ingest >> gold >> quality >> data_bias >> train
    quality >> features
    ingest >> ingest_vcf >> prs
