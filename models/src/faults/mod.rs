//! Faults and failover (issue 9): spot reclaims, node/zone/region failures, RPO and RTO.
