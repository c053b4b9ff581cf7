//! `chat-load`: drives the real chat-server through its public HTTP + WebSocket API and,
//! in the same run, Redis pub/sub, socket.io and NATS with the same payloads and subscriber
//! counts; prints the figures side by side with the ratios, and writes them as JSON.
//!
//! `chat-load scenario <name>` runs a preset of issue 5; `chat-load fanout …` a custom run.
//! The hidden `chat-load worker` is this binary re-executed to hold a slice of the clients.

mod cli;
mod coord;
mod hist;
mod marker;
mod procstat;
mod proto;
mod report;
mod scenario;
mod spec;
mod worker;

use std::process::ExitCode;

use clap::Parser as _;

use cli::{Cli, Cmd};

fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("chat-load: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match cli.cmd {
        Cmd::Worker { spec } => match serde_json::from_str(&spec) {
            Ok(spec) => {
                let code = runtime.block_on(worker::main(spec));
                // The stdin reader sits in a blocking read that only the process exit ends.
                runtime.shutdown_background();
                code
            }
            Err(e) => {
                eprintln!("chat-load worker: bad spec: {e}");
                ExitCode::FAILURE
            }
        },
        Cmd::Scenario { name, common, over } => {
            let mut plan = name.plan();
            if let Err(e) = scenario::apply(&mut plan, &over) {
                eprintln!("chat-load: {e}");
                return ExitCode::from(2);
            }
            finish(runtime.block_on(coord::main(
                name.as_str(),
                plan,
                common,
                name.needs_postgres(),
            )))
        }
        Cmd::Fanout { common, over } => {
            let mut plan = scenario::default_fanout();
            if let Err(e) = scenario::apply(&mut plan, &over) {
                eprintln!("chat-load: {e}");
                return ExitCode::from(2);
            }
            finish(runtime.block_on(coord::main("fanout", plan, common, false)))
        }
    }
}

/// Exit status: failure if the run failed or ours lost or broke anything.
fn finish(r: Result<report::Document, coord::LoadError>) -> ExitCode {
    match r {
        Ok(doc) => {
            let broken = match &doc.results {
                report::Results::Fanout(rs) => rs
                    .first()
                    .is_some_and(|r| r.lost > 0 || r.send_errors > 0 || r.disconnects > 0),
                report::Results::Storm(rs) => rs.first().is_some_and(|r| r.failed > 0),
                report::Results::Idle(_) => false,
            };
            if broken {
                eprintln!("chat-load: our server lost messages, failed sends or broke connections");
                ExitCode::from(3)
            } else {
                ExitCode::SUCCESS
            }
        }
        Err(e) => {
            eprintln!("chat-load: {e}");
            ExitCode::FAILURE
        }
    }
}
