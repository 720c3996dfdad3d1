//! The `policies` section of an experiment, as written: scaling policies beyond the stock
//! controllers. Every struct denies unknown fields; every default is documented on its field.
//! The loader (`src/input/policies.rs`) checks the cross-references and resolves the policies
//! into steps and plans (`crate::policy::model`).

use serde::{Deserialize, Serialize};
use workloads::traffic::TimeZone;

/// Every scaling policy of the run. Default: none.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PoliciesConfig {
    /// Cron-scheduled actions on services, e.g. business hours.
    #[serde(default)]
    pub scheduled: Vec<ScheduledAction>,
}

/// A scheduled scaling action (AWS EC2 Auto Scaling scheduled actions: `Recurrence`,
/// `TimeZone`, `MinSize`/`MaxSize`/`DesiredCapacity`; KEDA's `cron` scaler: `timezone`, `start`,
/// `desiredReplicas`): at each time `cron` fires in `time_zone`, set the service's bounds or
/// replicas in each of its regions.
///
/// On a service with an `hpa`, `min_replicas` and/or `max_replicas` set the HPA's bounds from
/// its next sync on, and the HPA keeps scaling within them (a minimum raises the maximum when
/// higher, a maximum lowers the minimum when lower), as KEDA's cron scaler keeps a floor under
/// the HPA. On a service without one, `replicas` sets the desired replicas (AWS
/// `DesiredCapacity`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScheduledAction {
    /// Names the action in events (`ScheduledScaling`).
    pub name: String,
    /// A cron pattern, e.g. "0 8 * * 1-5" (08:00 Monday to Friday); see `policy::cron`.
    pub cron: String,
    /// The IANA zone the pattern is read in, e.g. "Europe/Paris". Default "UTC", as for AWS
    /// scheduled actions (KEDA's cron scaler requires its `timezone`).
    #[serde(default = "utc")]
    pub time_zone: TimeZone,
    /// The service the action scales.
    pub service: String,
    /// Regions of the service it acts in. Default: all of the service's.
    #[serde(default)]
    pub regions: Option<Vec<String>>,
    /// The HPA's `minReplicas` from then on (services with an `hpa`; at least 1).
    #[serde(default)]
    pub min_replicas: Option<u32>,
    /// The HPA's `maxReplicas` from then on (services with an `hpa`; at least 1).
    #[serde(default)]
    pub max_replicas: Option<u32>,
    /// Desired replicas (services without an `hpa`).
    #[serde(default)]
    pub replicas: Option<u32>,
}

fn utc() -> TimeZone {
    TimeZone::UTC
}
