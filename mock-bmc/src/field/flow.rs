//! Field update flows: accept a request, transfer and check the image, then
//! install, stage or hold it the way the persona's vendor documents, and
//! activate it after the BMC reboot or host reset that vendor needs.
//!
//! Every step runs after the one before it, so the time scale and the
//! duration overrides change how long things take, never their order. The
//! docs/MOCK-BMC.md table "Field behaviour" names the source of each flow.

use crate::bmc::Bmc;
use crate::field::jobs::Job;
use crate::http::error::RedfishError;
use crate::image::ImageHeader;
use crate::machine::{Kind, Role};
use crate::messages::{message, Registry};
use crate::persona::{Persona, Variant};
use crate::state::BmcState;
use crate::tasks::{Task, TaskState};
use crate::update::{self, ApplyTime, Plan, Source, UpdateRequest};
use axum::http::StatusCode;
use rand::{Rng, SeedableRng};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// How the image arrived.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Via {
    SimpleUpdate,
    Multipart,
    RawPush,
}

/// What a request carried beyond the standard parameters.
#[derive(Debug, Clone, Default)]
pub struct Extra {
    /// Supermicro `Oem.Supermicro.BMC` / `.BIOS` preserve flags.
    pub preserve: BTreeMap<String, bool>,
    /// AMI Lenovo `OemParameters.FlashType`.
    pub flash_type: Option<String>,
    /// The multipart `OemParameters` part as sent, if one was.
    pub oem_parameters: Option<serde_json::Value>,
}

/// An image written (or about to be) whose activation waits for an event.
#[derive(Debug, Clone)]
pub struct Staged {
    pub keys: Vec<String>,
    pub version: String,
    pub image: String,
    pub task_id: Option<String>,
    pub job: Option<String>,
    /// Written to flash during the POST that activates it.
    pub flashed: bool,
    /// Supermicro: the BMC leaves update mode when this activates.
    pub update_mode: bool,
    /// Preserve flags the request carried (Supermicro `PreserveCfg`).
    pub preserve: BTreeMap<String, bool>,
}

/// A verified Supermicro upload waiting for `StartUpdate` (the BMC is in
/// update mode until it has run).
#[derive(Debug, Clone)]
pub struct SmcPending {
    pub staged: Staged,
    pub bmc_class: bool,
}

/// iLO's update status in `UpdateService.Oem.Hpe`.
#[derive(Debug, Clone)]
pub struct HpeState {
    pub state: &'static str,
    pub flash_percent: Option<u8>,
    pub result: Option<(String, Vec<String>)>,
}

impl Default for HpeState {
    fn default() -> Self {
        HpeState {
            state: "Idle",
            flash_percent: None,
            result: None,
        }
    }
}

fn bad(status: StatusCode, key: &str, args: &[&str]) -> RedfishError {
    RedfishError::base(status, key, args)
}

fn field(bmc: &Bmc) -> &crate::field::FieldTiming {
    &bmc.config.field
}

/// Whether the image of `keys` is the running BMC firmware.
fn is_bmc_class(st: &BmcState, keys: &[String]) -> bool {
    keys.iter().any(|k| {
        st.machine
            .components
            .iter()
            .any(|c| &c.key == k && c.kind == Kind::Bmc)
    })
}

/// The reboot a BMC of this persona takes (the slow-reboot fault overrides).
pub fn reboot_time(bmc: &Bmc, st: &BmcState) -> Duration {
    if crate::faults::Faults::on(st.faults.slow_reboot) {
        return field(bmc).slow_reboot;
    }
    match (st.machine.persona, st.machine.variant) {
        (Persona::Idrac, _) => field(bmc).idrac_xcc_reboot,
        (Persona::Xcc, Variant::Standard) => field(bmc).idrac_xcc_reboot,
        _ => field(bmc).bmc_reboot,
    }
}

/// A Supermicro BMC without its out-of-band licence (fault `no-oob-license`)
/// takes no firmware: SimpleUpdate and uploads answer 405 with
/// `SMC.1.0.OemLicenseNotPassed` naming the licence (NOTES §7.5: 405 for
/// OemLicenseNotPassed, "update needs SFT-OOB-LIC/SFT-DCMS license"; fwupd
/// `docs/supermicro-license.md`, fwupd#4836; SUM's "Not licensed to perform
/// this request. The following licenses DCMS were needed",
/// Dasharo/dasharo-issues#327). Both behaviours; other personas ignore it.
pub fn licensed(st: &BmcState) -> Result<(), RedfishError> {
    if st.machine.persona != Persona::Supermicro
        || !crate::faults::Faults::on(st.faults.no_oob_license)
    {
        return Ok(());
    }
    let mut e = bad(StatusCode::METHOD_NOT_ALLOWED, "GeneralError", &[]);
    if let Some(m) = e.messages.first_mut() {
        m["MessageId"] = serde_json::json!("SMC.1.0.OemLicenseNotPassed");
        m["Message"] = serde_json::json!(
            "Not licensed to perform this request. The following licenses SFT-DCMS-SINGLE were needed"
        );
        m["MessageArgs"] = serde_json::json!(["SFT-DCMS-SINGLE"]);
        m["Resolution"] =
            serde_json::json!("Please activate at least one license in above message.");
    }
    Err(e)
}

