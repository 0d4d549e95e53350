//! `tap issue`'s argument handling and output, without Graph.

use super::*;

fn args(upns: &[&str]) -> TapIssueArgs {
    TapIssueArgs {
        upns: upns.iter().map(|s| s.to_string()).collect(),
        ..TapIssueArgs::default()
    }
}

#[test]
fn usage_problems_are_all_collected_and_bad_arguments_set_aside() {
    let mut a = args(&["bob@", "adele@contoso.com", "ADELE@contoso.com"]);
    a.lifetime = Some(5);
    a.start = Some("tomorrow".into());
    let texts: Vec<String> = read_requests(&a)
        .unwrap_err()
        .iter()
        .map(|e| e.to_string())
        .collect();
    assert!(
        texts[0].starts_with("--lifetime: 5 minutes is outside"),
        "{texts:?}"
    );
    assert!(texts[1].starts_with("--start: 'tomorrow'"), "{texts:?}");
    assert_eq!(texts.len(), 2, "bad UPNs are not usage errors: {texts:?}");
    let input = read_requests(&args(&["bob@", "adele@contoso.com", "ADELE@contoso.com"])).unwrap();
    assert_eq!(input.requests.len(), 1);
    let reasons: Vec<&str> = input
        .rejected
        .iter()
        .map(|o| o.reason.as_deref().unwrap())
        .collect();
    assert!(
        reasons[0].starts_with("UPN argument 1: 'bob@' has no domain"),
        "{reasons:?}"
    );
    assert!(reasons[1].contains("already argument 2"), "{reasons:?}");
    assert!(
        read_requests(&args(&[])).unwrap_err()[0]
            .message
            .contains("at least one user")
    );
    let mut both = args(&["a@b.com"]);
    both.csv = Some("x.csv".into());
    assert!(
        read_requests(&both).unwrap_err()[0]
            .message
            .contains("not both")
    );
    let mut missing = args(&[]);
    missing.csv = Some("/nonexistent/users.csv".into());
    assert!(
        read_requests(&missing).unwrap_err()[0]
            .message
            .contains("cannot open the CSV file /nonexistent/users.csv")
    );
}

fn unreachable_graph() -> GraphClient {
    let config = hb_graph::GraphConfig::from_root("http://127.0.0.1:9").unwrap();
    let token = hb_graph::StaticToken(hb_lab::Secret::new("unused"));
    GraphClient::new(config, std::sync::Arc::new(token)).unwrap()
}

#[test]
fn run_cli_exits_2_on_bad_input_with_or_without_a_runtime() {
    assert_eq!(run_cli(&args(&[]), unreachable_graph()), EXIT_BAD_INPUT);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let code = rt.block_on(async {
        tokio::spawn(async { run_cli(&args(&[]), unreachable_graph()) })
            .await
            .unwrap()
    });
    assert_eq!(code, EXIT_BAD_INPUT);
}

#[test]
fn clap_parses_the_documented_command_line() {
    use clap::Parser;
    #[derive(clap::Parser)]
    struct Cli {
        #[command(flatten)]
        tap: TapIssueArgs,
    }
    let cli = Cli::try_parse_from([
        "tap",
        "a@b.com",
        "c@d.com",
        "--lifetime",
        "60",
        "--once",
        "--json",
    ])
    .unwrap();
    assert_eq!(cli.tap.upns, vec!["a@b.com", "c@d.com"]);
    assert_eq!(cli.tap.lifetime, Some(60));
    assert!(cli.tap.once && cli.tap.json && !cli.tap.replace && !cli.tap.dry_run);
    let cli = Cli::try_parse_from(["tap", "a@b.com", "--dry-run", "--replace"]).unwrap();
    assert!(cli.tap.dry_run && cli.tap.replace);
    let cli = Cli::try_parse_from(["tap", "--csv", "u.csv"]).unwrap();
    assert_eq!(cli.tap.csv, Some(PathBuf::from("u.csv")));
    assert!(Cli::try_parse_from(["tap", "a@b.com", "--csv", "u.csv"]).is_err());
    let cli = Cli::try_parse_from([
        "tap",
        "a@b.com",
        "--start",
        "2026-06-05T08:00:00Z",
        "--allow-privileged",
        "--output",
        "passes.txt",
    ])
    .unwrap();
    assert!(cli.tap.allow_privileged);
    assert_eq!(cli.tap.output, Some(PathBuf::from("passes.txt")));
    assert_eq!(cli.tap.start.as_deref(), Some("2026-06-05T08:00:00Z"));
}

#[tokio::test]
async fn json_usage_errors_still_print_a_document() {
    let mut a = args(&[]);
    a.json = true;
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let code = run(&a, &unreachable_graph(), &mut out, &mut err).await;
    assert_eq!(code, EXIT_BAD_INPUT);
    let doc: serde_json::Value = serde_json::from_slice(&out).unwrap();
    assert!(doc["error"].as_str().unwrap().contains("at least one user"));
    assert_eq!(doc["results"], serde_json::json!([]));
    assert_eq!(doc["failed"], 0);
}
