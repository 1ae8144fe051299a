//! Handoff Markdown → styled lines, for the preview and the reader.

use pulldown_cmark::{CodeBlockKind, Event, HeadingLevel, Options, Parser, Tag, TagEnd};
use ratatui::style::Style;
use ratatui::text::{Line, Span};

use crate::tui::theme::Theme;

pub fn render(text: &str, theme: Theme) -> Vec<Line<'static>> {
    let mut r = Renderer {
        theme,
        lines: Vec::new(),
        current: Vec::new(),
        styles: Vec::new(),
        lists: Vec::new(),
        in_code: false,
    };
    for event in Parser::new_ext(
        text,
        Options::ENABLE_STRIKETHROUGH | Options::ENABLE_TASKLISTS,
    ) {
        r.event(event);
    }
    r.flush();
    while r.lines.last().is_some_and(|l| l.spans.is_empty()) {
        r.lines.pop();
    }
    r.lines
}

struct Renderer {
    theme: Theme,
    lines: Vec<Line<'static>>,
    current: Vec<Span<'static>>,
    styles: Vec<Style>,
    /// Per open list: the next number, or `None` for bullets.
    lists: Vec<Option<u64>>,
    in_code: bool,
}

impl Renderer {
    fn style(&self) -> Style {
        self.styles
            .iter()
            .fold(Style::new(), |acc, s| acc.patch(*s))
    }

    fn flush(&mut self) {
        if !self.current.is_empty() {
            self.lines
                .push(Line::from(std::mem::take(&mut self.current)));
        }
    }

    fn blank(&mut self) {
        self.flush();
        if self.lines.last().is_some_and(|l| !l.spans.is_empty()) {
            self.lines.push(Line::default());
        }
    }

    fn push(&mut self, text: String) {
        let style = self.style();
        self.current.push(Span::styled(text, style));
    }

    fn event(&mut self, event: Event<'_>) {
        match event {
            Event::Start(tag) => self.start(tag),
            Event::End(tag) => self.end(tag),
            Event::Text(t) => {
                if self.in_code {
                    let style = self.theme.code();
                    for line in t.lines() {
                        self.lines
                            .push(Line::from(Span::styled(format!("  {line}"), style)));
                    }
                } else {
                    self.push(t.into_string());
                }
            }
            Event::Code(c) => {
                let style = self.style().patch(self.theme.code());
                self.current.push(Span::styled(c.into_string(), style));
            }
            Event::SoftBreak => self.push(" ".into()),
            Event::HardBreak => self.flush(),
            Event::Rule => {
                self.blank();
                self.lines
                    .push(Line::styled("─".repeat(20), self.theme.dim()));
            }
            Event::TaskListMarker(done) => {
                self.push(if done { "[x] ".into() } else { "[ ] ".into() })
            }
            Event::Html(h) | Event::InlineHtml(h) => self.push(h.into_string()),
            _ => {}
        }
    }

    fn start(&mut self, tag: Tag<'_>) {
        match tag {
            Tag::Heading { level, .. } => {
                self.blank();
                let style = match level {
                    HeadingLevel::H1 => self.theme.title(),
                    HeadingLevel::H2 => self.theme.accent().patch(self.theme.bold()),
                    _ => self.theme.bold(),
                };
                self.styles.push(style);
            }
            Tag::Paragraph if self.lists.is_empty() => self.blank(),
            Tag::List(start) => {
                if self.lists.is_empty() {
                    self.blank();
                }
                self.flush();
                self.lists.push(start);
            }
            Tag::Item => {
                self.flush();
                let depth = self.lists.len().saturating_sub(1);
                let marker = match self.lists.last_mut() {
                    Some(Some(n)) => {
                        let m = format!("{n}. ");
                        *n += 1;
                        m
                    }
                    _ => "• ".into(),
                };
                self.current.push(Span::styled(
                    format!("{}{marker}", "  ".repeat(depth)),
                    self.theme.dim(),
                ));
            }
            Tag::CodeBlock(kind) => {
                self.blank();
                if let CodeBlockKind::Fenced(lang) = kind
                    && !lang.is_empty()
                {
                    self.lines
                        .push(Line::styled(format!("  {lang}"), self.theme.dim()));
                }
                self.in_code = true;
            }
            Tag::Emphasis => self
                .styles
                .push(Style::new().add_modifier(ratatui::style::Modifier::ITALIC)),
            Tag::Strong => self.styles.push(self.theme.bold()),
            Tag::Strikethrough => self
                .styles
                .push(Style::new().add_modifier(ratatui::style::Modifier::CROSSED_OUT)),
            Tag::BlockQuote(_) => {
                self.blank();
                self.styles.push(self.theme.dim());
            }
            _ => {}
        }
    }

    fn end(&mut self, tag: TagEnd) {
        match tag {
            TagEnd::Heading(_) => {
                self.styles.pop();
                self.flush();
            }
            TagEnd::Paragraph | TagEnd::Item => self.flush(),
            TagEnd::List(_) => {
                self.flush();
                self.lists.pop();
            }
            TagEnd::CodeBlock => {
                self.in_code = false;
                self.flush();
            }
            TagEnd::Emphasis | TagEnd::Strong | TagEnd::Strikethrough | TagEnd::BlockQuote(_) => {
                self.styles.pop();
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plain(lines: &[Line<'_>]) -> Vec<String> {
        lines
            .iter()
            .map(|l| l.spans.iter().map(|s| s.content.as_ref()).collect())
            .collect()
    }

    #[test]
    fn seed_handoff_renders_headings_lists_and_code() {
        let text = include_str!("../../../tests/fixtures/seed/handoff_section3.md");
        let lines = plain(&render(text, Theme { color: false }));
        assert_eq!(lines[0], "Session Handoff - 2025-11-15");
        // The fixture keeps the seed's mojibake check mark: shown as it is.
        assert!(
            lines
                .iter()
                .any(|l| l.starts_with("1. ") && l.ends_with("Deployed Ollama + Llama 3.1 8B")),
            "{lines:#?}"
        );
        assert!(
            lines.contains(&"  # Deploy dashboard".to_string()),
            "code comments stay code: {lines:#?}"
        );
        assert!(lines.iter().any(|l| l.starts_with("• Services Running:")));
    }
}