/// Checks a field BMC makes before it takes an upload or a SimpleUpdate:
/// Supermicro's update mode and XCC's push/multipart exclusion.
pub fn before_transfer(st: &BmcState, via: Via) -> Result<(), RedfishError> {
    let p = st.machine.persona;
    if p == Persona::Supermicro && st.field.smc.is_some() {
        // bmclib x12.go: OemFirmwareAlreadyInUpdateMode needs StartUpdate or a BMC reset.
        let mut e = bad(StatusCode::METHOD_NOT_ALLOWED, "ResourceInUse", &[]);
        if let Some(m) = e.messages.first_mut() {
            m["MessageId"] = serde_json::json!("SMC.1.0.OemFirmwareAlreadyInUpdateMode");
            m["Message"] = serde_json::json!(
                "The firmware is already in update mode. Start the update with UpdateService.StartUpdate or reset the BMC."
            );
        }
        return Err(e);
    }
    if p == Persona::Xcc && st.machine.variant == Variant::Standard {
        if let Some((busy_via, task)) = &st.field.push_busy {
            let other = matches!(
                (busy_via, via),
                (Via::RawPush, Via::Multipart) | (Via::Multipart, Via::RawPush)
            );
            // Only while that push's task still runs (not once it is staged or done).
            let runs = st.tasks.get(task).is_some_and(|t| {
                !t.state.is_terminal()
                    && !matches!(t.state, TaskState::Pending | TaskState::Stopping)
            });
            if other && runs {
                return Err(RedfishError::unavailable(30));
            }
        }
    }
    if p == Persona::Ilo
        && matches!(
            st.field.hpe.state,
            "Uploading" | "Verifying" | "Writing" | "Updating"
        )
    {
        // iLO refuses another flash while one runs (iLO.2.15.FirmwareFlashAlreadyInProgress).
        return Err(RedfishError::unavailable(30));
    }
    // One update at a time; a staged image (bmcweb `Stopping`) no longer holds
    // the service (bmcweb clears fwUpdateInProgress once the image exists).
    let running = st.tasks.values().any(|t| {
        !t.state.is_terminal()
            && !matches!(
                t.state,
                TaskState::Pending | TaskState::Stopping | TaskState::Starting
            )
    });
    if matches!(p, Persona::Openbmc | Persona::Ilo) && running {
        return Err(RedfishError::unavailable(30));
    }
    Ok(())
}

/// A per-task stream of the field's irregularities, from the BMC seed and the
/// task number: where PercentComplete stalls and which transient state shows.
fn quirks(bmc: &Bmc, st: &BmcState, seq: u64) -> (u8, Option<TaskState>) {
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(
        bmc.config.seed ^ seq.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ 0xf1e1d,
    );
    let stall_at = rng.gen_range(3..=7u8);
    let drawn = match rng.gen_range(0..3u8) {
        0 => Some(TaskState::Interrupted),
        1 => Some(TaskState::Suspended),
        _ => None,
    };
    let forced = st.faults.transient_task_state.as_deref().map(|s| match s {
        "interrupted" => Some(TaskState::Interrupted),
        "suspended" => Some(TaskState::Suspended),
        _ => None,
    });
    (stall_at, forced.unwrap_or(drawn))
}

/// Accept a validated request on a field BMC. Returns the task id (none for
/// the iLO `legacy` variant and for iLO's refused image types, which answer
/// 200 without a task).
pub fn accept(
    bmc: &Arc<Bmc>,
    st: &mut BmcState,
    req: UpdateRequest,
    via: Via,
    extra: Extra,
) -> Option<String> {
    let p = st.machine.persona;
    st.task_seq += 1;
    let seq = st.task_seq;
    let no_task = p == Persona::Ilo
        && via == Via::SimpleUpdate
        && (st.machine.variant == Variant::Legacy || !ilo_accepts(&req));
    let id = if no_task {
        None
    } else {
        let mut task = Task::new_update(p, seq, &req.via);
        match p {
            Persona::Supermicro => {
                let bmc_class = is_bmc_class(st, &req.targets);
                task.name = if bmc_class {
                    "BMC Verify"
                } else {
                    "BIOS Verify"
                }
                .to_string();
                task.blank_messages = true;
            }
            Persona::Ilo => task.hide_percent = true,
            Persona::Idrac => {
                task.oem_job = Some(("New", "IDRAC.2.9.JCP000", "Job created".into()));
            }
            _ => {}
        }
        let id = task.id.clone();
        st.insert_task(task);
        if p == Persona::Idrac {
            st.field
                .jobs
                .insert(id.clone(), Job::new(&id, "Firmware Update"));
        }
        Some(id)
    };
    if p == Persona::Xcc && st.machine.variant == Variant::Standard && via != Via::SimpleUpdate {
        st.field.push_busy = Some((via, id.clone().unwrap_or_default()));
    }
    if p == Persona::Ilo {
        st.field.hpe = HpeState {
            state: "Uploading",
            flash_percent: None,
            result: None,
        };
    }
    let (stall_at, transient) = quirks(bmc, st, seq);
    let job = Run {
        bmc: bmc.clone(),
        id: id.clone(),
        req,
        via,
        extra,
        stall_at,
        transient,
    };
    tokio::spawn(async move { job.run().await });
    id
}

