//! `tap list UPN`, `tap revoke UPN` and `tap audit`.

use super::{EXIT_BAD_INPUT, EXIT_FAILED, EXIT_OK};
use crate::audit::{self, AuditAction, AuditEntry};
use crate::input::parse_upn;
use crate::issue::{list_passes, revoke_passes};
use crate::outcome::window;
use hb_graph::GraphClient;
use hb_graph::models::TapMethod;
use serde_json::{Value, json};
use std::io::Write;

/// `tap list UPN`.
#[derive(Clone, Debug, Default, clap::Args)]
pub struct TapListArgs {
    #[arg(value_name = "UPN")]
    pub upn: String,
    /// One JSON document on stdout.
    #[arg(long)]
    pub json: bool,
}

/// `tap revoke UPN`.
#[derive(Clone, Debug, Default, clap::Args)]
pub struct TapRevokeArgs {
    #[arg(value_name = "UPN")]
    pub upn: String,
    /// One JSON document on stdout.
    #[arg(long)]
    pub json: bool,
}

/// `tap audit`.
#[derive(Clone, Debug, Default, clap::Args)]
pub struct TapAuditArgs {
    /// One JSON document on stdout.
    #[arg(long)]
    pub json: bool,
}

fn pass_json(m: &TapMethod) -> Value {
    let (start, end) = window(m);
    json!({
        "id": m.id, "start": start, "end": end, "lifetime_minutes": m.lifetime_in_minutes,
        "usable_once": m.is_usable_once, "usable": m.is_usable, "state": m.method_usability_reason,
    })
}

fn pass_text(m: &TapMethod) -> String {
    let (start, end) = window(m);
    format!(
        "valid {} to {}, {}, {}",
        start.as_deref().unwrap_or("?"),
        end.as_deref().unwrap_or("?"),
        if m.is_usable_once == Some(true) {
            "one-time"
        } else {
            "reusable"
        },
        m.method_usability_reason
            .as_deref()
            .unwrap_or("state unknown")
    )
}

/// `tap list UPN`: the user's pass, never its code.
pub async fn run_list(
    args: &TapListArgs,
    graph: &GraphClient,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> i32 {
    let upn = match parse_upn(&args.upn) {
        Ok(u) => u,
        Err(m) => {
            let _ = writeln!(err, "UPN: {m}");
            return EXIT_BAD_INPUT;
        }
    };
    match list_passes(graph, &upn).await {
        Ok((user, passes)) => {
            if args.json {
                let _ = writeln!(
                    out,
                    "{}",
                    json!({"upn": user.user_principal_name, "passes": passes.iter().map(pass_json).collect::<Vec<_>>()})
                );
            } else if passes.is_empty() {
                let _ = writeln!(
                    out,
                    "{}: no Temporary Access Pass",
                    user.user_principal_name
                );
            } else {
                for p in &passes {
                    let _ = writeln!(out, "{}: {}", user.user_principal_name, pass_text(p));
                }
            }
            EXIT_OK
        }
        Err(e) => {
            let _ = writeln!(err, "{upn}: {e}");
            EXIT_FAILED
        }
    }
}

/// `tap revoke UPN`: deletes the user's pass and records it in the audit trail.
pub async fn run_revoke(
    args: &TapRevokeArgs,
    graph: &GraphClient,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> i32 {
    let upn = match parse_upn(&args.upn) {
        Ok(u) => u,
        Err(m) => {
            let _ = writeln!(err, "UPN: {m}");
            return EXIT_BAD_INPUT;
        }
    };
    match revoke_passes(graph, &upn).await {
        Ok(deleted) => {
            let actor = hb_graph::api::directory::me(graph)
                .await
                .map(|m| m.user_principal_name)
                .unwrap_or_else(|_| "unknown".into());
            let entries: Vec<AuditEntry> = deleted
                .iter()
                .map(|m| {
                    let (start, end) = window(m);
                    AuditEntry {
                        time: chrono::Utc::now(),
                        actor: actor.clone(),
                        upn: upn.to_string(),
                        action: AuditAction::Revoked,
                        lifetime_minutes: m.lifetime_in_minutes,
                        usable_once: m.is_usable_once,
                        start,
                        end,
                        reconciled: false,
                    }
                })
                .collect();
            if let Err(e) = audit::append(&audit::default_path(), &entries) {
                let _ = writeln!(err, "warning: {e}");
            }
            if args.json {
                let _ = writeln!(
                    out,
                    "{}",
                    json!({"upn": upn.as_str(), "revoked": deleted.len()})
                );
            } else {
                let _ = writeln!(
                    err,
                    "{upn}: {}",
                    if deleted.is_empty() {
                        "held no Temporary Access Pass; nothing to revoke".to_string()
                    } else {
                        format!("{} pass deleted", deleted.len())
                    }
                );
            }
            EXIT_OK
        }
        Err(e) => {
            let _ = writeln!(err, "{upn}: {e}");
            EXIT_FAILED
        }
    }
}

/// `tap audit`: the local trail, oldest first.
pub fn run_audit(args: &TapAuditArgs, out: &mut dyn Write, err: &mut dyn Write) -> i32 {
    let path = audit::default_path();
    match audit::read(&path) {
        Ok(entries) => {
            if args.json {
                let _ = writeln!(out, "{}", json!({"path": path, "entries": entries}));
            } else if entries.is_empty() {
                let _ = writeln!(
                    err,
                    "No passes issued or revoked from this machine yet ({}).",
                    path.display()
                );
            } else {
                for e in &entries {
                    let _ = writeln!(
                        out,
                        "{}\t{}\t{:?}\t{}\t{} min\t{}{}",
                        e.time.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                        e.actor,
                        e.action,
                        e.upn,
                        e.lifetime_minutes
                            .map(|m| m.to_string())
                            .unwrap_or_else(|| "?".into()),
                        if e.usable_once == Some(true) {
                            "one-time"
                        } else {
                            "reusable"
                        },
                        if e.reconciled {
                            "\t(after a lost answer)"
                        } else {
                            ""
                        }
                    );
                }
            }
            EXIT_OK
        }
        Err(e) => {
            let _ = writeln!(err, "{e}");
            EXIT_FAILED
        }
    }
}
