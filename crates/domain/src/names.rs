//! Names the deployment gives, that the CLI finds again without being told: the organization's reports bucket.

/// The templates' default `NamePrefix`.
pub const DEFAULT_NAME_PREFIX: &str = "superwerker-backup";

/// S3's longest bucket name (S3 user guide, "General purpose bucket naming rules").
pub const BUCKET_NAME_MAX: usize = 63;

/// The reports bucket `make deploy-organization` creates in the management account's home region (infra/deploy
/// stacks.py computes the same): the prefix in lower case (bucket names have no upper case), then the account and
/// region, which keep it unique across AWS (bucket names are global). The prefix is cut to keep the name within 63
/// characters.
pub fn reports_bucket_name(prefix: &str, management_account: &str, home_region: &str) -> String {
    let tail = format!("-reports-{management_account}-{home_region}");
    let room = BUCKET_NAME_MAX.saturating_sub(tail.len());
    let prefix: String = prefix.to_ascii_lowercase().chars().take(room).collect();
    format!("{}{tail}", prefix.trim_end_matches('-'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_longest_name_fits_s3s_limit() {
        let name = reports_bucket_name(&"P".repeat(32), "123456789012", "ap-southeast-5");
        assert_eq!(name, format!("{}-reports-123456789012-ap-southeast-5", "p".repeat(27)));
        assert_eq!(name.len(), 63);
        assert_eq!(
            reports_bucket_name("Team-Backup-", "123456789012", "eu-west-1"),
            "team-backup-reports-123456789012-eu-west-1",
            "no double hyphen where the prefix ends in one"
        );
        assert_eq!(
            reports_bucket_name(DEFAULT_NAME_PREFIX, "123456789012", "eu-west-1"),
            "superwerker-backup-reports-123456789012-eu-west-1"
        );
    }
}