/// iLO's SimpleUpdate flashes iLO binaries (`.bin`) and UEFI images
/// (`.signed.flash`) only; anything else is answered 200 and then fails
/// (HPEDevCom/redfishdocs firmware_update_part3.md).
fn ilo_accepts(req: &UpdateRequest) -> bool {
    match &req.source {
        Source::Download { url, .. } => {
            let path = url
                .split(['?', '#'])
                .next()
                .unwrap_or("")
                .to_ascii_lowercase();
            path.ends_with(".bin") || path.ends_with(".signed.flash")
        }
        _ => true,
    }
}

struct Run {
    bmc: Arc<Bmc>,
    id: Option<String>,
    req: UpdateRequest,
    via: Via,
    extra: Extra,
    stall_at: u8,
    transient: Option<TaskState>,
}

impl Run {
    fn persona(&self) -> Persona {
        self.bmc.config.machine.persona
    }

    fn variant(&self) -> Variant {
        self.bmc.config.machine.variant
    }

    /// Change the task (if this run has one); false once it is gone or cancelled.
    fn task(&self, f: impl FnOnce(&mut Task)) -> bool {
        match &self.id {
            Some(id) => update::with_task(&self.bmc, id, f),
            None => !self.bmc.lock().field.aborted,
        }
    }

    fn job(&self, f: impl FnOnce(&mut Job, &mut Option<&mut Task>)) {
        let Some(id) = &self.id else { return };
        let mut st = self.bmc.lock();
        let BmcState { field, tasks, .. } = &mut *st;
        if let Some(j) = field.jobs.get_mut(id) {
            let mut t = tasks.get_mut(id);
            f(j, &mut t);
        }
    }

    /// Set the Dell job state and mirror it into the task's `Oem.Dell`.
    fn dell(
        &self,
        state: &'static str,
        mid: &'static str,
        text: &str,
        task_state: Option<TaskState>,
    ) {
        if self.persona() != Persona::Idrac {
            return;
        }
        self.job(|j, t| {
            j.set(state, mid, text);
            if let Some(t) = t.as_deref_mut() {
                t.oem_job = Some((state, mid, text.to_string()));
                if let Some(ts) = task_state {
                    t.set_state(ts);
                }
            }
        });
    }

    fn hpe(&self, state: &'static str, percent: Option<u8>, result: Option<(&str, &[&str])>) {
        if self.persona() != Persona::Ilo {
            return;
        }
        let mut st = self.bmc.lock();
        st.field.hpe.state = state;
        st.field.hpe.flash_percent = percent;
        if let Some((id, args)) = result {
            st.field.hpe.result =
                Some((id.to_string(), args.iter().map(|a| a.to_string()).collect()));
        }
    }

    fn fail(&self, key: &str, args: &[&str]) {
        self.task(|t| {
            t.push(Registry::Update, key, args);
            t.set_state(TaskState::Exception);
        });
        self.dell(
            "Failed",
            "IDRAC.2.9.RED007",
            "Unable to complete the firmware update.",
            None,
        );
        self.hpe("Error", None, Some(("iLO.2.15.UpdateFailed", &[key])));
        self.finished();
    }

    /// A task reached its end: release the XCC push lock, start the iDRAC vanish clock.
    fn finished(&self) {
        let mut st = self.bmc.lock();
        if let (Some((_, busy)), Some(id)) = (&st.field.push_busy, &self.id) {
            if busy == id {
                st.field.push_busy = None;
            }
        }
        if st
            .field
            .push_busy
            .as_ref()
            .is_some_and(|(_, b)| b.is_empty())
            && self.id.is_none()
        {
            st.field.push_busy = None;
        }
        if let (Persona::Idrac, Some(id)) = (st.machine.persona, &self.id) {
            let vanish = Some(self.bmc.config.field.task_vanish);
            st.schedule_vanish(id, vanish);
        }
    }

    async fn run(self) {
        let Some((header, image)) = self.transfer().await else {
            return;
        };
        // A kept image goes back onto the component it was kept for (a
        // rollback is a downgrade by design; iDRAC needs no ForceUpdate).
        let plan = if matches!(self.req.source, Source::Kept { .. }) {
            Ok(Plan::Apply(self.req.targets.clone()))
        } else {
            let st = self.bmc.lock();
            update::plan_targets(&st, &header, &self.req, &image)
        };
        let keys = match plan {
            Ok(Plan::Apply(keys)) => keys,
            Ok(Plan::SameVersion(target)) => {
                self.task(|t| {
                    t.push(
                        Registry::Update,
                        "UpdateSkippedSameVersion",
                        &[&target, &image],
                    );
                    t.set_state(TaskState::Completed);
                });
                self.dell(
                    "Completed",
                    "IDRAC.2.9.RED001",
                    "Job completed successfully.",
                    None,
                );
                self.hpe("Complete", None, None);
                self.finished();
                return;
            }
            Err((key, target)) => {
                if key == "UpdateSkippedVersionTooLow" {
                    self.fail(key, &[&target, &image]);
                } else {
                    self.fail(key, &[&image, &target]);
                }
                return;
            }
        };
        let target_names = self.bmc.target_names(&keys);
        self.task(|t| {
            t.push(
                Registry::Update,
                "TargetDetermined",
                &[&target_names, &image],
            );
        });
        let (bmc_class, preserve) = {
            let mut st = self.bmc.lock();
            let bmc_class = is_bmc_class(&st, &keys);
            for c in st
                .machine
                .components
                .iter_mut()
                .filter(|c| keys.contains(&c.key))
            {
                if !self.extra.preserve.is_empty() {
                    c.field.preserve_flags = self.extra.preserve.clone();
                }
                c.field.oem_parameters = self.extra.oem_parameters.clone();
            }
            (bmc_class, self.extra.preserve.clone())
        };
        let staged = Staged {
            keys,
            version: header.version.clone(),
            image,
            task_id: self.id.clone(),
            job: (self.persona() == Persona::Idrac)
                .then(|| self.id.clone())
                .flatten(),
            flashed: false,
            update_mode: false,
            preserve,
        };
        match self.persona() {
            Persona::Supermicro => self.smc_verified(staged, bmc_class),
            Persona::Idrac if bmc_class => self.idrac_bmc(staged).await,
            Persona::Idrac => self.idrac_host(staged),
            Persona::Ilo if bmc_class => self.ilo_bmc(staged).await,
            Persona::Ilo => self.ilo_host(staged).await,
            Persona::Xcc if self.variant() == Variant::Ami && bmc_class => {
                self.ami_bmc(staged).await
            }
            _ => self.standard(staged, bmc_class).await,
        }
    }

