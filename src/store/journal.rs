//! The update engine's journal through the handle: runs, their steps (one
//! component of one host moving from one version to another) and events
//! (what happened, for people), with states, outcomes and statuses typed.
//!
//! A step's state changes only through [`StepJournal`], which the step
//! executor, the activation of staged images and resume share: a state is
//! stored (fsynced) *before* the action it announces, together with the
//! event that reports it, and a step ends with `done` and its outcome in one
//! synced write. That is what the "never flash twice" invariant rests on
//! (docs/ARCHITECTURE.md).
//!
//! Runs, new steps and events are committed but not fsynced: losing them to
//! a power cut loses no flash, and the next synced write makes them durable
//! too (see `sqlite::journal`).

use super::sqlite::{self, RunRow, StepRow};
use super::{Store, StoreError};
use crate::vocab::{RunStatus, StepOutcome, StepState};
use serde::Serialize;

/// One update run (a plan being carried out), as `fwfleet status --format
/// json` and `/api/v1/runs/{id}` show it. `Status` is [`RunStatus`]; the
/// SQLite backend's rows ([`sqlite::RunRow`]) carry the column's text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Run<Status = RunStatus> {
    pub id: i64,
    pub started_at: String,
    pub finished_at: Option<String>,
    pub status: Status,
    /// The options the run was started with, as the JSON stored with it
    /// (`updater::apply::RunOptions` for runs of this fwfleet).
    pub options_json: String,
}

/// One journaled step. `State` and `Outcome` are [`StepState`] and
/// [`StepOutcome`]; the SQLite backend's rows ([`sqlite::StepRow`]) carry
/// the columns' text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Step<State = StepState, Outcome = StepOutcome> {
    pub id: i64,
    pub run_id: i64,
    pub host: String,
    pub component: String,
    pub from_version: Option<String>,
    pub to_version: String,
    pub state: State,
    /// The Redfish task monitor or task URI, once the BMC gave one.
    pub task_uri: Option<String>,
    pub outcome: Option<Outcome>,
    pub message: Option<String>,
    pub updated_at: String,
}

impl<S> Run<S> {
    /// The run's options, decoded into the caller's type.
    pub fn options<T: serde::de::DeserializeOwned>(&self) -> serde_json::Result<T> {
        serde_json::from_str(&self.options_json)
    }
}

/// Something that happened in a run, for the operator. `kind` is free text:
/// a state or outcome spelling for a step's changes, a word of its own
/// (`method`, `retry`, `reset`, …) otherwise.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Event {
    pub id: i64,
    pub run_id: i64,
    pub step_id: Option<i64>,
    pub at: String,
    pub kind: String,
    pub message: String,
}

/// A step to add to a run. Steps begin [`StepState::Planned`]; the SQLite
/// backend's [`sqlite::NewStep`] takes the state as text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NewStep<'a, State = StepState> {
    pub host: &'a str,
    /// The component's identity (`Component::identity`).
    pub component: &'a str,
    /// The running version, when the inventory knows it.
    pub from_version: Option<&'a str>,
    pub to_version: &'a str,
    /// The first state.
    pub state: State,
}

const READ_RUN: &str = "read a run";
const READ_STEP: &str = "read a step";

impl Store {
    fn run_of(&self, op: &'static str, r: RunRow) -> Result<Run, StoreError> {
        Ok(Run {
            status: RunStatus::parse(&r.status).map_err(self.word(op, "run", r.id))?,
            id: r.id,
            started_at: r.started_at,
            finished_at: r.finished_at,
            options_json: r.options_json,
        })
    }

    fn step_of(&self, op: &'static str, s: StepRow) -> Result<Step, StoreError> {
        let word = self.word(op, "step", s.id);
        Ok(Step {
            state: StepState::parse(&s.state).map_err(&word)?,
            outcome: s
                .outcome
                .as_deref()
                .map(StepOutcome::parse)
                .transpose()
                .map_err(&word)?,
            id: s.id,
            run_id: s.run_id,
            host: s.host,
            component: s.component,
            from_version: s.from_version,
            to_version: s.to_version,
            task_uri: s.task_uri,
            message: s.message,
            updated_at: s.updated_at,
        })
    }

    fn runs_of(&self, op: &'static str, rows: Vec<RunRow>) -> Result<Vec<Run>, StoreError> {
        rows.into_iter().map(|r| self.run_of(op, r)).collect()
    }

    fn steps_of(&self, op: &'static str, rows: Vec<StepRow>) -> Result<Vec<Step>, StoreError> {
        rows.into_iter().map(|s| self.step_of(op, s)).collect()
    }

