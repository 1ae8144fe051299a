//! `baton mcp`: a Model Context Protocol server over stdio, so that an AI session can load
//! the context, log, and end with a handoff through tool calls instead of shell commands.
//!
//! This module is the protocol: the tools and their argument schemas, the resources, and
//! the rmcp wiring. What each tool *does* is a [`Backend`] — the command line implements it
//! with its own functions (`cli/mcp.rs`), so a tool call and the matching `baton` command
//! share their code, their redaction and their error messages. Nothing but JSON-RPC is
//! written to stdout; the backend's notes (what was redacted) go to stderr.

mod server;

use std::sync::Arc;

use crate::domain::items::Priority;
use crate::domain::template::Template;

pub use server::BatonServer;

/// One thing to log into a session: the `baton log …` subcommands.
#[derive(Debug, Clone, PartialEq)]
pub enum LogEntry {
    Decision {
        text: String,
        why: Option<String>,
        impact: Option<String>,
    },
    Insight {
        text: String,
        practice: bool,
    },
    Achievement {
        text: String,
    },
    Blocker {
        text: String,
        solution: Option<String>,
        lesson: Option<String>,
    },
    Next {
        text: String,
        priority: Priority,
    },
    Code {
        path: String,
        note: Option<String>,
    },
    Done {
        task: String,
    },
}

/// A tool call, as the backend sees it. `session: None` means the server's default
/// (`--session`, `$BATON_SESSION`), else the only active session — as on the command line.
#[derive(Debug, Clone, PartialEq)]
pub enum Op {
    Context {
        budget: Option<usize>,
        health: bool,
    },
    Start {
        goal: Option<String>,
        template: Option<Template>,
        id: Option<String>,
    },
    Log {
        session: Option<String>,
        entry: LogEntry,
    },
    End {
        session: Option<String>,
        summary: Option<String>,
        notes: Option<String>,
    },
    Search {
        query: String,
        limit: Option<usize>,
    },
    Show {
        session: String,
    },
}

/// The resources the server lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResourceId {
    Knowledge,
    LatestHandoff,
    Pending,
}

impl ResourceId {
    pub const ALL: [ResourceId; 3] = [
        ResourceId::Knowledge,
        ResourceId::LatestHandoff,
        ResourceId::Pending,
    ];

    pub fn uri(self) -> &'static str {
        match self {
            ResourceId::Knowledge => "baton://knowledge",
            ResourceId::LatestHandoff => "baton://handoff/latest",
            ResourceId::Pending => "baton://pending",
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            ResourceId::Knowledge => "knowledge",
            ResourceId::LatestHandoff => "latest-handoff",
            ResourceId::Pending => "pending",
        }
    }

    pub fn description(self) -> &'static str {
        match self {
            ResourceId::Knowledge => {
                "The knowledge base (UNIFIED_KNOWLEDGE.json): totals, core decisions, \
                 architecture state, best practices, pending work"
            }
            ResourceId::LatestHandoff => "The most recent session handoff (Markdown)",
            ResourceId::Pending => {
                "Pending work by priority, and the next steps logged by active sessions \
                 (JSON)"
            }
        }
    }

    pub fn mime_type(self) -> &'static str {
        match self {
            ResourceId::Knowledge | ResourceId::Pending => "application/json",
            ResourceId::LatestHandoff => "text/markdown",
        }
    }

    pub fn from_uri(uri: &str) -> Option<ResourceId> {
        ResourceId::ALL.into_iter().find(|r| r.uri() == uri)
    }
}

/// Why a resource could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReadError {
    /// Nothing there yet (no knowledge base, no handoff): the message says so.
    Missing(String),
    /// Reading failed: the message the command line would print.
    Failed(String),
}

/// What the tools and resources do. Calls are blocking (they take the directory lock, run
/// `git log`, check services); the server runs each on a thread of its own.
pub trait Backend: Send + Sync + 'static {
    /// Runs a tool; `Ok` is the tool's text, `Err` the command line's error message.
    fn call(&self, op: Op) -> Result<String, String>;
    /// Reads a resource's text.
    fn read(&self, resource: ResourceId) -> Result<String, ReadError>;
    /// Whether `search` and `show_session` are available.
    fn has_history(&self) -> bool;
}

/// Serves MCP over stdin/stdout until the client closes stdin.
pub fn serve(backend: Arc<dyn Backend>) -> Result<(), String> {
    use rmcp::ServiceExt;
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("async runtime: {e}"))?;
    rt.block_on(async move {
        let running = BatonServer::new(backend)
            .serve(rmcp::transport::stdio())
            .await
            .map_err(|e| format!("mcp: {e}"))?;
        running
            .waiting()
            .await
            .map(|_| ())
            .map_err(|e| format!("mcp: {e}"))
    })
}