    /// Fetch or take the image and check it; `None` when the run ended here.
    async fn transfer(&self) -> Option<(ImageHeader, String)> {
        self.dell(
            "Downloading",
            "IDRAC.2.9.JCP000",
            "Downloading the package.",
            Some(TaskState::Running),
        );
        if self.persona() != Persona::Idrac && !self.task(|t| t.set_state(TaskState::Running)) {
            return None;
        }
        let t = field(&self.bmc).clone();
        let (verdict, name) = match self.req.source.clone() {
            Source::Discarded { name, .. } => (Err("discarded".to_string()), name),
            // A kept image is on the BMC already: nothing to fetch.
            Source::Kept {
                kind,
                version,
                name,
                ..
            } => (Ok(update::kept_header(kind, &version)), name),
            Source::Uploaded {
                path,
                verdict,
                name,
            } => {
                let _ = tokio::fs::remove_file(&path).await;
                (verdict, name)
            }
            Source::Download {
                url,
                username,
                password,
            } => {
                let name = url.rsplit('/').next().unwrap_or(&url).to_string();
                self.task(|t| {
                    t.push(Registry::Update, "TransferringToComponent", &[&name, "BMC"]);
                });
                let task_key = self.id.clone().unwrap_or_default();
                match update::download(
                    &self.bmc,
                    &task_key,
                    &url,
                    username.as_deref(),
                    password.as_deref(),
                )
                .await
                {
                    Ok((path, v)) => {
                        let _ = tokio::fs::remove_file(&path).await;
                        (v, name)
                    }
                    Err(e) => {
                        tracing::info!(error = %e, "field image download failed");
                        self.task(|t| {
                            t.messages.push(message(
                                Registry::Base,
                                "CouldNotEstablishConnection",
                                &[&url],
                            ));
                        });
                        self.fail("TransferFailed", &[&name, "BMC"]);
                        return None;
                    }
                }
            }
        };
        tokio::time::sleep(t.transfer / 2).await;
        self.hpe("Verifying", None, None);
        self.task(|t| {
            t.push(Registry::Update, "VerifyingAtComponent", &[&name, "BMC"]);
        });
        self.dell(
            "Downloaded",
            "IDRAC.2.9.JCP000",
            "Package successfully downloaded.",
            None,
        );
        tokio::time::sleep(t.transfer / 2).await;
        if self.persona() == Persona::Ilo
            && self.via == Via::SimpleUpdate
            && !ilo_accepts(&self.req)
        {
            // iLO took the request with 200 and fails it now, visible only in Oem.Hpe.
            self.hpe("Error", None, Some(("iLO.2.15.UpdateFailed", &[&name])));
            return None;
        }
        match verdict {
            Ok(h) => Some((h, name)),
            Err(e) => {
                tracing::info!(error = %e, "field image rejected");
                let target = self.bmc.config.machine.name.clone();
                self.fail("VerificationFailed", &[&name, &target]);
                None
            }
        }
    }

    /// PercentComplete from 0 to 99 over `d`, with the stall every field
    /// install has and the run's transient state; false when the task went
    /// away (cancelled, or the BMC rebooted under it).
    async fn progress(&self, d: Duration) -> bool {
        let steps = 10u8;
        let per = d / u32::from(steps);
        for i in 1..=steps {
            tokio::time::sleep(per).await;
            if i == self.stall_at {
                // PercentComplete stops moving for a while (FIELD-NOTES B1.8).
                tokio::time::sleep(field(&self.bmc).stall).await;
            }
            if i == 5 {
                if crate::faults::Faults::on(self.bmc.lock().faults.reboot_mid_task) {
                    self.unplanned_reboot();
                    return false;
                }
                if let Some(state) = self.transient {
                    if !self.task(|t| t.state = state) {
                        return false;
                    }
                    tokio::time::sleep(field(&self.bmc).pause).await;
                    if !self.task(|t| {
                        if matches!(t.state, TaskState::Interrupted | TaskState::Suspended) {
                            t.state = TaskState::Running;
                        }
                    }) {
                        return false;
                    }
                }
            }
            let pct = (u32::from(i) * 100 / u32::from(steps)).min(99) as u8;
            let alive = self.task(|t| {
                t.set_percent(pct);
                if i == 3 {
                    t.committed = true;
                }
            });
            if !alive {
                return false;
            }
            self.job(|j, _| j.percent = pct);
            if self.persona() == Persona::Ilo {
                self.hpe("Updating", Some(pct), None);
            }
        }
        true
    }

