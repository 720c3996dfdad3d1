//! Jobs and CronJobs (`batch/v1`) → `batch` workloads (`models::jobs::config`): the pod
//! template's requests (its containers summed, as for a service) and priority class,
//! `parallelism`, `completions`, `backoffLimit`, `activeDeadlineSeconds`, and Kueue's
//! `kueue.x-k8s.io/queue-name` label as the `queue`. How long a Job's pods run no manifest
//! says: it is the `TODO` of every Job. A CronJob's Jobs arrive at each time its `schedule`
//! fires in its `timeZone` (checked here as a cron pattern and an IANA name): `Schedule`
//! arrivals (`models::jobs::schedule`, which cites the CronJob controller), whose `duration` is
//! the TODO. A plain Job's arrivals are a TODO whole (a rate of Jobs, or a trace). A CronJob
//! with `suspend: true` creates no Jobs: its arrivals are known, a rate of 0. Of
//! `concurrencyPolicy` only `Allow` (the default) is modelled (Jobs run whenever they arrive):
//! `Forbid` and `Replace` act on the CronJob's running Jobs, which the batch model does not
//! link to a CronJob, and are refused. `startingDeadlineSeconds` only matters when the
//! controller misses a schedule, which the simulated one never does: ignored, with the warning.
//! Batch pods go to the region's untainted pools: a node selector, tolerations, node affinity
//! or spread constraints, and a `podFailurePolicy`, would change that and are refused.

use models::cron::CronPattern;
use workloads::traffic::TimeZone;

use super::model::Job;
use super::walk::{At, Warnings};
use super::workload;
use crate::error::InputError;

/// Kueue's label naming a Job's LocalQueue.
const QUEUE_LABEL: &str = "kueue.x-k8s.io/queue-name";

/// What Kubernetes accepts of a CronJob's `schedule` beyond a cron pattern croner reads: the
/// API server parses it with robfig/cron's `ParseStandard` (five fields, or a descriptor such
/// as `@daily`), and refuses a `TZ=`/`CRON_TZ=` prefix in new objects ("use timeZone field
/// instead"; `validateScheduleFormat`, `pkg/apis/batch/validation/validation.go`). croner would
/// take a seconds field, which the API server refuses; robfig's `@every 1h30m`, which it
/// accepts, croner does not read, so it is refused here with that reason.
fn kubernetes_schedule(pattern: &str) -> Result<(), String> {
    if pattern.contains("TZ") {
        return Err(
            "Kubernetes refuses TZ or CRON_TZ in a CronJob's schedule: use the timeZone field"
                .to_owned(),
        );
    }
    if pattern.trim_start().starts_with("@every") {
        return Err(
            "an `@every` interval is not modelled: expected a five-field schedule such \
                    as \"*/30 * * * *\", or @hourly, @daily, @weekly, @monthly, @yearly"
                .to_owned(),
        );
    }
    let fields = pattern.split_whitespace().count();
    if !pattern.trim_start().starts_with('@') && fields != 5 {
        return Err(format!(
            "a CronJob's schedule has 5 fields (minute hour day-of-month month day-of-week), \
             as Kubernetes parses it (robfig/cron's ParseStandard), not {fields}"
        ));
    }
    Ok(())
}

/// A Job, or a CronJob's `jobTemplate`.
pub fn job(
    kind: &str,
    obj: &At,
    name: String,
    namespace: String,
    w: &mut Warnings,
) -> Result<Job, InputError> {
    let mut suspended = false;
    let (spec, labels, schedule) = if kind == "CronJob" {
        let spec = obj.need("spec")?;
        spec.fields(
            kind,
            &[
                "schedule",
                "timeZone",
                "jobTemplate",
                "concurrencyPolicy",
                "suspend",
            ],
            &[
                "successfulJobsHistoryLimit",
                "failedJobsHistoryLimit",
                "startingDeadlineSeconds",
            ],
            w,
        )?;
        if let Some(c) = spec.get("concurrencyPolicy")?
            && c.str()? != "Allow"
        {
            return Err(c.error(
                "only concurrencyPolicy Allow is modelled (Jobs run whenever they arrive): \
                 Forbid and Replace act on the CronJob's running Jobs, which the batch model \
                 does not link to their CronJob",
            ));
        }
        if let Some(s) = spec.get("suspend")? {
            suspended = s.bool()?;
        }
        let template = spec.need("jobTemplate")?;
        template.fields(kind, &["metadata", "spec"], &[], w)?;
        let at = spec.need("schedule")?;
        let pattern = at.str()?;
        kubernetes_schedule(pattern).map_err(|e| at.error(e))?;
        CronPattern::parse(pattern).map_err(|e| at.error(e))?;
        let zone = match spec.get("timeZone")? {
            Some(z) => {
                let name = z.str()?;
                TimeZone::parse(name).map_err(|e| z.error(e))?;
                Some(name.to_owned())
            }
            None => None,
        };
        (
            template.need("spec")?,
            template.get("metadata")?,
            Some((pattern.to_owned(), zone)),
        )
    } else {
        (obj.need("spec")?, obj.get("metadata")?, None)
    };
    spec.fields(
        kind,
        &[
            "parallelism",
            "completions",
            "backoffLimit",
            "activeDeadlineSeconds",
            "template",
            "podFailurePolicy",
        ],
        &["selector", "manualSelector"],
        w,
    )?;
    if let Some(p) = spec.get("podFailurePolicy")? {
        return Err(p.error("podFailurePolicy is not modelled: every pod failure counts"));
    }
    let template = spec.need("template")?;
    let pod = workload::from_template(
        kind,
        obj,
        &template,
        (name.clone(), namespace.clone()),
        1,
        w,
    )?;
    let pod_spec = template.need("spec")?;
    for (field, set) in [
        ("nodeSelector", !pod.node_selector.is_empty()),
        ("tolerations", !pod.tolerations.is_empty()),
        ("affinity", !pod.node_affinity.is_empty()),
        ("topologySpreadConstraints", !pod.topology_spread.is_empty()),
    ] {
        if set {
            return Err(pod_spec.need(field)?.error(format!(
                "{field} is not modelled for Jobs: their pods go to the region's untainted node \
                 pools; remove it"
            )));
        }
    }
    let queue = match labels {
        Some(m) => match m.get("labels")? {
            Some(l) => l.get(QUEUE_LABEL)?.map(|q| q.scalar()).transpose()?,
            None => None,
        },
        None => None,
    };
    let count = |key: &str| -> Result<Option<u32>, InputError> {
        spec.get(key)?.map(|v| v.int()).transpose()
    };
    Ok(Job {
        source: format!("{kind} {namespace}/{name} at {}", obj.place()),
        name,
        namespace,
        priority_class: pod.priority_class,
        cpu: pod.cpu,
        memory: pod.memory,
        parallelism: count("parallelism")?,
        completions: count("completions")?,
        backoff_limit: count("backoffLimit")?,
        active_deadline_s: count("activeDeadlineSeconds")?,
        queue,
        schedule,
        suspended,
    })
}
