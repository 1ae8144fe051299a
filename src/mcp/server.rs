//! The rmcp server: tool schemas and routes (rmcp's `#[tool]` macros), resources, and the
//! hand-off of every call to the [`Backend`] on a thread of its own.

use std::sync::Arc;

use rmcp::handler::server::router::tool::ToolRouter;
use rmcp::handler::server::wrapper::Parameters;
use rmcp::model::{
    CallToolResult, ContentBlock, Implementation, ListResourcesResult, PaginatedRequestParams,
    ReadResourceRequestParams, ReadResourceResponse, ReadResourceResult, Resource,
    ResourceContents, ServerCapabilities, ServerConfig,
};
use rmcp::service::RequestContext;
use rmcp::{ErrorData as McpError, RoleServer, ServerHandler, tool, tool_handler, tool_router};
use schemars::JsonSchema;
use serde::Deserialize;

use crate::domain::items::Priority;
use crate::domain::template::Template;

use super::{Backend, LogEntry, Op, ReadError, ResourceId};

const INSTRUCTIONS: &str = "baton keeps this project's log of AI coding sessions. At the start, \
call get_context (what earlier sessions decided, handed off and left pending). If no session \
is active, start_session with the goal. As you work, log every decision with its reason \
(log_decision), what you learned (log_insight), what got in the way (log_blocker), what you \
finished (log_achievement, log_done), code you wrote (log_code) and work left for later \
(log_next). When the work is done, end_session with a summary and notes for the next session: \
that writes the handoff.";

#[derive(Clone)]
pub struct BatonServer {
    backend: Arc<dyn Backend>,
    tool_router: ToolRouter<BatonServer>,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct ContextParams {
    /// Trim to about this many tokens (4 characters ≈ 1 token); pending work and the last
    /// handoff's summary are never cut
    pub budget: Option<u32>,
    /// Check the services of SERVICES.json (default true; false is faster)
    pub health: Option<bool>,
}

#[derive(Debug, Clone, Copy, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum TemplateParam {
    Development,
    Strategic,
    Execution,
}

