//! `ui`: the project's deployments, deploy history, rollbacks and reports in a browser.

use std::io::Write;

use skyhop_ui::{Options, Ui};

use crate::cli::UiArgs;
use crate::{CmdResult, Failure, exit};

pub fn ui(args: UiArgs) -> CmdResult {
    let root = std::path::absolute(&args.project).unwrap_or_else(|_| args.project.clone());
    let ui = Ui::bind(Options {
        project_root: root.clone(),
        host_explicit: args.host.is_some(),
        host: args.host,
        port: args.port,
        deploy: None,
    })
    .map_err(Failure::usage)?;
    let url = ui.url();
    if !ui.addr().ip().is_loopback() {
        eprintln!(
            "warning: listening on {}: anyone who can reach it and has the URL below can deploy and roll back",
            ui.addr()
        );
    }
    // Written once and not unwrapped: whoever started the server may close its output.
    let _ = writeln!(
        std::io::stdout(),
        "skyhop ui for {} at {url}\n(the token in the URL is needed by every page; Ctrl-C stops the server)",
        root.display()
    );
    if args.open {
        open_browser(&url);
    }
    ui.serve();
    Ok(exit::OK)
}

/// Opens `url` with the desktop's opener, if there is one; the URL is printed either way.
fn open_browser(url: &str) {
    let opener = ["xdg-open", "open"].into_iter().find(|o| {
        std::env::var_os("PATH")
            .is_some_and(|p| std::env::split_paths(&p).any(|d| d.join(o).is_file()))
    });
    match opener {
        Some(o) => {
            let _ = std::process::Command::new(o)
                .arg(url)
                .stdin(std::process::Stdio::null())
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::null())
                .spawn();
        }
        None => eprintln!("--open: no xdg-open or open on PATH; open the URL above yourself"),
    }
}