    /// The reboot-mid-task fault: the BMC goes away in the middle of the
    /// install; nothing is written and the task is gone when it is back.
    fn unplanned_reboot(&self) {
        let d = {
            let mut st = self.bmc.lock();
            st.field.aborted = true;
            reboot_time(&self.bmc, &st)
        };
        self.bmc.request_reboot_for(d);
    }

    /// Reboot the BMC now; `staged` becomes active when it is back.
    fn reboot_into(&self, staged: Option<Staged>) {
        let d = {
            let mut st = self.bmc.lock();
            if let Some(s) = staged {
                for c in st
                    .machine
                    .components
                    .iter_mut()
                    .filter(|c| s.keys.contains(&c.key))
                {
                    c.flash_count += 1;
                }
                st.field.on_boot.push(s);
            }
            reboot_time(&self.bmc, &st)
        };
        self.bmc.persist();
        let (bmc, delay) = (self.bmc.clone(), field(&self.bmc).reboot_delay);
        tokio::spawn(async move {
            tokio::time::sleep(delay).await;
            bmc.request_reboot_for(d);
        });
    }

    /// generic, openbmc, xcc: as the requested apply time.
    async fn standard(&self, staged: Staged, bmc_class: bool) {
        let p = self.persona();
        let apply = if matches!(p, Persona::Openbmc | Persona::Generic) && self.via == Via::RawPush
        {
            // bmcweb's raw push (and the DMTF model's) follows the
            // service-wide HttpPushUriApplyTime.
            self.bmc.lock().field.http_push_apply_time
        } else {
            self.req.apply_time
        };
        match apply {
            ApplyTime::OnStartUpdateRequest => {
                self.task(|t| {
                    t.push(
                        Registry::Update,
                        "AwaitToUpdate",
                        &[&staged.image, &staged.keys.join(",")],
                    );
                    t.set_state(TaskState::Pending);
                });
                self.bmc
                    .lock()
                    .field
                    .awaiting_start
                    .push((staged, bmc_class));
            }
            ApplyTime::OnReset => {
                if !self.progress(field(&self.bmc).bmc_flash).await {
                    return;
                }
                self.stage(staged, bmc_class);
            }
            ApplyTime::Immediate => self.immediate(staged, bmc_class).await,
        }
    }

    async fn immediate(&self, staged: Staged, bmc_class: bool) {
        let flash = if bmc_class {
            field(&self.bmc).bmc_flash
        } else {
            field(&self.bmc).bmc_flash / 2
        };
        if !self.progress(flash).await {
            return;
        }
        if bmc_class {
            // The image is written and Active; the BMC then reboots itself and
            // runs it (bmcweb handleCreateTask; commit 274dfe625f).
            let (p, image) = (self.persona(), staged.image.clone());
            let keys = staged.keys.clone();
            self.task(|t| {
                if p == Persona::Openbmc {
                    t.state = TaskState::Completed;
                    t.set_state(TaskState::Completed);
                } else {
                    for k in &keys {
                        t.push(Registry::Update, "UpdateSuccessful", &[k, &image]);
                    }
                    t.set_state(TaskState::Completed);
                }
            });
            self.finished();
            self.reboot_into(Some(staged));
        } else {
            // Host firmware under Immediate: the BMC resets the host itself.
            let mut st = self.bmc.lock();
            self.mark_staged(&mut st, &staged, false);
            st.field.staged_host.push(staged);
            crate::field::host::reset(&self.bmc, &mut st, true);
        }
    }

    /// Staged for a reset: the inventory keeps the running version and lists
    /// the staged image; bmcweb says `Stopping` + `TaskPaused`, the others
    /// `Pending` + `AwaitToActivate` + `ResetRequired`.
    fn stage(&self, staged: Staged, bmc_class: bool) {
        let mut st = self.bmc.lock();
        self.mark_staged(&mut st, &staged, true);
        if bmc_class {
            st.field.staged_bmc.push(staged);
        } else {
            st.field.staged_host.push(staged);
        }
        drop(st);
        self.bmc.persist();
    }

    fn mark_staged(&self, st: &mut BmcState, staged: &Staged, announce: bool) {
        let paths = crate::http::tree::Paths::of_machine(&st.machine);
        let bmc_class = is_bmc_class(st, &staged.keys);
        for c in st.machine.components.iter_mut() {
            if staged.keys.contains(&c.key) {
                c.staged_version = Some(staged.version.clone());
            }
        }
        if !announce {
            return;
        }
        let reset_uri = if bmc_class {
            format!("{}/Actions/Manager.Reset", paths.manager)
        } else {
            format!("{}/Actions/ComputerSystem.Reset", paths.system)
        };
        let p = st.machine.persona;
        if let Some(t) = staged.task_id.as_ref().and_then(|id| st.tasks.get_mut(id)) {
            if p == Persona::Openbmc {
                t.state = TaskState::Stopping;
                let id = t.id.clone();
                t.push(Registry::TaskEvent, "TaskPaused", &[&id]);
            } else {
                t.push(
                    Registry::Update,
                    "AwaitToActivate",
                    &[&staged.image, &staged.keys.join(",")],
                );
                t.push(
                    Registry::Base,
                    "ResetRequired",
                    &[&reset_uri, "GracefulRestart"],
                );
                t.state = TaskState::Pending;
            }
        }
    }