    /// Start a run (status `running`) with these options, stored as JSON;
    /// returns its id.
    pub async fn create_run<T: Serialize + ?Sized>(&self, options: &T) -> Result<i64, StoreError> {
        let options = serde_json::to_value(options).map_err(|source| StoreError::Json {
            db: self.path().to_path_buf(),
            op: "create a run",
            source,
        })?;
        self.sqlite_call(move |db| db.create_run(RunStatus::Running.as_str(), &options))
            .await
    }

    /// Record that a run ended, with its final status.
    pub async fn finish_run(&self, run_id: i64, status: RunStatus) -> Result<(), StoreError> {
        self.sqlite_call(move |db| db.finish_run(run_id, status.as_str()))
            .await
    }

    /// Mark a run whose process stopped `interrupted`, with the event that
    /// says why, in one trip.
    pub async fn interrupt_run(&self, run_id: i64, why: &str) -> Result<(), StoreError> {
        let why = why.to_string();
        self.sqlite_call(move |db| {
            db.finish_run(run_id, RunStatus::Interrupted.as_str())?;
            db.add_event(run_id, None, RunStatus::Interrupted.as_str(), &why)
                .map(|_| ())
        })
        .await
    }

    /// The run with this id.
    pub async fn run(&self, id: i64) -> Result<Option<Run>, StoreError> {
        let row = self.sqlite_call(move |db| db.run(id)).await?;
        row.map(|r| self.run_of(READ_RUN, r)).transpose()
    }

    /// The latest `limit` runs, newest first.
    pub async fn list_runs(&self, limit: usize) -> Result<Vec<Run>, StoreError> {
        let rows = self.sqlite_call(move |db| db.list_runs(limit)).await?;
        self.runs_of("list the runs", rows)
    }

    /// Steps per run and word (outcome of an ended step, else its state),
    /// counted in the store, for each of `run_ids`.
    pub async fn step_counts(
        &self,
        run_ids: Vec<i64>,
    ) -> Result<
        std::collections::BTreeMap<i64, std::collections::BTreeMap<String, usize>>,
        StoreError,
    > {
        let rows = self.sqlite_call(move |db| db.step_counts(&run_ids)).await?;
        let mut out: std::collections::BTreeMap<i64, std::collections::BTreeMap<String, usize>> =
            Default::default();
        for (run, word, n) in rows {
            out.entry(run)
                .or_default()
                .insert(word, usize::try_from(n).unwrap_or(0));
        }
        Ok(out)
    }

    /// The steps of `host` in run `run_id`, in the order they were added.
    pub async fn host_steps(&self, run_id: i64, host: &str) -> Result<Vec<Step>, StoreError> {
        let host = host.to_string();
        let rows = self
            .sqlite_call(move |db| db.host_steps(run_id, &host))
            .await?;
        self.steps_of("read the steps of a host", rows)
    }

    /// The events of these steps of run `run_id`, oldest first.
    pub async fn step_events(
        &self,
        run_id: i64,
        step_ids: Vec<i64>,
    ) -> Result<Vec<Event>, StoreError> {
        self.sqlite_call(move |db| db.step_events(run_id, &step_ids))
            .await
    }

    /// A run's events of these kinds, oldest first.
    pub async fn events_of_kinds(
        &self,
        run_id: i64,
        kinds: &'static [&'static str],
    ) -> Result<Vec<Event>, StoreError> {
        self.sqlite_call(move |db| db.events_of_kinds(run_id, kinds))
            .await
    }

    /// The last `limit` events of a run, oldest first.
    pub async fn recent_events(&self, run_id: i64, limit: usize) -> Result<Vec<Event>, StoreError> {
        self.sqlite_call(move |db| db.recent_events(run_id, limit))
            .await
    }

    /// Runs with this status, oldest first (on restart: `running` runs whose
    /// process stopped).
    pub async fn runs_with_status(&self, status: RunStatus) -> Result<Vec<Run>, StoreError> {
        let rows = self
            .sqlite_call(move |db| db.runs_with_status(status.as_str()))
            .await?;
        self.runs_of("find runs by status", rows)
    }

    /// The step with this id.
    pub async fn step(&self, id: i64) -> Result<Option<Step>, StoreError> {
        let row = self.sqlite_call(move |db| db.step(id)).await?;
        row.map(|s| self.step_of(READ_STEP, s)).transpose()
    }

    /// The steps of a run, in the order they were added.
    pub async fn steps(&self, run_id: i64) -> Result<Vec<Step>, StoreError> {
        let rows = self.sqlite_call(move |db| db.steps(run_id)).await?;
        self.steps_of("read the steps of a run", rows)
    }

    /// Every step, of any run, that has not ended ([`StepState::IN_FLIGHT`]),
    /// oldest first: on restart each is decided before anything is planned.
    pub async fn steps_in_flight(&self) -> Result<Vec<Step>, StoreError> {
        let rows = self
            .sqlite_call(|db| db.steps_in_state(&StepState::IN_FLIGHT.map(StepState::as_str)))
            .await?;
        self.steps_of("find steps by state", rows)
    }

    /// Record an event of a run (and of one of its steps).
    pub async fn add_event(
        &self,
        run_id: i64,
        step_id: Option<i64>,
        kind: &str,
        message: &str,
    ) -> Result<(), StoreError> {
        let (kind, message) = (kind.to_string(), message.to_string());
        self.sqlite_call(move |db| db.add_event(run_id, step_id, &kind, &message).map(|_| ()))
            .await
    }

    /// The events of a run, oldest first.
    pub async fn events(&self, run_id: i64) -> Result<Vec<Event>, StoreError> {
        self.sqlite_call(move |db| db.events(run_id)).await
    }
}

