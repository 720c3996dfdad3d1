//! The cloud instance catalog: vCPU, memory and hourly prices per (instance type, region).
//!
//! The built-in data is embedded at compile time from `data/cloud/` (see `data/PROVENANCE.md`), so
//! the binary needs no data files at run time. [`Catalog::from_csv_str`] reads the same formats from
//! a user-supplied string (override files).
//!
//! Over 800 lines on purpose: 820 lines of code and source notes (one parser per provider's
//! files, each with what it keeps and drops, and the zone lists) and the tests of those
//! parsers, kept beside them.
//!
//! # Sources and what is made of them
//!
//! * **GCP**: `gcp_compute_instance_prices_2026-07-30.csv`, prices of 2026-07-30. Columns
//!   `machine_type,region,vcpu,memory_gb,ondemand_usd_per_hour,spot_usd_per_hour`; an empty spot
//!   field (168 rows) becomes `None`. `interruption_band` is always `None` for GCP.
//! * **AWS**: `aws_ec2_linux_prices_2017-11-12.csv` gives the rows: vCPU, `memory_gib` and the
//!   Linux on-demand price **of 2017-11-12**. Families launched later (m5, 6th/7th generation,
//!   Graviton, ...) are therefore absent. `aws_spot_advisor_linux_2025-06-28.csv` gives, per
//!   (region, instance type), the savings vs on-demand in % and the interruption band, **not a
//!   price**. Where such a row exists, the spot price is *estimated* as
//!   `ondemand * (1 - savings_vs_ondemand_pct / 100)`: a 2017 on-demand price combined with a 2025
//!   savings percentage, so it is an estimate, not a published price. Without a Spot Advisor row
//!   both `spot_usd_per_hour` and `interruption_band` are `None` (of the 964 EC2 rows, 817 have
//!   one; none of the 72 `us-gov-west-1` rows do).
//!
//! # Units
//!
//! * AWS `memory_gib` is GiB (the reference PROVENANCE: "`ram_gb` (GiB)" for the Spot Advisor; the
//!   EC2 file's column is named `memory_gib`).
//! * GCP `memory_gb` is described by the PROVENANCE only as "GCP's memory figure as given, e.g.
//!   n2-standard-4 = 16": no unit beyond "GB". It is read as **GiB (2^30 bytes)**, because GCP's
//!   "GB" is binary: the file's own custom type `custom-1-7680-ext` (7680 MB by GCP's custom-type
//!   naming) has `memory_gb` 7.5 = 7680 / 1024, and `n1-standard-1` has 3.75 = 3840 / 1024.
//! * Bytes are computed exactly from the decimal text (no floating point): `value * 2^30`, rounded
//!   to the nearest byte (half up). E.g. AWS t1.micro 0.613 GiB -> 658,203,738 bytes.
//! * Prices are US dollars per hour, parsed from the decimal text with `str::parse::<f64>`.
//!
//! # Data decisions
//!
//! * `vcpu` is a whole count (`u32`). GCP's shared-core `e2-micro` (vcpu 0.25) and `e2-small` (0.5)
//!   cannot be represented: they are left out of the rows and reported by
//!   [`Catalog::excluded_reason`] so error messages can say why. (`f1-micro` and `g1-small` are
//!   listed by the source with vcpu 1 although they are shared-core too; kept as given.)
//! * No (instance type, region) pair occurs twice in any of the three files (checked). A duplicate
//!   in a user file is an error rather than a silent choice, since either row could be the
//!   intended one.
//! * The files have no quoted fields and no embedded commas (checked), so the parser splits on `,`
//!   and rejects any field containing `"`.
//! * The Spot Advisor `vcpu`/`memory_gib` columns are validated but not used; they agree with the
//!   EC2 file except t1.micro (0.61 vs 0.613 GiB). One Spot Advisor row has a negative saving
//!   (ca-central-1 p5.48xlarge, -62 %); it has no EC2 2017 row so it does not reach the catalog,
//!   and a negative saving in a user file is kept as given (spot above on-demand).
//!
//! Rows are kept in a `Vec` sorted by (instance type, region) and looked up by binary search, so
//! every iteration order is deterministic.
//!
//! # Zones
//!
//! [`ZoneList`] holds the zone names per region from `gcp_zones_2025-03-20.csv` (42 GCP regions:
//! every region of the GCP price file but `asia-southeast3`) and `aws_zones_moto_2026-04-30.csv`
//! (10 AWS regions; AWS names zones per account in its oldest regions, and `us-west-1` and
//! `ap-northeast-1` are left out because their letters differ between accounts). A region that
//! a zone file does not cover has no list, and callers check its zones by form only.

use std::fmt;
use std::sync::OnceLock;

/// Embedded GCP Compute Engine prices (2026-07-30).
const GCP_CSV: &str =
    include_str!("../../data/cloud/gcp/gcp_compute_instance_prices_2026-07-30.csv");
const GCP_SOURCE: &str = "data/cloud/gcp/gcp_compute_instance_prices_2026-07-30.csv";
/// Embedded AWS EC2 Linux on-demand prices (2017-11-12).
const AWS_EC2_CSV: &str = include_str!("../../data/cloud/aws/aws_ec2_linux_prices_2017-11-12.csv");
const AWS_EC2_SOURCE: &str = "data/cloud/aws/aws_ec2_linux_prices_2017-11-12.csv";
/// Embedded AWS Spot Instance Advisor, Linux (snapshot of 2025-06-28).
const AWS_SPOT_CSV: &str =
    include_str!("../../data/cloud/aws/aws_spot_advisor_linux_2025-06-28.csv");
const AWS_SPOT_SOURCE: &str = "data/cloud/aws/aws_spot_advisor_linux_2025-06-28.csv";

const GCP_HEADER: [&str; 6] = [
    "machine_type",
    "region",
    "vcpu",
    "memory_gb",
    "ondemand_usd_per_hour",
    "spot_usd_per_hour",
];
const AWS_EC2_HEADER: [&str; 9] = [
    "instance_type",
    "region",
    "vcpu",
    "memory_gib",
    "ondemand_usd_per_hour",
    "reserved_1yr_standard_noupfront_usd_per_hour",
    "reserved_3yr_standard_allupfront_usd_per_hour",
    "generation",
    "family",
];
const AWS_SPOT_HEADER: [&str; 7] = [
    "region",
    "instance_type",
    "vcpu",
    "memory_gib",
    "savings_vs_ondemand_pct",
    "interruption_band_index",
    "interruption_band",
];

/// Bytes in one GiB.
const GIB: u128 = 1 << 30;

/// A cloud provider with a built-in catalog.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Provider {
    Gcp,
    Aws,
}

