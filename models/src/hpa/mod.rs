//! HorizontalPodAutoscaler v2 (issue 7): filled in by the HPA work.