#[derive(Debug, Clone, Copy, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum PriorityParam {
    High,
    Medium,
    Low,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct StartParams {
    /// What this session is for
    pub goal: Option<String>,
    /// Attach the checklist for this kind of session
    pub template: Option<TemplateParam>,
    /// Use this id instead of the next YYYY-MM-DD-NNN
    pub id: Option<String>,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct DecisionParams {
    /// The decision
    pub text: String,
    /// Why it was made
    pub why: Option<String>,
    /// What it changes
    pub impact: Option<String>,
    /// The session to log into (default: the only active one)
    pub session: Option<String>,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct InsightParams {
    /// Something learned
    pub text: String,
    /// Also a best practice (merged into the knowledge base's best_practices)
    #[serde(default)]
    pub practice: bool,
    /// The session to log into (default: the only active one)
    pub session: Option<String>,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct TextParams {
    /// What to log
    pub text: String,
    /// The session to log into (default: the only active one)
    pub session: Option<String>,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct BlockerParams {
    /// What got in the way
    pub text: String,
    /// How it was solved
    pub solution: Option<String>,
    /// What to remember from it
    pub lesson: Option<String>,
    /// The session to log into (default: the only active one)
    pub session: Option<String>,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct NextParams {
    /// A next step; it becomes pending work when the session ends
    pub text: String,
    /// Its priority (default medium)
    pub priority: Option<PriorityParam>,
    /// The session to log into (default: the only active one)
    pub session: Option<String>,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct CodeParams {
    /// The file created or changed
    pub path: String,
    /// What it is
    pub note: Option<String>,
    /// The session to log into (default: the only active one)
    pub session: Option<String>,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct DoneParams {
    /// The pending item finished (matched by its text, ignoring case and punctuation)
    pub task: String,
    /// The session to log into (default: the only active one)
    pub session: Option<String>,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct EndParams {
    /// The handoff's Quick Summary
    pub summary: Option<String>,
    /// Notes for the next session
    pub notes: Option<String>,
    /// The session to end (default: the only active one)
    pub session: Option<String>,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct SearchParams {
    /// Words to look for (every word must match)
    pub query: String,
    /// At most this many results
    pub limit: Option<u32>,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct ShowParams {
    /// A session id (2025-11-15-001) or a date (2025-11-15: every session of that day)
    pub session: String,
}

impl BatonServer {
    pub fn new(backend: Arc<dyn Backend>) -> Self {
        let mut tool_router = Self::tool_router();
        if !backend.has_history() {
            tool_router.remove_route("search");
            tool_router.remove_route("show_session");
        }
        BatonServer {
            backend,
            tool_router,
        }
    }

    /// Runs `op` on a thread of its own (the backend blocks) and turns its answer into a tool
    /// result: the text, or the command line's error message with `isError`.
    async fn run(&self, op: Op) -> Result<CallToolResult, McpError> {
        let backend = Arc::clone(&self.backend);
        let answer = blocking(move || backend.call(op)).await?;
        Ok(match answer {
            Ok(text) => CallToolResult::success(vec![ContentBlock::text(text)]),
            Err(message) => CallToolResult::error(vec![ContentBlock::text(message)]),
        })
    }

    fn log(&self, session: Option<String>, entry: LogEntry) -> Op {
        Op::Log { session, entry }
    }
}

/// Runs blocking work on a plain thread (it may start a runtime of its own, as the health
/// checks do) and awaits its answer.
async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> T + Send + 'static,
) -> Result<T, McpError> {
    let (tx, rx) = tokio::sync::oneshot::channel();
    std::thread::spawn(move || {
        let _ = tx.send(work());
    });
    rx.await
        .map_err(|_| McpError::internal_error("baton: the operation stopped unexpectedly", None))
}

#[tool_router]
impl BatonServer {
    /// What a new session should load: knowledge totals, pending work by priority, the last
    /// handoff, recent decisions, architecture, best practices, active sessions, service
    /// health (Markdown)
    #[tool(annotations(read_only_hint = true))]
    async fn get_context(
        &self,
        Parameters(p): Parameters<ContextParams>,
    ) -> Result<CallToolResult, McpError> {
        self.run(Op::Context {
            budget: p.budget.map(|b| b as usize),
            health: p.health.unwrap_or(true),
        })
        .await
    }

    /// Begin a session; answers its id, then the context pack
    #[tool]
    async fn start_session(
        &self,
        Parameters(p): Parameters<StartParams>,
    ) -> Result<CallToolResult, McpError> {
        let template = p.template.map(|t| match t {
            TemplateParam::Development => Template::Development,
            TemplateParam::Strategic => Template::Strategic,
            TemplateParam::Execution => Template::Execution,
        });
        self.run(Op::Start {
            goal: p.goal,
            template,
            id: p.id,
        })
        .await
    }

    /// Log a decision, with why and what it changes
    #[tool(annotations(destructive_hint = false))]
    async fn log_decision(
        &self,
        Parameters(p): Parameters<DecisionParams>,
    ) -> Result<CallToolResult, McpError> {
        let entry = LogEntry::Decision {
            text: p.text,
            why: p.why,
            impact: p.impact,
        };
        self.run(self.log(p.session, entry)).await
    }

    /// Log something learned (practice: also a best practice)
    #[tool(annotations(destructive_hint = false))]
    async fn log_insight(
        &self,
        Parameters(p): Parameters<InsightParams>,
    ) -> Result<CallToolResult, McpError> {
        let entry = LogEntry::Insight {
            text: p.text,
            practice: p.practice,
        };
        self.run(self.log(p.session, entry)).await
    }

    /// Log something done (a pending item with the same text leaves pending work at the end)
    #[tool(annotations(destructive_hint = false))]
    async fn log_achievement(
        &self,
        Parameters(p): Parameters<TextParams>,
    ) -> Result<CallToolResult, McpError> {
        let entry = LogEntry::Achievement { text: p.text };
        self.run(self.log(p.session, entry)).await
    }

    /// Log something that got in the way, with its solution and lesson
    #[tool(annotations(destructive_hint = false))]
    async fn log_blocker(
        &self,
        Parameters(p): Parameters<BlockerParams>,
    ) -> Result<CallToolResult, McpError> {
        let entry = LogEntry::Blocker {
            text: p.text,
            solution: p.solution,
            lesson: p.lesson,
        };
        self.run(self.log(p.session, entry)).await
    }

    /// Log a next step (it becomes pending work when the session ends)
    #[tool(annotations(destructive_hint = false))]
    async fn log_next(
        &self,
        Parameters(p): Parameters<NextParams>,
    ) -> Result<CallToolResult, McpError> {
        let priority = match p.priority {
            Some(PriorityParam::High) => Priority::High,
            Some(PriorityParam::Low) => Priority::Low,
            Some(PriorityParam::Medium) | None => Priority::Medium,
        };
        let entry = LogEntry::Next {
            text: p.text,
            priority,
        };
        self.run(self.log(p.session, entry)).await
    }

    /// Log code created or changed
    #[tool(annotations(destructive_hint = false))]
    async fn log_code(
        &self,
        Parameters(p): Parameters<CodeParams>,
    ) -> Result<CallToolResult, McpError> {
        let entry = LogEntry::Code {
            path: p.path,
            note: p.note,
        };
        self.run(self.log(p.session, entry)).await
    }

    /// Log a pending item as finished (it leaves pending work when the session ends)
    #[tool(annotations(destructive_hint = false))]
    async fn log_done(
        &self,
        Parameters(p): Parameters<DoneParams>,
    ) -> Result<CallToolResult, McpError> {
        let entry = LogEntry::Done { task: p.task };
        self.run(self.log(p.session, entry)).await
    }

    /// End the session: archive it, write its handoff, merge it into the knowledge base;
    /// answers the handoff's path
    #[tool]
    async fn end_session(
        &self,
        Parameters(p): Parameters<EndParams>,
    ) -> Result<CallToolResult, McpError> {
        self.run(Op::End {
            session: p.session,
            summary: p.summary,
            notes: p.notes,
        })
        .await
    }

    /// Full-text search over handoffs, decisions, insights and session logs
    #[tool(annotations(read_only_hint = true))]
    async fn search(
        &self,
        Parameters(p): Parameters<SearchParams>,
    ) -> Result<CallToolResult, McpError> {
        self.run(Op::Search {
            query: p.query,
            limit: p.limit.map(|l| l as usize),
        })
        .await
    }

    /// A past session as it stood: its record, handoff, decisions and commits
    #[tool(annotations(read_only_hint = true))]
    async fn show_session(
        &self,
        Parameters(p): Parameters<ShowParams>,
    ) -> Result<CallToolResult, McpError> {
        self.run(Op::Show { session: p.session }).await
    }
}

#[tool_handler(router = self.tool_router)]
impl ServerHandler for BatonServer {
    fn get_info(&self) -> ServerConfig {
        ServerConfig::new(
            ServerCapabilities::builder()
                .enable_tools()
                .enable_resources()
                .build(),
        )
        .with_server_info(
            Implementation::new("baton", env!("CARGO_PKG_VERSION"))
                .with_title("baton: session handoffs"),
        )
        .with_instructions(INSTRUCTIONS)
    }

    async fn list_resources(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListResourcesResult, McpError> {
        let resources = ResourceId::ALL
            .into_iter()
            .map(|r| {
                Resource::new(r.uri(), r.name())
                    .with_description(r.description())
                    .with_mime_type(r.mime_type())
            })
            .collect();
        Ok(ListResourcesResult::with_all_items(resources))
    }

    async fn read_resource(
        &self,
        request: ReadResourceRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<ReadResourceResponse, McpError> {
        let Some(which) = ResourceId::from_uri(&request.uri) else {
            return Err(McpError::resource_not_found(
                format!(
                    "baton: no resource {}; there are {}",
                    request.uri,
                    ResourceId::ALL.map(ResourceId::uri).join(", ")
                ),
                None,
            ));
        };
        let backend = Arc::clone(&self.backend);
        match blocking(move || backend.read(which)).await? {
            Ok(text) => Ok(ReadResourceResult::new(vec![
                ResourceContents::text(text, which.uri()).with_mime_type(which.mime_type()),
            ])
            .into()),
            Err(ReadError::Missing(m)) => Err(McpError::resource_not_found(m, None)),
            Err(ReadError::Failed(m)) => Err(McpError::internal_error(m, None)),
        }
    }
}