impl Provider {
    /// The lowercase name, as in serialized form: `"gcp"`, `"aws"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Provider::Gcp => "gcp",
            Provider::Aws => "aws",
        }
    }
}

impl fmt::Display for Provider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What the catalog knows about one instance type in one region.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct InstanceFacts {
    /// Machine type (GCP) or instance type (AWS), e.g. `n2-standard-8`, `m4.large`.
    pub instance_type: String,
    /// Provider region, e.g. `us-central1`, `us-east-1`.
    pub region: String,
    /// Whole vCPUs.
    pub vcpu: u32,
    /// Memory in bytes (source GiB * 2^30, rounded to the nearest byte).
    pub memory_bytes: u64,
    /// On-demand Linux price, USD per hour.
    pub ondemand_usd_per_hour: f64,
    /// Spot price, USD per hour. GCP: published. AWS: estimated from the Spot Advisor savings %
    /// (see the module docs). `None` when the source has none.
    pub spot_usd_per_hour: Option<f64>,
    /// AWS Spot Advisor interruption-frequency band (`"<5%"`, `"5-10%"`, `"10-15%"`, `"15-20%"`,
    /// `">20%"`). Always `None` for GCP.
    pub interruption_band: Option<String>,
}

/// A malformed catalog file: where, and what was expected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CatalogError {
    /// Name of the source (file path or a label), as passed to the parser.
    pub source_name: String,
    /// 1-based line number (the header is line 1).
    pub line: usize,
    /// The column concerned, if the problem is in one field.
    pub column: Option<String>,
    /// What was wrong or expected.
    pub message: String,
}

impl CatalogError {
    fn new(source_name: &str, line: usize, column: Option<&str>, message: String) -> Self {
        CatalogError {
            source_name: source_name.to_owned(),
            line,
            column: column.map(str::to_owned),
            message,
        }
    }
}

impl fmt::Display for CatalogError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: ", self.source_name, self.line)?;
        if let Some(column) = &self.column {
            write!(f, "column `{column}`: ")?;
        }
        f.write_str(&self.message)
    }
}

impl std::error::Error for CatalogError {}

/// An instance type left out of the catalog, with the reason.
#[derive(Debug, Clone, PartialEq)]
struct Excluded {
    instance_type: String,
    reason: String,
}

/// Instance facts for one provider, sorted by (instance type, region).
#[derive(Debug, Clone, PartialEq)]
pub struct Catalog {
    provider: Provider,
    source_name: String,
    /// Sorted by (instance_type, region), no duplicate keys.
    rows: Vec<InstanceFacts>,
    /// Sorted, deduplicated.
    regions: Vec<String>,
    /// Sorted by instance type, one entry per type.
    excluded: Vec<Excluded>,
}

impl Catalog {
    /// The catalog built into the binary for `provider`, parsed once per process (about 18k
    /// rows for GCP, ~80 ms in a debug build: a sweep loads thousands of experiments).
    pub fn builtin(provider: Provider) -> Result<&'static Catalog, &'static CatalogError> {
        static GCP: OnceLock<Result<Catalog, CatalogError>> = OnceLock::new();
        static AWS: OnceLock<Result<Catalog, CatalogError>> = OnceLock::new();
        match provider {
            Provider::Gcp => {
                GCP.get_or_init(|| Catalog::from_csv_str(Provider::Gcp, GCP_CSV, GCP_SOURCE))
            }
            Provider::Aws => AWS.get_or_init(|| {
                Catalog::from_csv_str(Provider::Aws, AWS_EC2_CSV, AWS_EC2_SOURCE)?
                    .with_aws_spot_advisor(AWS_SPOT_CSV, AWS_SPOT_SOURCE)
            }),
        }
        .as_ref()
    }

    /// Parses a catalog from CSV text in the format of the built-in file for `provider`:
    ///
    /// * GCP: `machine_type,region,vcpu,memory_gb,ondemand_usd_per_hour,spot_usd_per_hour`
    ///   (memory in GiB; spot may be empty);
    /// * AWS: the EC2 price file's 9 columns `instance_type,region,vcpu,memory_gib,
    ///   ondemand_usd_per_hour,reserved_1yr_standard_noupfront_usd_per_hour,
    ///   reserved_3yr_standard_allupfront_usd_per_hour,generation,family` (only the first five are
    ///   read). The result has no spot prices; add them with [`Catalog::with_aws_spot_advisor`].
    ///
    /// The header must match exactly; every row must have the header's number of fields. A
    /// repeated (instance type, region) is an error. `source_name` is used in error messages.
    pub fn from_csv_str(
        provider: Provider,
        csv: &str,
        source_name: &str,
    ) -> Result<Catalog, CatalogError> {
        let header: &[&str] = match provider {
            Provider::Gcp => &GCP_HEADER,
            Provider::Aws => &AWS_EC2_HEADER,
        };
        // (row, line number) so that a duplicate can name both lines.
        let mut rows: Vec<(InstanceFacts, usize)> = Vec::new();
        let mut excluded: Vec<Excluded> = Vec::new();
        for_each_record(csv, source_name, header, |line, fields| {
            let err = |col: usize, msg: String| {
                CatalogError::new(source_name, line, Some(header[col]), msg)
            };
            let instance_type = parse_name(fields[0]).map_err(|m| err(0, m))?;
            let region = parse_name(fields[1]).map_err(|m| err(1, m))?;
            let vcpu = parse_vcpu(fields[2]).map_err(|m| err(2, m))?;
            let memory_bytes = parse_gib_to_bytes(fields[3]).map_err(|m| err(3, m))?;
            let ondemand_usd_per_hour = parse_price(fields[4]).map_err(|m| err(4, m))?;
            let spot_usd_per_hour = match provider {
                Provider::Gcp if !fields[5].is_empty() => {
                    Some(parse_price(fields[5]).map_err(|m| err(5, m))?)
                }
                _ => None,
            };
            match vcpu {
                Vcpu::Whole(vcpu) => rows.push((
                    InstanceFacts {
                        instance_type: instance_type.to_owned(),
                        region: region.to_owned(),
                        vcpu,
                        memory_bytes,
                        ondemand_usd_per_hour,
                        spot_usd_per_hour,
                        interruption_band: None,
                    },
                    line,
                )),
                Vcpu::Fractional => excluded.push(Excluded {
                    instance_type: instance_type.to_owned(),
                    reason: format!(
                        "{instance_type} has a fractional vCPU count ({}), and the catalog \
                         counts whole vCPUs",
                        fields[2]
                    ),
                }),
            }
            Ok(())
        })?;

        fn key(f: &InstanceFacts) -> (&str, &str) {
            (f.instance_type.as_str(), f.region.as_str())
        }
        if !rows.is_sorted_by(|a, b| key(&a.0) <= key(&b.0)) {
            // Stable: among equal keys the earlier line stays first.
            rows.sort_by(|a, b| key(&a.0).cmp(&key(&b.0)));
        }
        if let Some(w) = rows.windows(2).find(|w| key(&w[0].0) == key(&w[1].0)) {
            let (first, second) = (w[0].1.min(w[1].1), w[0].1.max(w[1].1));
            return Err(CatalogError::new(
                source_name,
                second,
                None,
                format!(
                    "duplicate row for instance type `{}` in region `{}` (first at line {first})",
                    w[0].0.instance_type, w[0].0.region
                ),
            ));
        }
        let rows: Vec<InstanceFacts> = rows.into_iter().map(|(f, _)| f).collect();

        let mut regions: Vec<&str> = rows.iter().map(|f| f.region.as_str()).collect();
        regions.sort_unstable();
        regions.dedup();
        let regions = regions.into_iter().map(str::to_owned).collect();

        excluded.sort_by(|a, b| a.instance_type.cmp(&b.instance_type));
        excluded.dedup_by(|a, b| a.instance_type == b.instance_type);

        Ok(Catalog {
            provider,
            source_name: source_name.to_owned(),
            rows,
            regions,
            excluded,
        })
    }

