//! GPUs (`nvidia.com/gpu`, a Kubernetes extended resource) of the catalog's machine types.
//!
//! The price files give vCPU and memory but not accelerators, so the count comes from the
//! machine type's name, as each cloud documents it:
//!
//! - GCP accelerator-optimized machine types (cloud.google.com/compute/docs/accelerator-
//!   optimized-machines): `a2-highgpu-{1,2,4,8}g` and `a2-megagpu-16g` (A100 40GB),
//!   `a2-ultragpu-{1,2,4,8}g` (A100 80GB), `a3-highgpu-{1,2,4,8}g` and `a3-megagpu-8g`
//!   (H100 80GB): the count is the number before the final `g`. `g2-standard-{4,8,12,16,32}`
//!   have one L4, `g2-standard-24` two, `-48` four, `-96` eight. `g4-standard-{48,96,192,384}`
//!   have 1, 2, 4, 8 RTX PRO 6000; the smaller g4 types share one GPU (a fraction, not a
//!   whole `nvidia.com/gpu`), so they count 0 here.
//! - AWS accelerated computing instances (docs.aws.amazon.com/ec2/latest/instancetypes/ac.html
//!   and the previous-generation list): `p2.xlarge` 1, `p2.8xlarge` 8, `p2.16xlarge` 16 (K80);
//!   `p3.2xlarge` 1, `p3.8xlarge` 4, `p3.16xlarge` 8 (V100); `g2.2xlarge` 1, `g2.8xlarge` 4
//!   (K520); `g3.4xlarge` 1, `g3.8xlarge` 2, `g3.16xlarge` 4 (M60) — the GPU types of the 2017
//!   price file.
//!
//! The device plugin advertises whole GPUs as the node's capacity and allocatable of
//! `nvidia.com/gpu` (kubernetes.io/docs/concepts/extend-kubernetes/compute-storage-net/
//! device-plugins); a pod requests whole GPUs, and a node holds at most its count.

/// Whole GPUs of one node of `instance_type` (0 for every type without one).
pub fn gpus_of(instance_type: &str) -> u32 {
    const AWS: [(&str, u32); 11] = [
        ("g2.2xlarge", 1),
        ("g2.8xlarge", 4),
        ("g3.16xlarge", 4),
        ("g3.4xlarge", 1),
        ("g3.8xlarge", 2),
        ("p2.16xlarge", 16),
        ("p2.8xlarge", 8),
        ("p2.xlarge", 1),
        ("p3.16xlarge", 8),
        ("p3.2xlarge", 1),
        ("p3.8xlarge", 4),
    ];
    if let Some(&(_, n)) = AWS.iter().find(|(t, _)| *t == instance_type) {
        return n;
    }
    for family in [
        "a2-highgpu-",
        "a2-megagpu-",
        "a2-ultragpu-",
        "a3-highgpu-",
        "a3-megagpu-",
    ] {
        if let Some(rest) = instance_type.strip_prefix(family) {
            return rest
                .strip_suffix('g')
                .and_then(|n| n.parse().ok())
                .unwrap_or(0);
        }
    }
    let size = |prefix: &str| {
        instance_type
            .strip_prefix(prefix)
            .and_then(|n| n.parse::<u32>().ok())
    };
    match (size("g2-standard-"), size("g4-standard-")) {
        (Some(24), _) => 2,
        (Some(48), _) => 4,
        (Some(96), _) => 8,
        (Some(_), _) => 1,
        (_, Some(vcpu)) if vcpu >= 48 => vcpu / 48,
        _ => 0,
    }
}

/// The Cluster Autoscaler's utilization of a node with GPUs: requested over allocatable
/// `nvidia.com/gpu`, and nothing else. Upstream (`cluster-autoscaler/simulator/utilization/
/// info.go` `Calculate`, tag `cluster-autoscaler-1.36.1`): when the cloud provider reports a
/// GPU config for the node, "skips cpu and memory utilization calculation for node with GPU"
/// and returns the GPU utilization as the node's; so a GPU node whose GPUs are idle is a
/// scale-down candidate however busy its CPU (its CPU pods must still fit elsewhere, which the
/// drain simulation decides). `None` for a node without GPUs: cpu and memory decide.
pub fn scale_down_utilization(gpus_requested: u32, gpus_allocatable: u32) -> Option<f64> {
    (gpus_allocatable > 0).then(|| f64::from(gpus_requested) / f64::from(gpus_allocatable))
}

#[cfg(test)]
mod tests {
    use super::{gpus_of, scale_down_utilization};

    #[test]
    fn a_gpu_node_is_as_utilized_as_its_gpus() {
        // Two of four GPUs asked: 0.5, whatever the cpu; none of a CPU node's: cpu decides.
        assert_eq!(scale_down_utilization(2, 4), Some(0.5));
        assert_eq!(scale_down_utilization(0, 1), Some(0.0));
        assert_eq!(scale_down_utilization(0, 0), None);
    }

    #[test]
    fn documented_counts() {
        for (t, n) in [
            ("a2-highgpu-1g", 1),
            ("a2-highgpu-8g", 8),
            ("a2-megagpu-16g", 16),
            ("a2-ultragpu-4g", 4),
            ("a3-highgpu-8g", 8),
            ("a3-megagpu-8g", 8),
            ("g2-standard-4", 1),
            ("g2-standard-32", 1),
            ("g2-standard-24", 2),
            ("g2-standard-48", 4),
            ("g2-standard-96", 8),
            ("g4-standard-48", 1),
            ("g4-standard-384", 8),
            ("g4-standard-24", 0),
            ("p2.xlarge", 1),
            ("p2.16xlarge", 16),
            ("p3.8xlarge", 4),
            ("g3.8xlarge", 2),
            ("n2-standard-8", 0),
            ("m4.large", 0),
        ] {
            assert_eq!(gpus_of(t), n, "{t}");
        }
    }
}
