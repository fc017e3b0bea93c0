-- migrate:up
-- Trained models live in the database (not in files) so every server and replica serves the same model.
create table salesdash_internal.model_runs (
  id             bigint generated always as identity primary key,
  trained_at     timestamptz not null default now(),
  reference_date date not null,
  horizon_days   int not null check (horizon_days > 0),
  backend        text not null,
  seed           int not null,
  metrics        jsonb not null,
  artifact       jsonb,
  is_current     boolean not null default false,
  rejected_reason text,
  -- A refused run is recorded but never published (jobs/train/publish.ts decides).
  constraint model_runs_rejected_not_current check (rejected_reason is null or not is_current),
  -- A published run can score: it has its model.
  constraint model_runs_accepted_has_artifact check (rejected_reason is not null or artifact is not null),
  -- A published run's figures are all numbers: a JSON null is what a NaN or infinite figure becomes, and the
  -- API would serve it as 0 (GET /api/model/metrics must never show a degenerate figure).
  constraint model_runs_accepted_figures_finite check (rejected_reason is not null or not jsonb_path_exists(metrics, 'strict $.** ? (@ == null)'))
);
comment on table salesdash_internal.model_runs is
  'One row per training run, published or not: holdout metrics (the body of GET /api/model/metrics) and the artifact (topology, weights, feature scaling, calibration, confidence table). is_current marks the model whose scores are in salesdash.predictions.';
comment on column salesdash_internal.model_runs.metrics is
  'What the run measured: windows, customers and training rows, and (when the network was trained) its figures beside the baselines. In a refused run a figure that was not a finite number is null.';
comment on column salesdash_internal.model_runs.artifact is
  'Everything needed to score without files: tfjs topology and weights, feature names, log/standardization parameters, Platt calibration, threshold and confidence table. Null for a run refused before training.';
comment on column salesdash_internal.model_runs.rejected_reason is
  'Null for a published run; otherwise why it was not published (a window without buyers or non-buyers, a figure that is not finite, no gain over recency on holdout ROC AUC). A refused run never becomes current.';
-- At most one current model; switching happens in the same transaction that writes its predictions.
create unique index model_runs_one_current_idx on salesdash_internal.model_runs (is_current) where is_current;

create table salesdash.predictions (
  customer_id          text primary key,
  purchase_probability float8 not null check (purchase_probability between 0 and 1),
  predicted_label      boolean not null,
  confidence           float8 not null check (confidence between 0 and 1),
  prediction_date      date not null,
  model_run_id         bigint not null,
  expected_orders      float8 not null check (expected_orders >= 0),
  expected_revenue     numeric(14, 2) not null check (expected_revenue >= 0)
);
comment on table salesdash.predictions is
  'One row per customer (person) scored by the current model: the probability of at least one purchase in the horizon after prediction_date, and the orders and net revenue expected in it. Rewritten in one transaction by salesdash train.';
comment on column salesdash.predictions.customer_id is 'The person (Olist customer_unique_id), as in rfm_scores.customer_id.';
comment on column salesdash.predictions.purchase_probability is 'Calibrated probability of at least one purchase in the horizon_days days after prediction_date.';
comment on column salesdash.predictions.predicted_label is 'purchase_probability >= the decision threshold (chosen on a validation window by maximum F1).';
comment on column salesdash.predictions.confidence is 'How often the model was right on holdout customers in the same probability decile (holdout accuracy within the decile).';
comment on column salesdash.predictions.prediction_date is 'The reference date the features were computed as of (latest counted purchase in the data).';
comment on column salesdash.predictions.model_run_id is 'The training run (salesdash_internal.model_runs.id) that produced this score.';
comment on column salesdash.predictions.expected_orders is 'Expected counted orders in the horizon_days days after prediction_date (the model named in model_metrics.metrics.spend.model).';
comment on column salesdash.predictions.expected_revenue is 'Expected net revenue (counted orders less refunds, as RFM monetary) in the horizon_days days after prediction_date; metrics.spend says how well it matched a holdout.';
create index predictions_purchase_probability_idx on salesdash.predictions (purchase_probability desc);
-- The API sorts customers by expected revenue (customer_id breaks ties, so pages are stable).
create index predictions_expected_revenue_idx on salesdash.predictions (expected_revenue desc, customer_id);

create view salesdash.model_metrics as
select id as model_run_id, trained_at, metrics
from salesdash_internal.model_runs
where is_current;
comment on view salesdash.model_metrics is
  'No rows until a model was published; then one row: the current model''s holdout evaluation (network, recency and BG/NBD baselines, curves) as jsonb. Refused trainings (model_runs.rejected_reason) never appear here.';
comment on column salesdash.model_metrics.model_run_id is 'The current model''s training run (salesdash_internal.model_runs.id), as in predictions.model_run_id.';
comment on column salesdash.model_metrics.trained_at is 'When the training run was stored, at the end of salesdash train (timestamptz).';
comment on column salesdash.model_metrics.metrics is 'The exact body of GET /api/model/metrics.';

-- migrate:down
drop view salesdash.model_metrics;
drop table salesdash.predictions;
drop table salesdash_internal.model_runs;