    /// iDRAC firmware: installed at once, then the iDRAC resets itself before
    /// its job says Completed; the task is gone, the job queue has the end
    /// (dell/iDRAC-Redfish-Scripting#231, #275).
    async fn idrac_bmc(&self, staged: Staged) {
        self.dell(
            "Running",
            "IDRAC.2.9.RED003",
            "Installing the package.",
            Some(TaskState::Running),
        );
        if !self.progress(field(&self.bmc).bmc_flash).await {
            return;
        }
        if let Some(j) = &staged.job {
            self.bmc.lock().field.on_boot_jobs.push(j.clone());
        }
        self.reboot_into(Some(staged));
    }

    /// iDRAC host firmware: a job scheduled for the next host reset
    /// (`TaskState: Starting`, `JobState: Scheduled`, `JCP001`); under
    /// Immediate an iDRAC9 resets the host itself (iDRAC-Redfish-Scripting#166).
    fn idrac_host(&self, staged: Staged) {
        self.dell(
            "Scheduled",
            "IDRAC.2.9.JCP001",
            "Task successfully scheduled.",
            None,
        );
        self.task(|t| t.state = TaskState::Starting);
        let mut st = self.bmc.lock();
        let cid = staged
            .keys
            .first()
            .and_then(|k| st.machine.components.iter().find(|c| &c.key == k))
            .and_then(|c| c.software_id.clone())
            .unwrap_or_else(|| "0".into());
        let entry = (cid, staged.version.clone());
        if !st.field.dell_available.contains(&entry) {
            st.field.dell_available.push(entry);
        }
        let immediate = self.req.apply_time == ApplyTime::Immediate;
        self.mark_staged(&mut st, &staged, false);
        st.field.staged_host.push(staged);
        if immediate {
            crate::field::host::reset(&self.bmc, &mut st, true);
        }
    }

    /// iLO firmware: flashed at once (progress in `Oem.Hpe`), then iLO resets
    /// itself and runs it (ilo-rest-api-docs `_ilo5_updateservicedoc.md`).
    async fn ilo_bmc(&self, staged: Staged) {
        self.hpe("Updating", Some(0), None);
        if !self.progress(field(&self.bmc).bmc_flash).await {
            return;
        }
        self.hpe("Complete", Some(100), None);
        let (image, keys) = (staged.image.clone(), staged.keys.clone());
        self.task(|t| {
            for k in &keys {
                t.push(Registry::Update, "UpdateSuccessful", &[k, &image]);
            }
            t.set_state(TaskState::Completed);
        });
        self.finished();
        self.reboot_into(Some(staged));
    }

    /// iLO System ROM (and other host firmware): written, staged for the next
    /// host reset; `Oem.Hpe.Result` says `SystemResetRequired`.
    async fn ilo_host(&self, staged: Staged) {
        self.hpe("Writing", None, None);
        if !self.progress(field(&self.bmc).bmc_flash / 2).await {
            return;
        }
        self.hpe(
            "Complete",
            None,
            Some(("iLO.2.15.SystemResetRequired", &[])),
        );
        let (image, keys) = (staged.image.clone(), staged.keys.clone());
        self.task(|t| {
            t.push(
                Registry::Update,
                "AwaitToActivate",
                &[&image, &keys.join(",")],
            );
            t.set_state(TaskState::Completed);
        });
        self.finished();
        let mut st = self.bmc.lock();
        self.mark_staged(&mut st, &staged, false);
        st.field.staged_host.push(staged);
    }

    /// AMI Lenovo BMC: the BMC restarts by itself after the flash and drops
    /// the session; the task does not see the end (lenovo_update_firmware.py:
    /// "BMC will restart automatically").
    async fn ami_bmc(&self, staged: Staged) {
        if !self.progress(field(&self.bmc).bmc_flash).await {
            return;
        }
        self.reboot_into(Some(staged));
    }

    /// Supermicro: the upload's Verify task ends Completed with blank messages;
    /// nothing is written until StartUpdate (bmclib providers/supermicro/docs/x12.md).
    fn smc_verified(&self, mut staged: Staged, bmc_class: bool) {
        let verify = field(&self.bmc).verify;
        let bmc = self.bmc.clone();
        let id = self.id.clone();
        staged.update_mode = true;
        tokio::spawn(async move {
            tokio::time::sleep(verify).await;
            let mut st = bmc.lock();
            if let Some(t) = id.as_ref().and_then(|id| st.tasks.get_mut(id)) {
                t.percent = 100;
                t.set_state(TaskState::Completed);
            }
            st.field.smc = Some(SmcPending { staged, bmc_class });
        });
    }
}

