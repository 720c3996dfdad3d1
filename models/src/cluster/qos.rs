//! A pod's Quality-of-Service class, as the kubelet and kube-apiserver derive it.
//!
//! `GetPodQOS` (kubernetes `pkg/apis/core/v1/helper/qos/qos.go`): a pod with no CPU or memory
//! request or limit is **BestEffort**; one whose containers all have CPU and memory limits equal
//! to their requests is **Guaranteed**; anything else is **Burstable**. clustersim's pods have one
//! container, so the rule applies to the service's requests and limits directly. A zero quantity
//! counts as unset, as upstream's `IsZero` checks do.

use serde::{Deserialize, Serialize};

/// The QoS class.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum QosClass {
    Guaranteed,
    Burstable,
    BestEffort,
}

impl QosClass {
    pub fn as_str(self) -> &'static str {
        match self {
            QosClass::Guaranteed => "Guaranteed",
            QosClass::Burstable => "Burstable",
            QosClass::BestEffort => "BestEffort",
        }
    }
}

/// The class of a pod with these requests and limits (`None` or 0: unset), each as
/// (cpu millicores, memory bytes).
pub fn qos_class(requests: (u64, u64), limits: (Option<u64>, Option<u64>)) -> QosClass {
    let limits = (limits.0.filter(|&l| l > 0), limits.1.filter(|&l| l > 0));
    if requests == (0, 0) && limits == (None, None) {
        return QosClass::BestEffort;
    }
    match limits {
        (Some(cpu), Some(memory)) if requests == (cpu, memory) => QosClass::Guaranteed,
        _ => QosClass::Burstable,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classes_follow_get_pod_qos() {
        assert_eq!(qos_class((0, 0), (None, None)), QosClass::BestEffort);
        assert_eq!(qos_class((500, 1 << 30), (None, None)), QosClass::Burstable);
        assert_eq!(
            qos_class((500, 1 << 30), (Some(500), Some(1 << 30))),
            QosClass::Guaranteed
        );
        // A CPU limit above the request, or a missing memory limit: Burstable.
        assert_eq!(
            qos_class((500, 1 << 30), (Some(1000), Some(1 << 30))),
            QosClass::Burstable
        );
        assert_eq!(
            qos_class((500, 1 << 30), (Some(500), None)),
            QosClass::Burstable
        );
        // Limits without requests: Burstable here (the API would default the requests to the
        // limits; clustersim's requests are always written).
        assert_eq!(qos_class((0, 0), (Some(500), None)), QosClass::Burstable);
    }
}