    /// Adds AWS Spot Advisor data (the format of the built-in
    /// `aws_spot_advisor_linux_2025-06-28.csv`: `region,instance_type,vcpu,memory_gib,
    /// savings_vs_ondemand_pct,interruption_band_index,interruption_band`) to an AWS catalog.
    ///
    /// For every row with a Spot Advisor row for the same (region, instance type), sets
    /// `spot_usd_per_hour = ondemand * (1 - savings_vs_ondemand_pct / 100)` (an estimate: the
    /// percentage and the on-demand price may be from different dates) and `interruption_band`.
    /// Other rows are left unchanged. Spot Advisor rows with no catalog row are ignored (the
    /// catalog needs an on-demand price). Errors on a GCP catalog.
    pub fn with_aws_spot_advisor(
        mut self,
        csv: &str,
        source_name: &str,
    ) -> Result<Catalog, CatalogError> {
        if self.provider != Provider::Aws {
            return Err(CatalogError::new(
                source_name,
                1,
                None,
                format!(
                    "Spot Advisor data applies to AWS catalogs only, not to the {} catalog `{}`",
                    self.provider, self.source_name
                ),
            ));
        }
        struct Advice<'a> {
            region: &'a str,
            instance_type: &'a str,
            savings_pct: f64,
            band: &'a str,
            line: usize,
        }
        let header: &[&str] = &AWS_SPOT_HEADER;
        let mut advice: Vec<Advice<'_>> = Vec::new();
        for_each_record(csv, source_name, header, |line, fields| {
            let err = |col: usize, msg: String| {
                CatalogError::new(source_name, line, Some(header[col]), msg)
            };
            let region = parse_name(fields[0]).map_err(|m| err(0, m))?;
            let instance_type = parse_name(fields[1]).map_err(|m| err(1, m))?;
            parse_vcpu(fields[2]).map_err(|m| err(2, m))?;
            parse_gib_to_bytes(fields[3]).map_err(|m| err(3, m))?;
            let savings_pct = parse_savings_pct(fields[4]).map_err(|m| err(4, m))?;
            parse_band_index(fields[5]).map_err(|m| err(5, m))?;
            let band = parse_name(fields[6]).map_err(|m| err(6, m))?;
            advice.push(Advice {
                region,
                instance_type,
                savings_pct,
                band,
                line,
            });
            Ok(())
        })?;

        // Keyed (region, instance type), the order of the built-in file.
        fn key<'a>(a: &Advice<'a>) -> (&'a str, &'a str) {
            (a.region, a.instance_type)
        }
        if !advice.is_sorted_by(|a, b| key(a) <= key(b)) {
            advice.sort_by(|a, b| key(a).cmp(&key(b)));
        }
        if let Some(w) = advice.windows(2).find(|w| key(&w[0]) == key(&w[1])) {
            let (first, second) = (w[0].line.min(w[1].line), w[0].line.max(w[1].line));
            return Err(CatalogError::new(
                source_name,
                second,
                None,
                format!(
                    "duplicate row for instance type `{}` in region `{}` (first at line {first})",
                    w[0].instance_type, w[0].region
                ),
            ));
        }

        for row in &mut self.rows {
            let wanted = (row.region.as_str(), row.instance_type.as_str());
            if let Ok(i) = advice.binary_search_by(|a| key(a).cmp(&wanted)) {
                let a = &advice[i];
                row.spot_usd_per_hour =
                    Some(row.ondemand_usd_per_hour * (1.0 - a.savings_pct / 100.0));
                row.interruption_band = Some(a.band.to_owned());
            }
        }
        self.source_name = format!("{} + {}", self.source_name, source_name);
        Ok(self)
    }

    /// The provider this catalog describes.
    pub fn provider(&self) -> Provider {
        self.provider
    }

    /// Where the rows came from (the `source_name`s given when parsing).
    pub fn source_name(&self) -> &str {
        &self.source_name
    }

    /// All rows, sorted by (instance type, region).
    pub fn rows(&self) -> &[InstanceFacts] {
        &self.rows
    }

    /// Number of (instance type, region) rows.
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    /// True if the catalog has no rows.
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// The facts for `instance_type` in `region` (exact, case-sensitive match).
    pub fn get(&self, instance_type: &str, region: &str) -> Option<&InstanceFacts> {
        self.rows
            .binary_search_by(|f| {
                (f.instance_type.as_str(), f.region.as_str()).cmp(&(instance_type, region))
            })
            .ok()
            .map(|i| &self.rows[i])
    }

    /// All regions with at least one row, sorted and deduplicated.
    pub fn regions(&self) -> impl Iterator<Item = &str> {
        self.regions.iter().map(String::as_str)
    }

    /// All instance types, sorted and deduplicated.
    pub fn instance_types(&self) -> impl Iterator<Item = &str> {
        self.rows
            .chunk_by(|a, b| a.instance_type == b.instance_type)
            .map(|rows| rows[0].instance_type.as_str())
    }

    /// The instance types offered in `region`, sorted (empty for an unknown region).
    pub fn instance_types_in(&self, region: &str) -> impl Iterator<Item = &str> {
        self.rows
            .iter()
            .filter(move |f| f.region == region)
            .map(|f| f.instance_type.as_str())
    }

    /// The regions where `instance_type` is offered, sorted (empty for an unknown type).
    pub fn regions_of(&self, instance_type: &str) -> impl Iterator<Item = &str> {
        let start = self
            .rows
            .partition_point(|f| f.instance_type.as_str() < instance_type);
        self.rows[start..]
            .iter()
            .take_while(move |f| f.instance_type == instance_type)
            .map(|f| f.region.as_str())
    }

    /// Why `instance_type` is not in the catalog although the source lists it (e.g. a fractional
    /// vCPU count), or `None` if it was not left out.
    pub fn excluded_reason(&self, instance_type: &str) -> Option<&str> {
        self.excluded
            .binary_search_by(|e| e.instance_type.as_str().cmp(instance_type))
            .ok()
            .map(|i| self.excluded[i].reason.as_str())
    }

    /// The instance type offered in `region` closest to `instance_type` by edit distance
    /// (case-insensitive), for "did you mean ...?" messages. `None` if the region is unknown or
    /// nothing is within `max(1, len / 3)` edits. Ties go to the alphabetically first type. An
    /// exact match returns itself.
    pub fn suggest(&self, instance_type: &str, region: &str) -> Option<&str> {
        closest(instance_type, self.instance_types_in(region))
    }

    /// The known region closest to `region` by edit distance, like [`Catalog::suggest`].
    pub fn suggest_region(&self, region: &str) -> Option<&str> {
        closest(region, self.regions())
    }
}