/// Which StartUpdate this is: Supermicro's, or the standard one.
pub fn start_update(bmc: &Arc<Bmc>, st: &mut BmcState) -> Result<Option<String>, RedfishError> {
    st.field.start_update_calls += 1;
    if st.machine.persona == Persona::Supermicro {
        let Some(pending) = st.field.smc.take() else {
            return Err(bad(StatusCode::BAD_REQUEST, "NoOperation", &[]));
        };
        for c in st
            .machine
            .components
            .iter_mut()
            .filter(|c| pending.staged.keys.contains(&c.key))
        {
            c.field.start_update_calls += 1;
        }
        // Still in update mode until the update has run.
        st.field.smc_running = true;
        st.task_seq += 1;
        let mut task = Task::new_update(
            Persona::Supermicro,
            st.task_seq,
            crate::http::tree::START_UPDATE,
        );
        task.name = if pending.bmc_class {
            "BMC Update"
        } else {
            "BIOS Update"
        }
        .to_string();
        task.blank_messages = true;
        let id = task.id.clone();
        st.insert_task(task);
        let bmc = bmc.clone();
        let tid = id.clone();
        tokio::spawn(async move { smc_install(bmc, tid, pending).await });
        return Ok(Some(id));
    }
    let held = std::mem::take(&mut st.field.awaiting_start);
    for (mut staged, bmc_class) in held {
        for c in st
            .machine
            .components
            .iter_mut()
            .filter(|c| staged.keys.contains(&c.key))
        {
            c.field.start_update_calls += 1;
        }
        staged.flashed = false;
        let bmc = bmc.clone();
        tokio::spawn(async move {
            let id = staged.task_id.clone();
            if let Some(id) = &id {
                update::with_task(&bmc, id, |t| t.set_state(TaskState::Running));
            }
            let (stall_at, transient) = {
                let st = bmc.lock();
                quirks(&bmc, &st, st.task_seq)
            };
            let run = Run {
                bmc: bmc.clone(),
                id,
                req: UpdateRequest {
                    source: Source::Discarded {
                        bytes: 0,
                        name: String::new(),
                    },
                    targets: staged.keys.clone(),
                    apply_time: ApplyTime::Immediate,
                    force: false,
                    via: crate::http::tree::START_UPDATE.into(),
                },
                via: Via::Multipart,
                extra: Extra::default(),
                stall_at,
                transient,
            };
            run.immediate(staged, bmc_class).await;
        });
    }
    Ok(None)
}

/// Supermicro's "BMC Update" / "BIOS Update" task after StartUpdate.
async fn smc_install(bmc: Arc<Bmc>, id: String, pending: SmcPending) {
    let (stall_at, transient) = {
        let st = bmc.lock();
        quirks(&bmc, &st, st.task_seq)
    };
    let run = Run {
        bmc: bmc.clone(),
        id: Some(id.clone()),
        req: UpdateRequest {
            source: Source::Discarded {
                bytes: 0,
                name: String::new(),
            },
            targets: pending.staged.keys.clone(),
            apply_time: ApplyTime::OnStartUpdateRequest,
            force: false,
            via: crate::http::tree::START_UPDATE.into(),
        },
        via: Via::Multipart,
        extra: Extra::default(),
        stall_at,
        transient,
    };
    let t = bmc.config.field.clone();
    update::with_task(&bmc, &id, |t| t.set_state(TaskState::Running));
    let d = if pending.bmc_class {
        t.bmc_flash
    } else {
        t.bios_flash
    };
    if !run.progress(d).await {
        bmc.lock().field.smc_running = false;
        return;
    }
    update::with_task(&bmc, &id, |t| {
        t.percent = 100;
        t.set_state(TaskState::Completed);
    });
    if pending.bmc_class {
        // The BMC reboots into the new firmware and leaves update mode then.
        run.reboot_into(Some(pending.staged));
    } else {
        let mut st = bmc.lock();
        st.field.smc_running = false;
        for c in st
            .machine
            .components
            .iter_mut()
            .filter(|c| pending.staged.keys.contains(&c.key))
        {
            c.flash_count += 1;
        }
        let mut staged = pending.staged;
        staged.flashed = true;
        st.field.staged_host.push(staged);
    }
}

/// `Manager.Reset` on a field BMC: staged BMC images activate after the reboot.
pub fn manager_reset(bmc: &Arc<Bmc>, st: &mut BmcState) -> Duration {
    let staged = std::mem::take(&mut st.field.staged_bmc);
    for s in staged {
        for c in st
            .machine
            .components
            .iter_mut()
            .filter(|c| s.keys.contains(&c.key))
        {
            c.flash_count += 1;
        }
        st.field.on_boot.push(s);
    }
    st.field.manager_resets += 1;
    reboot_time(bmc, st)
}

/// Going down for a reboot: sessions and every task are gone (bmcweb keeps
/// tasks in memory: `task.hpp`); the Dell job queue stays.
pub fn going_down(st: &mut BmcState) {
    for c in st.machine.components.iter_mut() {
        if c.kind == Kind::Bmc && c.role == Role::Active {
            c.field.resets_received += 1;
        }
    }
    st.sessions.clear();
    st.tasks.clear();
    st.task_order.clear();
    st.field.push_busy = None;
    st.field.reboots += 1;
}

