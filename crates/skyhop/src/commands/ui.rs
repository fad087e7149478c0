//! `ui`: the project's deployments, deploy history, rollbacks and reports in a browser.

use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;

use skyhop_ui::{DeployHook, Options, Ui};

use crate::cli::UiArgs;
use crate::{CmdResult, Failure, exit};

pub fn ui(args: UiArgs) -> CmdResult {
    let root = std::path::absolute(&args.project).unwrap_or_else(|_| args.project.clone());
    let ui = Ui::bind(Options {
        project_root: root.clone(),
        host_explicit: args.host.is_some(),
        host: args.host,
        port: args.port,
        deploy: Some(deploy_hook(root.clone())),
        watch: Some(Arc::new(|root: &Path, name: &str| {
            super::deploy::watch_for_kill(root, name)
        })),
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

/// Deploys from the page by running `skyhop deploy` (this executable): the same parse test,
/// environment, lock, kill watcher and output as on the command line; its progress lines
/// (standard error) go to the page as they come.
fn deploy_hook(root: PathBuf) -> DeployHook {
    Arc::new(
        move |name: &str, description: &str, line: &mut dyn FnMut(&str)| {
            let exe = match std::env::current_exe() {
                Ok(e) => e,
                Err(e) => return (false, format!("cannot find the skyhop executable: {e}")),
            };
            let child = Command::new(exe)
                .arg("deploy")
                .arg("--project")
                .arg(&root)
                .args(["--deployment", name, "--description", description])
                .stdin(Stdio::null())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn();
            let mut child = match child {
                Ok(c) => c,
                Err(e) => return (false, format!("cannot run skyhop deploy: {e}")),
            };
            let mut stdout = child.stdout.take();
            let out = std::thread::spawn(move || {
                let mut text = String::new();
                if let Some(s) = stdout.as_mut() {
                    let _ = s.read_to_string(&mut text);
                }
                text
            });
            let mut last_error = String::new();
            if let Some(err) = child.stderr.take() {
                for l in BufReader::new(err).lines().map_while(Result::ok) {
                    if let Some(e) = l.strip_prefix("error: ") {
                        last_error = e.to_string();
                    }
                    line(&l);
                }
            }
            let status = child.wait();
            let printed = out.join().unwrap_or_default();
            for l in printed.lines() {
                line(l);
            }
            let ok = status.as_ref().is_ok_and(|s| s.success());
            let result = match (ok, last_error.is_empty()) {
                // `deploy N is active: ...` or `deploy N failed: ...; switched back ...`, then
                // `deploy N succeeded — URL`.
                (true, _) | (false, true) => printed
                    .lines()
                    .filter(|l| l.starts_with("deploy "))
                    .collect::<Vec<_>>()
                    .join("\n"),
                (false, false) => last_error,
            };
            (ok, result)
        },
    )
}
