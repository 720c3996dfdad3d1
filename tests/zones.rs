//! Zones checked against the provider's zone list (issue 17, item 4): a zone the provider does
//! not have is refused by `validate` with exit 2 at its line and column, a real one is accepted,
//! and a region the list does not cover is checked by pattern only, saying so.

mod common;

use std::fs;

use common::{GOOD, clustersim, text};
use models::catalog::{Provider, ZoneList};

/// `clustersim validate` on `src` written to a temporary file: (exit code, the file's path,
/// stderr).
fn validate(src: &str) -> (Option<i32>, String, String) {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("x.ron");
    fs::write(&file, src).unwrap();
    let path = file.to_str().unwrap().to_owned();
    let out = clustersim(&["validate", &path]);
    (out.status.code(), path, text(&out.stderr))
}

/// The common experiment moved to AWS: one region with `zones`, a pool of `m4.large`.
fn aws(region: &str, zones: &str) -> String {
    GOOD.replace(
        r#"(name: "us-east1", zones: ["us-east1-b"])"#,
        &format!(r#"(name: "{region}", provider: aws, zones: [{zones}])"#),
    )
    .replace(
        r#"region: "us-east1", instance_type: "e2-standard-4""#,
        &format!(r#"region: "{region}", instance_type: "m4.large""#),
    )
}

#[test]
fn a_gcp_zone_the_provider_does_not_have_is_refused() {
    let src = GOOD.replace(r#"["us-east1-b"]"#, r#"["us-east1-b", "us-east1-z"]"#);
    let (code, path, err) = validate(&src);
    assert_eq!(code, Some(2), "{err}");
    // Line 4: `    regions: [(name: "us-east1", zones: ["us-east1-b", `, then the quote at 56.
    assert!(
        err.contains(&format!("{path}:4:56: regions[0].zones[1]: ")),
        "{err}"
    );
    // All three zones are one edit away; the first wins the tie.
    assert!(
        err.contains(
            "zone `us-east1-z` is not a zone of region `us-east1`: did you mean `us-east1-b`? \
             The Gcp zone list has `us-east1-b`, `us-east1-c`, `us-east1-d`"
        ),
        "{err}"
    );
}

#[test]
fn an_aws_zone_the_provider_does_not_have_is_refused() {
    let (code, path, err) = validate(&aws("us-east-1", r#""us-east-1z""#));
    assert_eq!(code, Some(2), "{err}");
    // Line 4: `    regions: [(name: "us-east-1", provider: aws, zones: [`, the quote at 58.
    assert!(
        err.contains(&format!("{path}:4:58: regions[0].zones[0]: ")),
        "{err}"
    );
    assert!(
        err.contains(
            "zone `us-east-1z` is not a zone of region `us-east-1`: did you mean `us-east-1a`? \
             The Aws zone list has `us-east-1a`, `us-east-1b`, `us-east-1c`, `us-east-1d`, \
             `us-east-1e`, `us-east-1f`"
        ),
        "{err}"
    );
}

#[test]
fn real_zones_are_accepted() {
    let gcp = GOOD
        .replace(r#""us-east1""#, r#""us-central1""#)
        .replace(r#"["us-east1-b"]"#, r#"["us-central1-a", "us-central1-f"]"#);
    let (code, _, err) = validate(&gcp);
    assert_eq!(code, Some(0), "{err}");
    let (code, _, err) = validate(&aws("us-east-1", r#""us-east-1a", "us-east-1f""#));
    assert_eq!(code, Some(0), "{err}");
    // An AWS Local Zone is checked by form only: the list holds Availability Zones.
    let (code, _, err) = validate(&aws("us-east-1", r#""us-east-1-bos-1a""#));
    assert_eq!(code, Some(0), "{err}");
}

#[test]
fn a_region_the_list_does_not_cover_is_checked_by_pattern_only() {
    // us-west-1's letters differ between AWS accounts, so the list leaves it out: any letter
    // passes, a name of the wrong form is refused and the message says why only the form is
    // checked.
    let (code, _, err) = validate(&aws("us-west-1", r#""us-west-1c""#));
    assert_eq!(code, Some(0), "{err}");
    let (code, path, err) = validate(&aws("us-west-1", r#""us-west-1ab""#));
    assert_eq!(code, Some(2), "{err}");
    assert!(
        err.contains(&format!("{path}:4:58: regions[0].zones[0]: ")),
        "{err}"
    );
    assert!(
        err.contains(
            "zone `us-west-1ab` is not a zone of region `us-west-1`: expected the region and a \
             zone letter, such as `us-west-1a` (zones of `us-west-1` are checked by pattern \
             only: the Aws zone list does not cover this region, so the letter itself is not \
             checked)"
        ),
        "{err}"
    );
}

#[test]
fn a_pool_zone_listed_by_the_provider_but_not_declared_says_so() {
    let src = GOOD.replace(
        r#"region: "us-east1", instance_type"#,
        r#"region: "us-east1", zones: ["us-east1-d"], instance_type"#,
    );
    let (code, path, err) = validate(&src);
    assert_eq!(code, Some(2), "{err}");
    // Line 5: `    node_pools: [(name: "p", region: "us-east1", zones: [`, the quote at 58.
    assert!(
        err.contains(&format!("{path}:5:58: node_pools[0].zones[0]: ")),
        "{err}"
    );
    assert!(
        err.contains(
            "zone `us-east1-d` is not a zone of region `us-east1`: did you mean `us-east1-b`? \
             Expected one of the region's zones: `us-east1-b` (`us-east1-d` is in the Gcp zone \
             list: add it to the region's `zones` to use it)"
        ),
        "{err}"
    );
}

/// The zones of every region the bundled examples (but the generated Black Friday files, which
/// `tests/cli.rs` validates) use, hand-checked against the sources named in
/// `data/PROVENANCE.md`: gcpdiag's `compute-zones.json` and moto's zone table.
#[test]
fn the_table_holds_the_zones_of_the_bundled_examples() {
    let gcp = ZoneList::builtin(Provider::Gcp).unwrap();
    let expected_gcp: [(&str, &[&str]); 4] = [
        ("us-east1", &["us-east1-b", "us-east1-c", "us-east1-d"]),
        (
            "europe-west1",
            &["europe-west1-b", "europe-west1-c", "europe-west1-d"],
        ),
        (
            "us-central1",
            &[
                "us-central1-a",
                "us-central1-b",
                "us-central1-c",
                "us-central1-f",
            ],
        ),
        (
            "asia-northeast1",
            &[
                "asia-northeast1-a",
                "asia-northeast1-b",
                "asia-northeast1-c",
            ],
        ),
    ];
    for (region, zones) in expected_gcp {
        assert_eq!(gcp.zones_of(region).unwrap(), zones, "{region}");
    }
    let aws = ZoneList::builtin(Provider::Aws).unwrap();
    let expected_aws: [(&str, &[&str]); 3] = [
        (
            "us-east-1",
            &[
                "us-east-1a",
                "us-east-1b",
                "us-east-1c",
                "us-east-1d",
                "us-east-1e",
                "us-east-1f",
            ],
        ),
        (
            "us-west-2",
            &["us-west-2a", "us-west-2b", "us-west-2c", "us-west-2d"],
        ),
        ("eu-west-1", &["eu-west-1a", "eu-west-1b", "eu-west-1c"]),
    ];
    for (region, zones) in expected_aws {
        assert_eq!(aws.zones_of(region).unwrap(), zones, "{region}");
    }
}