/// Embedded zone names per region: GCP's Compute API answer of 2025-03-20 (via gcpdiag's test
/// data) and AWS's from moto's table (2026-04-30); see `data/PROVENANCE.md` for which regions
/// each covers and why the others are left out.
const GCP_ZONES_CSV: &str = include_str!("../../data/cloud/gcp/gcp_zones_2025-03-20.csv");
const GCP_ZONES_SOURCE: &str = "data/cloud/gcp/gcp_zones_2025-03-20.csv";
const AWS_ZONES_CSV: &str = include_str!("../../data/cloud/aws/aws_zones_moto_2026-04-30.csv");
const AWS_ZONES_SOURCE: &str = "data/cloud/aws/aws_zones_moto_2026-04-30.csv";
const ZONES_HEADER: [&str; 2] = ["region", "zone"];

/// The zones of one region, sorted.
#[derive(Debug, Clone, PartialEq, Eq)]
struct RegionZones {
    region: String,
    zones: Vec<String>,
}

/// The zone names of each region a provider's zone file covers. A region it does not cover is
/// not thereby unknown: the price catalog lists regions the zone sources leave out (e.g. GCP
/// `asia-southeast3`, AWS `us-west-1`), so callers treat `None` as "not listed", not "wrong".
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ZoneList {
    /// Sorted by region, one entry per region, each with its zones sorted.
    regions: Vec<RegionZones>,
}

impl ZoneList {
    /// The zone list built into the binary for `provider`, parsed once per process.
    pub fn builtin(provider: Provider) -> Result<&'static ZoneList, &'static CatalogError> {
        static GCP: OnceLock<Result<ZoneList, CatalogError>> = OnceLock::new();
        static AWS: OnceLock<Result<ZoneList, CatalogError>> = OnceLock::new();
        match provider {
            Provider::Gcp => {
                GCP.get_or_init(|| ZoneList::from_csv_str(GCP_ZONES_CSV, GCP_ZONES_SOURCE))
            }
            Provider::Aws => {
                AWS.get_or_init(|| ZoneList::from_csv_str(AWS_ZONES_CSV, AWS_ZONES_SOURCE))
            }
        }
        .as_ref()
    }

    /// Parses `region,zone` rows. Each zone must be named after its region (start with the
    /// region's name), and a (region, zone) pair may occur once; the order of rows is free.
    pub fn from_csv_str(csv: &str, source_name: &str) -> Result<ZoneList, CatalogError> {
        let header: &[&str] = &ZONES_HEADER;
        let mut rows: Vec<(&str, &str, usize)> = Vec::new();
        for_each_record(csv, source_name, header, |line, fields| {
            let err = |col: usize, msg: String| {
                CatalogError::new(source_name, line, Some(header[col]), msg)
            };
            let region = parse_name(fields[0]).map_err(|m| err(0, m))?;
            let zone = parse_name(fields[1]).map_err(|m| err(1, m))?;
            if !zone.starts_with(region) || zone == region {
                return Err(err(
                    1,
                    format!("zone `{zone}` is not named after its region `{region}`"),
                ));
            }
            rows.push((region, zone, line));
            Ok(())
        })?;
        rows.sort_unstable();
        if let Some(w) = rows
            .windows(2)
            .find(|w| (w[0].0, w[0].1) == (w[1].0, w[1].1))
        {
            return Err(CatalogError::new(
                source_name,
                w[1].2,
                None,
                format!(
                    "duplicate row for zone `{}` of region `{}` (first at line {})",
                    w[0].1, w[0].0, w[0].2
                ),
            ));
        }
        let regions = rows
            .chunk_by(|a, b| a.0 == b.0)
            .map(|rows| RegionZones {
                region: rows[0].0.to_owned(),
                zones: rows.iter().map(|r| r.1.to_owned()).collect(),
            })
            .collect();
        Ok(ZoneList { regions })
    }

    /// The zones of `region`, sorted; `None` if the list does not cover the region.
    pub fn zones_of(&self, region: &str) -> Option<&[String]> {
        self.regions
            .binary_search_by(|r| r.region.as_str().cmp(region))
            .ok()
            .map(|i| self.regions[i].zones.as_slice())
    }

    /// The zone of `region` closest to `zone` by edit distance, like [`Catalog::suggest`].
    pub fn suggest(&self, region: &str, zone: &str) -> Option<&str> {
        closest(zone, self.zones_of(region)?.iter().map(String::as_str))
    }
}

/// The candidate with the smallest edit distance to `query` (case-insensitive), within
/// `max(1, len / 3)` edits; the first one wins ties. Public so that input checks suggest names
/// the same way the catalog does.
pub fn closest<'a>(query: &str, candidates: impl Iterator<Item = &'a str>) -> Option<&'a str> {
    let query: Vec<char> = query.chars().flat_map(char::to_lowercase).collect();
    let limit = (query.len() / 3).max(1);
    let mut best: Option<(usize, &'a str)> = None;
    for candidate in candidates {
        let d = edit_distance(&query, candidate);
        if d <= limit && best.is_none_or(|(bd, _)| d < bd) {
            best = Some((d, candidate));
        }
    }
    best.map(|(_, c)| c)
}

