//! Node autoscaling (issue 8): Cluster Autoscaler and Karpenter decision logic.
