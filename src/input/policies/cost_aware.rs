//! `policies.cost_aware[i]`: a cost-aware policy checked and resolved into the budget of each
//! HPA it cuts (`models::hpa::cost_aware`), refused on a service without an HPA and on an HPA
//! another cost-aware policy already cuts.

use models::hpa::cost_aware::HpaBudget;
use models::hpa::model::HpaPlan;
use models::plan::ServicePlan;
use models::policy::config::CostAwarePolicy;

use super::{check_allowance, check_name, service_targets};
use crate::error::{FieldError, fail};

/// One cost-aware policy; errors relative to it.
pub fn cost_aware(
    policy: &CostAwarePolicy,
    services: &[ServicePlan],
    hpas: &mut [HpaPlan],
) -> Result<(), FieldError> {
    check_name(&policy.name, "black-friday-budget")?;
    check_allowance(policy.budget_usd, policy.budget_usd_per_hour)?;
    let Some(allowance) = policy.allowance() else {
        return fail("budget_usd", "expected a budget");
    };
    for (field, v) in [
        ("low_share", policy.low_share),
        ("scale_up_factor", policy.scale_up_factor),
    ] {
        if !(v.is_finite() && v > 0.0 && v <= 1.0) {
            return fail(field, "expected a share in (0, 1], such as 0.6");
        }
    }
    let targets: Vec<u32> = match &policy.services {
        None => hpas.iter().map(|h| h.service).collect(),
        Some(names) => {
            if names.is_empty() {
                return fail(
                    "services",
                    "expected at least one service, or no `services` field for every service \
                     with an HPA",
                );
            }
            let mut ids = Vec::new();
            for (j, name) in names.iter().enumerate() {
                let at = format!("services[{j}]");
                let named = service_targets(name, None, services)
                    .map_err(|e| FieldError::new(at.clone(), e.message))?;
                for id in named {
                    if !hpas.iter().any(|h| h.service == id) {
                        let s = &services[id as usize];
                        return fail(
                            at,
                            format!(
                                "service `{}` in {} has no HPA: a cost-aware policy cuts an \
                                 HPA's scale-ups; expected a service with an `hpa` or an \
                                 event-driven scaler",
                                s.name, s.region
                            ),
                        );
                    }
                    ids.push(id);
                }
            }
            ids
        }
    };
    if targets.is_empty() {
        return fail(
            "services",
            "no service has an HPA: a cost-aware policy cuts HPAs' scale-ups",
        );
    }
    for h in hpas.iter_mut().filter(|h| targets.contains(&h.service)) {
        if let Some(other) = &h.cost_aware {
            return fail(
                "services",
                format!(
                    "hpa/{} is already cut by cost-aware policy `{}`: expected one per HPA",
                    h.name, other.policy
                ),
            );
        }
        h.cost_aware = Some(HpaBudget {
            policy: policy.name.clone(),
            allowance,
            low_share: policy.low_share,
            scale_up_factor: policy.scale_up_factor,
        });
    }
    Ok(())
}