/// The journal of one step: every change of its state goes through here,
/// stored before the action it announces.
#[derive(Debug, Clone)]
pub struct StepJournal {
    store: Store,
    run_id: i64,
    step_id: i64,
}

impl StepJournal {
    /// Add `step` to run `run_id` in its first state (`planned`: a step
    /// that ends at once still goes through [`StepJournal::finish`]).
    pub async fn begin(
        store: &Store,
        run_id: i64,
        step: NewStep<'_>,
    ) -> Result<StepJournal, StoreError> {
        debug_assert!(step.state.is_in_flight(), "a step ends through finish");
        let state = step.state;
        let (host, component, from, to) = (
            step.host.to_string(),
            step.component.to_string(),
            step.from_version.map(str::to_string),
            step.to_version.to_string(),
        );
        let step_id = store
            .sqlite_call(move |db| {
                db.add_step(
                    run_id,
                    &sqlite::NewStep {
                        host: &host,
                        component: &component,
                        from_version: from.as_deref(),
                        to_version: &to,
                        state: state.as_str(),
                    },
                )
            })
            .await?;
        Ok(StepJournal {
            store: store.clone(),
            run_id,
            step_id,
        })
    }

    /// The journal of a step stored already (resumed, verified again).
    pub fn of(store: &Store, run_id: i64, step_id: i64) -> StepJournal {
        StepJournal {
            store: store.clone(),
            run_id,
            step_id,
        }
    }

    pub fn step_id(&self) -> i64 {
        self.step_id
    }

    pub fn run_id(&self) -> i64 {
        self.run_id
    }

    /// Move the step to `state` (one of [`StepState::IN_FLIGHT`]; a step
    /// ends through [`StepJournal::finish`]), with the task URI when the BMC
    /// just gave one, and the event `(state, task URI or "")`. On disk
    /// (fsynced) when this returns.
    pub async fn enter(&self, state: StepState, task_uri: Option<&str>) -> Result<(), StoreError> {
        debug_assert!(state.is_in_flight(), "a step ends through finish");
        let task_uri = task_uri.map(str::to_string);
        self.change(state, task_uri, None).await
    }

    /// End the step: `done` with `outcome` and `message`, and the event
    /// `(outcome, message)`. On disk (fsynced) when this returns.
    pub async fn finish(&self, outcome: StepOutcome, message: &str) -> Result<(), StoreError> {
        self.change(StepState::Done, None, Some((outcome, message.to_string())))
            .await
    }

    async fn change(
        &self,
        state: StepState,
        task_uri: Option<String>,
        end: Option<(StepOutcome, String)>,
    ) -> Result<(), StoreError> {
        let (run, id) = (self.run_id, self.step_id);
        self.store
            .sqlite_call(move |db| {
                let (outcome, message) = match &end {
                    Some((o, m)) => (Some(o.as_str()), Some(m.as_str())),
                    None => (None, None),
                };
                let change = sqlite::StateChange {
                    state: state.as_str(),
                    task_uri: task_uri.as_deref(),
                    outcome,
                    message,
                };
                let event = match (outcome, message) {
                    (Some(o), Some(m)) => (o, m),
                    _ => (state.as_str(), task_uri.as_deref().unwrap_or("")),
                };
                db.set_step_state_with_event(run, id, &change, event)
            })
            .await
    }

    /// An event of this step, for people (committed, not fsynced).
    pub async fn event(&self, kind: &str, message: &str) -> Result<(), StoreError> {
        self.store
            .add_event(self.run_id, Some(self.step_id), kind, message)
            .await
    }
}