/// Levenshtein distance between `a` (already lowercased) and lowercased `b`.
fn edit_distance(a: &[char], b: &str) -> usize {
    let b: Vec<char> = b.chars().flat_map(char::to_lowercase).collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur = vec![0; b.len() + 1];
    for (i, &ca) in a.iter().enumerate() {
        cur[0] = i + 1;
        for (j, &cb) in b.iter().enumerate() {
            let substitute = prev[j] + usize::from(ca != cb);
            cur[j + 1] = substitute.min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[b.len()]
}

/// Calls `f(line_number, fields)` for each data line after checking the header. Lines are split
/// on `,`; quoted fields are not supported (none of the built-in files has any).
fn for_each_record<'a>(
    csv: &'a str,
    source_name: &str,
    header: &[&str],
    mut f: impl FnMut(usize, &[&'a str]) -> Result<(), CatalogError>,
) -> Result<(), CatalogError> {
    let csv = csv.strip_prefix('\u{feff}').unwrap_or(csv);
    let mut lines = csv.lines().enumerate().map(|(i, l)| (i + 1, l));
    let expected_header = header.join(",");
    let Some((_, first)) = lines.next() else {
        return Err(CatalogError::new(
            source_name,
            1,
            None,
            format!("empty input: expected the header `{expected_header}`"),
        ));
    };
    let found: Vec<&str> = first.split(',').collect();
    if found != header {
        let column = header
            .iter()
            .zip(&found)
            .find(|(e, f)| e != f)
            .map(|(e, _)| *e);
        return Err(CatalogError::new(
            source_name,
            1,
            column,
            format!("expected the header `{expected_header}`, found `{first}`"),
        ));
    }
    let mut fields: Vec<&'a str> = Vec::with_capacity(header.len());
    let mut data_rows = 0usize;
    for (line, text) in lines {
        if text.is_empty() {
            return Err(CatalogError::new(
                source_name,
                line,
                None,
                "empty line".to_owned(),
            ));
        }
        fields.clear();
        fields.extend(text.split(','));
        if fields.len() != header.len() {
            return Err(CatalogError::new(
                source_name,
                line,
                None,
                format!(
                    "expected {} comma-separated fields ({}), found {}",
                    header.len(),
                    expected_header,
                    fields.len()
                ),
            ));
        }
        if let Some(col) = fields.iter().position(|s| s.contains('"')) {
            return Err(CatalogError::new(
                source_name,
                line,
                Some(header[col]),
                "quoted fields are not supported".to_owned(),
            ));
        }
        f(line, &fields)?;
        data_rows += 1;
    }
    if data_rows == 0 {
        return Err(CatalogError::new(
            source_name,
            1,
            None,
            "no data rows after the header".to_owned(),
        ));
    }
    Ok(())
}

/// A non-empty name without surrounding whitespace.
fn parse_name(s: &str) -> Result<&str, String> {
    if s.is_empty() {
        Err("expected a non-empty value".to_owned())
    } else if s.trim() != s {
        Err(format!("`{s}` has leading or trailing whitespace"))
    } else {
        Ok(s)
    }
}

/// A plain unsigned decimal `digits[.digits]` as (mantissa, number of fraction digits).
fn parse_decimal(s: &str) -> Result<(u128, u32), String> {
    let bad = || format!("expected a non-negative decimal number like `12` or `3.75`, found `{s}`");
    let (int, frac) = match s.split_once('.') {
        Some((int, frac)) => (int, frac),
        None => (s, ""),
    };
    let digits_ok = |p: &str| p.bytes().all(|b| b.is_ascii_digit());
    if int.is_empty()
        || !digits_ok(int)
        || !digits_ok(frac)
        || (s.contains('.') && frac.is_empty())
        || int.len() + frac.len() > 27
    {
        return Err(bad());
    }
    let mut mantissa: u128 = 0;
    for b in int.bytes().chain(frac.bytes()) {
        mantissa = mantissa * 10 + u128::from(b - b'0');
    }
    Ok((mantissa, frac.len() as u32))
}

enum Vcpu {
    Whole(u32),
    Fractional,
}

/// A positive vCPU count; `4.0` is accepted as 4, `0.25` is [`Vcpu::Fractional`].
fn parse_vcpu(s: &str) -> Result<Vcpu, String> {
    let (mantissa, scale) = parse_decimal(s)?;
    if mantissa == 0 {
        return Err(format!("expected a positive vCPU count, found `{s}`"));
    }
    let unit = 10u128.pow(scale);
    if mantissa % unit != 0 {
        return Ok(Vcpu::Fractional);
    }
    u32::try_from(mantissa / unit)
        .map(Vcpu::Whole)
        .map_err(|_| format!("vCPU count `{s}` is too large"))
}

/// GiB as decimal text -> bytes, exactly, rounded to the nearest byte (half up).
fn parse_gib_to_bytes(s: &str) -> Result<u64, String> {
    let (mantissa, scale) = parse_decimal(s)?;
    let unit = 10u128.pow(scale);
    let bytes = (mantissa * GIB + unit / 2) / unit;
    if bytes == 0 {
        return Err(format!(
            "expected a positive memory size in GiB, found `{s}`"
        ));
    }
    u64::try_from(bytes).map_err(|_| format!("memory size `{s}` GiB is too large"))
}

/// A positive, finite price in USD per hour.
fn parse_price(s: &str) -> Result<f64, String> {
    parse_decimal(s)?;
    match s.parse::<f64>() {
        Ok(p) if p > 0.0 && p.is_finite() => Ok(p),
        _ => Err(format!(
            "expected a positive price in USD per hour, found `{s}`"
        )),
    }
}

/// A savings percentage below 100 (so the spot price stays positive); may be negative.
fn parse_savings_pct(s: &str) -> Result<f64, String> {
    parse_decimal(s.strip_prefix('-').unwrap_or(s))?;
    match s.parse::<f64>() {
        Ok(p) if p < 100.0 && p.is_finite() => Ok(p),
        _ => Err(format!(
            "expected a savings percentage below 100, found `{s}`"
        )),
    }
}

/// The Spot Advisor band index, 0-4.
fn parse_band_index(s: &str) -> Result<u8, String> {
    match s.parse::<u8>() {
        Ok(i) if i <= 4 && !s.starts_with('+') => Ok(i),
        _ => Err(format!(
            "expected an interruption band index 0-4, found `{s}`"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GIB_U64: u64 = 1 << 30;

    const GCP_FIXTURE: &str = "\
machine_type,region,vcpu,memory_gb,ondemand_usd_per_hour,spot_usd_per_hour
zz-standard-4,us-east1,4,16,0.2,0.05
aa-highmem-2,us-east1,2,3.75,0.125,
zz-standard-4,europe-west1,4,16,0.25,0.0625
tiny-micro,us-east1,0.25,1,0.01,0.005
";

    #[test]
    fn fixture_parses_sorted_with_exact_values() {
        let c = Catalog::from_csv_str(Provider::Gcp, GCP_FIXTURE, "fixture.csv").unwrap();
        assert_eq!(c.provider(), Provider::Gcp);
        assert_eq!(c.len(), 3);
        let keys: Vec<(&str, &str)> = c
            .rows()
            .iter()
            .map(|f| (f.instance_type.as_str(), f.region.as_str()))
            .collect();
        assert_eq!(
            keys,
            [
                ("aa-highmem-2", "us-east1"),
                ("zz-standard-4", "europe-west1"),
                ("zz-standard-4", "us-east1"),
            ]
        );
        assert_eq!(
            c.get("aa-highmem-2", "us-east1"),
            Some(&InstanceFacts {
                instance_type: "aa-highmem-2".to_owned(),
                region: "us-east1".to_owned(),
                vcpu: 2,
                memory_bytes: 4_026_531_840, // 3.75 * 2^30
                ondemand_usd_per_hour: 0.125,
                spot_usd_per_hour: None,
                interruption_band: None,
            })
        );
        let z = c.get("zz-standard-4", "europe-west1").unwrap();
        assert_eq!(
            (z.vcpu, z.memory_bytes, z.ondemand_usd_per_hour),
            (4, 16 * GIB_U64, 0.25)
        );
        assert_eq!(z.spot_usd_per_hour, Some(0.0625));
        assert_eq!(c.get("zz-standard-4", "us-west1"), None);
        assert_eq!(c.get("ZZ-standard-4", "us-east1"), None);
        assert_eq!(
            c.regions().collect::<Vec<_>>(),
            ["europe-west1", "us-east1"]
        );
        assert_eq!(
            c.instance_types().collect::<Vec<_>>(),
            ["aa-highmem-2", "zz-standard-4"]
        );
        assert_eq!(
            c.instance_types_in("us-east1").collect::<Vec<_>>(),
            ["aa-highmem-2", "zz-standard-4"]
        );
        assert_eq!(
            c.regions_of("zz-standard-4").collect::<Vec<_>>(),
            ["europe-west1", "us-east1"]
        );
        assert_eq!(c.regions_of("nope").count(), 0);
        // The fractional-vCPU row is left out, with a reason.
        assert_eq!(c.get("tiny-micro", "us-east1"), None);
        let reason = c.excluded_reason("tiny-micro").unwrap();
        assert!(reason.contains("fractional vCPU count (0.25)"), "{reason}");
        assert_eq!(c.excluded_reason("zz-standard-4"), None);
    }

    #[test]
    fn bad_row_reports_line_and_column() {
        let csv = "\
machine_type,region,vcpu,memory_gb,ondemand_usd_per_hour,spot_usd_per_hour
a-1,r1,2,8,0.1,0.05
a-2,r1,2,eight,0.1,0.05
";
        let e = Catalog::from_csv_str(Provider::Gcp, csv, "over.csv").unwrap_err();
        assert_eq!(e.source_name, "over.csv");
        assert_eq!(e.line, 3);
        assert_eq!(e.column.as_deref(), Some("memory_gb"));
        let shown = e.to_string();
        assert!(
            shown.starts_with("over.csv:3: column `memory_gb`: "),
            "{shown}"
        );
        assert!(shown.contains("`eight`"), "{shown}");

        let short = "machine_type,region,vcpu,memory_gb,ondemand_usd_per_hour,spot_usd_per_hour\n\
                     a-1,r1,2,8,0.1,0.05\na-2,r1,2,8,0.1\n";
        let e = Catalog::from_csv_str(Provider::Gcp, short, "s.csv").unwrap_err();
        assert_eq!((e.line, e.column.as_deref()), (3, None));
        assert!(
            e.message.contains("expected 6 comma-separated fields"),
            "{e}"
        );

        let quoted = "machine_type,region,vcpu,memory_gb,ondemand_usd_per_hour,spot_usd_per_hour\n\
                      \"a-1\",r1,2,8,0.1,0.05\n";
        let e = Catalog::from_csv_str(Provider::Gcp, quoted, "q.csv").unwrap_err();
        assert_eq!((e.line, e.column.as_deref()), (2, Some("machine_type")));

        for (price, why) in [
            ("0", "zero"),
            ("-1", "negative"),
            ("inf", "inf"),
            ("1e3", "exp"),
        ] {
            let csv = format!(
                "machine_type,region,vcpu,memory_gb,ondemand_usd_per_hour,spot_usd_per_hour\n\
                 a-1,r1,2,8,{price},\n"
            );
            let e = Catalog::from_csv_str(Provider::Gcp, &csv, "p.csv").unwrap_err();
            assert_eq!(
                (e.line, e.column.as_deref()),
                (2, Some("ondemand_usd_per_hour")),
                "{why}"
            );
        }
    }

    #[test]
    fn header_duplicates_and_empty_input_are_errors() {
        let e = Catalog::from_csv_str(Provider::Gcp, "machine_type,region\n", "h.csv").unwrap_err();
        assert_eq!(e.line, 1);
        // AWS expects the EC2 header, not the GCP one.
        let e = Catalog::from_csv_str(Provider::Aws, GCP_FIXTURE, "h.csv").unwrap_err();
        assert_eq!((e.line, e.column.as_deref()), (1, Some("instance_type")));
        let e = Catalog::from_csv_str(Provider::Gcp, "", "e.csv").unwrap_err();
        assert_eq!(e.line, 1);
        let e = Catalog::from_csv_str(Provider::Gcp, &GCP_HEADER.join(","), "e.csv").unwrap_err();
        assert!(e.message.contains("no data rows"), "{e}");

        let dup = "\
machine_type,region,vcpu,memory_gb,ondemand_usd_per_hour,spot_usd_per_hour
b-1,r1,2,8,0.1,0.05
a-1,r1,2,8,0.1,0.05
b-1,r1,2,8,0.2,0.05
";
        let e = Catalog::from_csv_str(Provider::Gcp, dup, "d.csv").unwrap_err();
        assert_eq!(e.line, 4);
        assert!(e.message.contains("first at line 2"), "{e}");
    }

    #[test]
    fn crlf_and_bom_are_accepted() {
        let csv = "\u{feff}machine_type,region,vcpu,memory_gb,ondemand_usd_per_hour,spot_usd_per_hour\r\n\
                   a-1,r1,2,8.0,0.1,0.05\r\n";
        let c = Catalog::from_csv_str(Provider::Gcp, csv, "w.csv").unwrap();
        let f = c.get("a-1", "r1").unwrap();
        assert_eq!(
            (f.vcpu, f.memory_bytes, f.spot_usd_per_hour),
            (2, 8 * GIB_U64, Some(0.05))
        );
    }

    #[test]
    fn aws_fixture_joins_spot_advisor() {
        let ec2 = "\
instance_type,region,vcpu,memory_gib,ondemand_usd_per_hour,reserved_1yr_standard_noupfront_usd_per_hour,reserved_3yr_standard_allupfront_usd_per_hour,generation,family
x1.large,us-east-1,2,0.613,0.2,,,current,General purpose
x1.large,us-gov-west-1,2,0.613,0.3,0.1,0.05,current,General purpose
";
        let spot = "\
region,instance_type,vcpu,memory_gib,savings_vs_ondemand_pct,interruption_band_index,interruption_band
us-east-1,x1.large,2,0.61,70,2,10-15%
us-east-1,y9.large,2,8.0,50,0,<5%
";
        let c = Catalog::from_csv_str(Provider::Aws, ec2, "ec2.csv")
            .unwrap()
            .with_aws_spot_advisor(spot, "spot.csv")
            .unwrap();
        assert_eq!(c.len(), 2);
        let a = c.get("x1.large", "us-east-1").unwrap();
        assert_eq!(a.memory_bytes, 658_203_738); // 0.613 * 2^30 = 658,203,738.112
        assert_eq!(a.spot_usd_per_hour, Some(0.2 * (1.0 - 70.0 / 100.0)));
        assert!((a.spot_usd_per_hour.unwrap() - 0.06).abs() < 1e-15);
        assert_eq!(a.interruption_band.as_deref(), Some("10-15%"));
        let g = c.get("x1.large", "us-gov-west-1").unwrap();
        assert_eq!(
            (g.spot_usd_per_hour, g.interruption_band.as_deref()),
            (None, None)
        );
        // Spot Advisor rows without an on-demand price do not create rows.
        assert_eq!(c.get("y9.large", "us-east-1"), None);

        let bad = "\
region,instance_type,vcpu,memory_gib,savings_vs_ondemand_pct,interruption_band_index,interruption_band
us-east-1,x1.large,2,0.61,100,2,10-15%
";
        let e = Catalog::from_csv_str(Provider::Aws, ec2, "ec2.csv")
            .unwrap()
            .with_aws_spot_advisor(bad, "bad.csv")
            .unwrap_err();
        assert_eq!(
            (e.source_name.as_str(), e.line, e.column.as_deref()),
            ("bad.csv", 2, Some("savings_vs_ondemand_pct"))
        );
        let gcp = Catalog::from_csv_str(Provider::Gcp, GCP_FIXTURE, "g.csv").unwrap();
        assert!(gcp.with_aws_spot_advisor(spot, "spot.csv").is_err());
    }

    #[test]
    fn suggest_by_edit_distance() {
        let c = Catalog::from_csv_str(Provider::Gcp, GCP_FIXTURE, "fixture.csv").unwrap();
        assert_eq!(c.suggest("zz-standrd-4", "us-east1"), Some("zz-standard-4"));
        assert_eq!(
            c.suggest("ZZ-STANDARD-4", "us-east1"),
            Some("zz-standard-4")
        );
        assert_eq!(c.suggest("aa-highmem-2", "us-east1"), Some("aa-highmem-2"));
        // Not offered in that region, and nothing close there.
        assert_eq!(c.suggest("aa-highmem-2", "europe-west1"), None);
        assert_eq!(c.suggest("zz-standard-4", "mars-1"), None);
        assert_eq!(c.suggest("completely-different", "us-east1"), None);
        assert_eq!(c.suggest_region("us-east-1"), Some("us-east1"));
        assert_eq!(c.suggest_region("antarctica"), None);
    }

    #[test]
    fn edit_distance_basics() {
        let d = |a: &str, b: &str| edit_distance(&a.chars().collect::<Vec<_>>(), b);
        assert_eq!(d("kitten", "sitting"), 3);
        assert_eq!(d("", "abc"), 3);
        assert_eq!(d("abc", ""), 3);
        assert_eq!(d("n2-standrd-8", "n2-standard-8"), 1);
    }

    #[test]
    fn builtin_gcp_rows_match_the_file() {
        let c = Catalog::builtin(Provider::Gcp).unwrap();
        // 17,669 rows in the file; e2-micro and e2-small (fractional vCPU) are left out.
        let left_out = GCP_CSV
            .lines()
            .filter(|l| l.starts_with("e2-micro,") || l.starts_with("e2-small,"))
            .count();
        assert_eq!(left_out, 84);
        assert_eq!(c.len(), 17_669 - left_out);
        assert_eq!(c.regions().count(), 43);
        assert_eq!(c.instance_types().count(), 523 - 2);

        // n2-standard-8,us-central1,8,32,0.388472,0.18424
        let n2 = c.get("n2-standard-8", "us-central1").unwrap();
        assert_eq!(n2.vcpu, 8);
        assert_eq!(n2.memory_bytes, 32 * GIB_U64);
        assert_eq!(n2.ondemand_usd_per_hour, 0.388472);
        assert_eq!(n2.spot_usd_per_hour, Some(0.18424));
        assert_eq!(n2.interruption_band, None);
        // n1-standard-1,europe-west1,1,3.75,0.05225175,0.02179
        let n1 = c.get("n1-standard-1", "europe-west1").unwrap();
        assert_eq!(
            (
                n1.vcpu,
                n1.memory_bytes,
                n1.ondemand_usd_per_hour,
                n1.spot_usd_per_hour
            ),
            (1, 4_026_531_840, 0.05225175, Some(0.02179))
        );
        // m2-ultramem-208,us-central1,208,5888,42.111936,  (no spot price)
        let m2 = c.get("m2-ultramem-208", "us-central1").unwrap();
        assert_eq!(
            (
                m2.vcpu,
                m2.memory_bytes,
                m2.ondemand_usd_per_hour,
                m2.spot_usd_per_hour
            ),
            (208, 5888 * GIB_U64, 42.111936, None)
        );
        // custom-1-7680-ext: 7.5 GB = 7680 MiB, the evidence that GCP's GB is GiB.
        let custom = c
            .rows()
            .iter()
            .find(|f| f.instance_type == "custom-1-7680-ext")
            .unwrap();
        assert_eq!(custom.memory_bytes, 7680 * 1024 * 1024);

        assert_eq!(c.get("e2-micro", "us-central1"), None);
        assert!(c.excluded_reason("e2-micro").is_some());
        assert!(c.excluded_reason("e2-small").is_some());
        assert_eq!(c.excluded_reason("e2-medium"), None);
        assert_eq!(c.suggest("n2-standrd-8", "us-east1"), Some("n2-standard-8"));
    }

    #[test]
    fn builtin_aws_with_and_without_spot_advisor() {
        let c = Catalog::builtin(Provider::Aws).unwrap();
        assert_eq!(c.provider(), Provider::Aws);
        assert_eq!(c.len(), 964);
        assert_eq!(c.regions().count(), 15);
        assert_eq!(c.instance_types().count(), 88);
        // EC2:  c4.large,us-east-1,2,3.75,0.1,0.063,0.039,current,Compute optimized
        // Spot: us-east-1,c4.large,2,3.75,52,0,<5%
        let c4 = c.get("c4.large", "us-east-1").unwrap();
        assert_eq!((c4.vcpu, c4.memory_bytes), (2, 4_026_531_840));
        assert_eq!(c4.ondemand_usd_per_hour, 0.1);
        assert_eq!(c4.spot_usd_per_hour, Some(0.1 * (1.0 - 52.0 / 100.0)));
        assert!((c4.spot_usd_per_hour.unwrap() - 0.048).abs() < 1e-12);
        assert_eq!(c4.interruption_band.as_deref(), Some("<5%"));
        // EC2:  m1.small,us-east-1,1,1.7,0.044,...   Spot: us-east-1,m1.small,1,1.7,66,4,>20%
        let m1 = c.get("m1.small", "us-east-1").unwrap();
        assert_eq!(m1.memory_bytes, 1_825_361_101); // 1.7 * 2^30 = 1,825,361,100.8
        assert!((m1.spot_usd_per_hour.unwrap() - 0.01496).abs() < 1e-12);
        assert_eq!(m1.interruption_band.as_deref(), Some(">20%"));
        // EC2:  g2.2xlarge,us-east-1,...   (no Spot Advisor row)
        let g2 = c.get("g2.2xlarge", "us-east-1").unwrap();
        assert!(g2.ondemand_usd_per_hour > 0.0);
        assert_eq!(
            (g2.spot_usd_per_hour, g2.interruption_band.as_deref()),
            (None, None)
        );
        let joined = c
            .rows()
            .iter()
            .filter(|f| f.spot_usd_per_hour.is_some())
            .count();
        assert_eq!(joined, 817);
        // m5 postdates the 2017 price list: absent, though the Spot Advisor lists it.
        assert_eq!(c.get("m5.large", "us-east-1"), None);
    }

    #[test]
    fn builtin_is_deterministic() {
        assert_eq!(
            Catalog::builtin(Provider::Aws).unwrap(),
            Catalog::builtin(Provider::Aws).unwrap()
        );
        let c = Catalog::builtin(Provider::Gcp).unwrap();
        assert!(c.rows().windows(2).all(|w| {
            (&w[0].instance_type, &w[0].region) < (&w[1].instance_type, &w[1].region)
        }));
    }

    #[test]
    fn zone_fixture_groups_and_sorts_by_region() {
        let csv = "region,zone\nus-east1,us-east1-d\neu-x,eu-x-a\nus-east1,us-east1-b\n";
        let z = ZoneList::from_csv_str(csv, "zones.csv").unwrap();
        assert_eq!(
            z.zones_of("us-east1").unwrap(),
            ["us-east1-b", "us-east1-d"]
        );
        assert_eq!(z.zones_of("eu-x").unwrap(), ["eu-x-a"]);
        assert_eq!(z.zones_of("us-east"), None);
        assert_eq!(z.suggest("us-east1", "us-east1d"), Some("us-east1-d"));
        assert_eq!(z.suggest("us-east1", "europe-west1-b"), None);
        assert_eq!(z.suggest("nowhere", "nowhere-a"), None);
    }

    #[test]
    fn zone_rows_are_checked() {
        let dup = "region,zone\nr1,r1-a\nr1,r1-b\nr1,r1-a\n";
        let e = ZoneList::from_csv_str(dup, "z.csv").unwrap_err();
        assert_eq!((e.line, e.column.as_deref()), (4, None));
        assert!(e.message.contains("first at line 2"), "{e}");
        let foreign = "region,zone\nr1,r2-a\n";
        let e = ZoneList::from_csv_str(foreign, "z.csv").unwrap_err();
        assert_eq!((e.line, e.column.as_deref()), (2, Some("zone")));
        let bare = "region,zone\nr1,r1\n";
        assert!(ZoneList::from_csv_str(bare, "z.csv").is_err());
        let header = "zone,region\nr1-a,r1\n";
        assert_eq!(ZoneList::from_csv_str(header, "z.csv").unwrap_err().line, 1);
    }

    /// Hand-checked against the sources (gcpdiag `test-data/gce5/json-dumps/compute-zones.json`,
    /// moto `availability_zones_and_regions.py`): GCP's `us-central1` has four zones, `us-east1`
    /// and `europe-west1` have no `-a`; AWS's `us-east-1` has six and `ca-central-1` no `c`.
    #[test]
    fn builtin_zones_match_the_sources() {
        let gcp = ZoneList::builtin(Provider::Gcp).unwrap();
        assert_eq!(gcp.regions.len(), 42);
        assert_eq!(
            gcp.regions.iter().map(|r| r.zones.len()).sum::<usize>(),
            127
        );
        let central = [
            "us-central1-a",
            "us-central1-b",
            "us-central1-c",
            "us-central1-f",
        ];
        assert_eq!(gcp.zones_of("us-central1").unwrap(), central);
        assert_eq!(
            gcp.zones_of("us-east1").unwrap(),
            ["us-east1-b", "us-east1-c", "us-east1-d"]
        );
        let belgium = ["europe-west1-b", "europe-west1-c", "europe-west1-d"];
        assert_eq!(gcp.zones_of("europe-west1").unwrap(), belgium);
        assert_eq!(gcp.zones_of("asia-southeast3"), None);
        let aws = ZoneList::builtin(Provider::Aws).unwrap();
        assert_eq!(aws.regions.len(), 10);
        let virginia = ["a", "b", "c", "d", "e", "f"].map(|l| format!("us-east-1{l}"));
        assert_eq!(aws.zones_of("us-east-1").unwrap(), virginia);
        let canada = ["ca-central-1a", "ca-central-1b", "ca-central-1d"];
        assert_eq!(aws.zones_of("ca-central-1").unwrap(), canada);
        assert_eq!(aws.zones_of("us-west-1"), None);
        assert_eq!(aws.zones_of("ap-northeast-1"), None);
        // Every region of each zone list that the price catalog also has is a region the
        // price catalog knows by the same name (no spelling drift between the sources).
        let prices = Catalog::builtin(Provider::Gcp).unwrap();
        assert!(
            gcp.regions
                .iter()
                .all(|r| prices.regions().any(|p| p == r.region))
        );
    }

    #[test]
    fn provider_names() {
        assert_eq!(Provider::Gcp.as_str(), "gcp");
        assert_eq!(Provider::Aws.to_string(), "aws");
    }
}
