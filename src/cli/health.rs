//! `baton health`: every enabled service in `SERVICES.json`, checked once, all at the same
//! time (so it takes at most the longest `timeout_ms`). Exit 1 if any is down; a degraded
//! service answers, so it does not fail the command.

use clap::{Args, ValueEnum};
use unicode_width::UnicodeWidthStr;

use crate::health::config::read_services;
use crate::health::{ServiceReport, Status, check_services};

use super::{CliResult, Env, Failure, print};

#[derive(Debug, Clone, Copy, ValueEnum, Default, PartialEq, Eq)]
pub enum HealthFormat {
    #[default]
    Table,
    Json,
}

#[derive(Debug, Args)]
pub struct HealthArgs {
    /// `json`: {"services": [{"name", "url", "status", "reason", "latency_ms", "checked_at", "since"}]}
    #[arg(long, value_enum, default_value_t)]
    pub format: HealthFormat,
}

pub fn run(env: &Env, args: &HealthArgs) -> CliResult {
    let read = read_services(&env.store.layout)?;
    if let Some(problem) = &read.broken {
        return Err(Failure::usage(format!(
            "{problem}\nbaton checks nothing until SERVICES.json parses"
        )));
    }
    for w in &read.warnings {
        eprintln!("baton: {w}");
    }
    let reports = check_services(&read.services);
    match args.format {
        HealthFormat::Json => {
            let doc = serde_json::json!({ "services": reports });
            let mut text = serde_json::to_string_pretty(&doc).unwrap_or_default();
            text.push('\n');
            print(&text)?;
        }
        HealthFormat::Table if reports.is_empty() => print(&format!("{}\n", no_services(&read)))?,
        HealthFormat::Table => print(&table(&reports))?,
    }
    if reports.is_empty() && args.format == HealthFormat::Json {
        eprintln!("baton: {}", no_services(&read));
    }
    let down = reports.iter().filter(|r| r.status == Status::Down).count();
    if down > 0 {
        return Err(Failure {
            code: 1,
            message: format!("{down} of {} services down", reports.len()),
        });
    }
    Ok(())
}

fn no_services(read: &crate::health::config::ServicesRead) -> String {
    if !read.exists {
        "no services to check: there is no SERVICES.json (`baton init` writes an example)".into()
    } else if read.services.is_empty() {
        "no services to check: SERVICES.json lists none".into()
    } else {
        format!(
            "no services to check: all {} in SERVICES.json are disabled (\"enabled\": false)",
            read.services.len()
        )
    }
}

/// NAME, STATUS, LATENCY, REASON; columns as wide as their widest cell.
pub fn table(reports: &[ServiceReport]) -> String {
    let name_w = reports
        .iter()
        .map(|r| r.name.width())
        .chain([4])
        .max()
        .unwrap_or(4);
    let latency = |r: &ServiceReport| r.latency_ms.map_or("—".into(), |ms| format!("{ms} ms"));
    let lat_w = reports
        .iter()
        .map(|r| latency(r).width())
        .chain([7])
        .max()
        .unwrap_or(7);
    let pad = |s: &str, w: usize| format!("{s}{}", " ".repeat(w.saturating_sub(s.width())));
    let mut out = format!(
        "{}  {}  {:>lat_w$}  REASON\n",
        pad("NAME", name_w),
        pad("STATUS", 8),
        "LATENCY"
    );
    for r in reports {
        let lat = latency(r);
        let line = format!(
            "{}  {}  {}{}  {}",
            pad(&r.name, name_w),
            pad(r.status.as_str(), 8),
            " ".repeat(lat_w.saturating_sub(lat.width())),
            lat,
            r.reason.as_deref().unwrap_or("")
        );
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}
