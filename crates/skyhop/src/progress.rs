//! Progress bars on a terminal, plain lines otherwise: the CLI's `skyhop_core::Progress`.

use std::collections::{HashMap, HashSet};
use std::io::IsTerminal;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use skyhop_core::Progress;

/// Shows each long step as a bar (countable) or spinner, on stderr.
pub struct Bars {
    multi: MultiProgress,
    bars: Mutex<HashMap<String, (ProgressBar, Instant)>>,
    shown_notes: Mutex<HashSet<String>>,
    tty: bool,
    quiet: bool,
}

impl Bars {
    pub fn new(quiet: bool) -> Self {
        let tty = std::io::stderr().is_terminal();
        let multi = MultiProgress::with_draw_target(if tty && !quiet {
            ProgressDrawTarget::stderr()
        } else {
            ProgressDrawTarget::hidden()
        });
        Bars {
            multi,
            bars: Mutex::new(HashMap::new()),
            shown_notes: Mutex::new(HashSet::new()),
            tty,
            quiet,
        }
    }

    fn line(&self, text: &str) {
        if self.quiet {
            return;
        }
        if self.tty {
            let _ = self.multi.println(text);
        } else {
            eprintln!("{text}");
        }
    }
}

impl Progress for Bars {
    fn begin(&self, step: &str, total: Option<u64>) {
        let bar = match total {
            Some(n) => {
                let b = ProgressBar::new(n);
                b.set_style(
                    ProgressStyle::with_template("{spinner:.cyan} {msg} [{bar:30}] {pos}/{len}")
                        .unwrap_or_else(|_| ProgressStyle::default_bar())
                        .progress_chars("=> "),
                );
                b
            }
            None => {
                let b = ProgressBar::new_spinner();
                b.set_style(
                    ProgressStyle::with_template("{spinner:.cyan} {msg} ({elapsed})")
                        .unwrap_or_else(|_| ProgressStyle::default_spinner()),
                );
                b
            }
        };
        let bar = self.multi.add(bar);
        bar.set_message(step.to_string());
        bar.enable_steady_tick(Duration::from_millis(120));
        if !self.tty {
            self.line(&format!("  ... {step}"));
        }
        if let Ok(mut bars) = self.bars.lock() {
            bars.insert(step.to_string(), (bar, Instant::now()));
        }
    }

    fn advance(&self, step: &str, n: u64) {
        if let Ok(bars) = self.bars.lock()
            && let Some((bar, _)) = bars.get(step)
        {
            bar.inc(n);
        }
    }

    fn end(&self, step: &str, message: &str) {
        let entry = self.bars.lock().ok().and_then(|mut b| b.remove(step));
        let elapsed = entry
            .as_ref()
            .map(|(_, t)| t.elapsed().as_secs_f64())
            .unwrap_or(0.0);
        if let Some((bar, _)) = entry {
            bar.finish_and_clear();
            self.multi.remove(&bar);
        }
        let msg = if message.is_empty() { step } else { message };
        let mark = if msg.starts_with("failed") {
            '✗'
        } else {
            '✓'
        };
        self.line(&format!("  {mark} {step}: {msg} ({elapsed:.1}s)"));
    }

    fn note(&self, message: &str) {
        // Each note once per run, however many steps report it.
        if let Ok(mut shown) = self.shown_notes.lock()
            && !shown.insert(message.to_string())
        {
            return;
        }
        self.line(&format!("  note: {message}"));
    }
}

/// The shared state of a run, with progress bars (none when `quiet`).
pub fn ctx(quiet: bool) -> Result<skyhop_upgrade::Ctx, crate::Failure> {
    skyhop_upgrade::Ctx::new(Box::new(Bars::new(quiet)))
}