/// Back from a reboot: activate what waited for it, finish Dell jobs, and
/// start the inventory-late window.
pub fn back_up(bmc: &Bmc) {
    let mut st = bmc.lock();
    let persona = st.machine.persona;
    let activations = std::mem::take(&mut st.field.on_boot);
    let mut config_reset = false;
    for s in &activations {
        for k in &s.keys {
            write_version(&mut st, k, &s.version, persona);
        }
        if s.update_mode || persona == Persona::Supermicro {
            st.field.smc_running = false;
            st.field.smc = None;
            let kept = s.preserve.get("PreserveCfg").copied() == Some(true);
            if !kept && crate::faults::Faults::on(st.faults.no_preserve_resets_config) {
                config_reset = true;
            }
        }
    }
    if config_reset {
        st.field.credentials_reset = true;
    }
    for jid in std::mem::take(&mut st.field.on_boot_jobs) {
        if let Some(j) = st.field.jobs.get_mut(&jid) {
            j.set(
                "Completed",
                "IDRAC.2.9.RED001",
                "Job completed successfully.",
            );
        }
    }
    st.field.aborted = false;
    if persona == Persona::Ilo {
        st.field.hpe = HpeState::default();
    }
    if crate::faults::Faults::on(st.faults.inventory_late) {
        st.field.inventory_partial_until = Some(Instant::now() + bmc.config.field.inventory_late);
    }
    drop(st);
    bmc.persist();
}

/// Write a version that has become active (Dell keeps the old as `Previous-`).
fn write_version(st: &mut BmcState, key: &str, version: &str, persona: Persona) {
    let silently = crate::faults::Faults::on(st.faults.silently_not_applied);
    let Some(c) = st.machine.components.iter_mut().find(|c| c.key == key) else {
        return;
    };
    let old = c.version.clone();
    c.staged_version = None;
    if !silently {
        c.version = version.to_string();
    }
    c.refresh_id(persona);
    if persona == Persona::Idrac && !silently && old != version {
        crate::state::keep_previous(&mut st.machine.components, key, old, persona);
    }
}

/// How much longer a POST takes for the host firmware it applies.
pub fn host_flash_time(bmc: &Bmc) -> Duration {
    let st = bmc.lock();
    let t = &bmc.config.field;
    let kinds: Vec<Kind> = st
        .field
        .staged_host
        .iter()
        .filter(|s| !s.flashed || st.machine.persona == Persona::Supermicro)
        .flat_map(|s| s.keys.iter())
        .filter_map(|k| st.machine.components.iter().find(|c| &c.key == k))
        .map(|c| c.kind)
        .collect();
    let mut d = Duration::ZERO;
    if kinds.contains(&Kind::Bios) {
        d += t.bios_flash;
    }
    if kinds.iter().any(|k| *k != Kind::Bios) {
        d += t.device_flash;
    }
    d
}

/// The POST reached the flash: staged host firmware is being written; Dell
/// jobs run and the inventory shows `Current-` (running) and `Installed-`
/// (written) side by side.
pub fn host_flash_started(bmc: &Bmc) {
    let mut st = bmc.lock();
    let persona = st.machine.persona;
    let staged: Vec<Staged> = st.field.staged_host.clone();
    for s in &staged {
        if !s.flashed {
            for c in st
                .machine
                .components
                .iter_mut()
                .filter(|c| s.keys.contains(&c.key))
            {
                c.flash_count += 1;
            }
        }
        if persona == Persona::Idrac {
            for k in &s.keys {
                st.field.dell_pending.insert(k.clone());
            }
            if let Some(j) = s.job.as_ref().and_then(|j| st.field.jobs.get_mut(j)) {
                j.set("Running", "IDRAC.2.9.RED003", "Installing the package.");
                j.percent = 50;
            }
            if let Some(t) = s.task_id.as_ref().and_then(|id| st.tasks.get_mut(id)) {
                t.state = TaskState::Running;
                t.oem_job = Some((
                    "Running",
                    "IDRAC.2.9.RED003",
                    "Installing the package.".into(),
                ));
            }
        }
    }
    for s in st.field.staged_host.iter_mut() {
        s.flashed = true;
    }
}

/// POST finished hardware initialisation: the flashed host firmware runs.
pub fn host_post_done(bmc: &Bmc) {
    let mut st = bmc.lock();
    let persona = st.machine.persona;
    let (done, keep): (Vec<Staged>, Vec<Staged>) = std::mem::take(&mut st.field.staged_host)
        .into_iter()
        .partition(|s| s.flashed);
    st.field.staged_host = keep;
    let vanish = Some(bmc.config.field.task_vanish);
    for s in &done {
        for k in &s.keys {
            write_version(&mut st, k, &s.version, persona);
            st.field.dell_pending.remove(k);
        }
        if let Some(j) = s.job.as_ref().and_then(|j| st.field.jobs.get_mut(j)) {
            j.set(
                "Completed",
                "IDRAC.2.9.RED001",
                "Job completed successfully.",
            );
        }
        if let Some(id) = &s.task_id {
            if let Some(t) = st.tasks.get_mut(id) {
                if persona == Persona::Idrac {
                    t.oem_job = Some((
                        "Completed",
                        "IDRAC.2.9.RED001",
                        "Job completed successfully.".into(),
                    ));
                }
                if !t.state.is_terminal() {
                    if persona == Persona::Openbmc {
                        t.set_state(TaskState::Completed);
                    } else {
                        for k in &s.keys {
                            t.push(Registry::Update, "UpdateSuccessful", &[k, &s.image]);
                        }
                        t.set_state(TaskState::Completed);
                    }
                }
            }
            if persona == Persona::Idrac {
                st.schedule_vanish(id, vanish);
            }
        }
    }
    if persona == Persona::Ilo && !done.is_empty() {
        st.field.hpe = HpeState::default();
    }
    drop(st);
    if !done.is_empty() {
        bmc.persist();
    }
}
