//! `ferrolite-sql`: the interactive SQL shell.
//!
//! ```text
//! ferrolite-sql DIR                 # a line editor; statements end with ';'
//! ferrolite-sql DIR -c "SQL"        # run the statements, print, exit (1 on error)
//! ferrolite-sql --memory            # an in-memory database
//! options: --memtable KIND   --sync none|buffered|every|group   --echo
//! dot commands: .tables  .schema [TABLE]  .explain SQL  .help  .quit
//! ```
//!
//! Without a terminal on stdin it reads statements from stdin (with `--echo`, each is
//! printed before its result, which makes a readable transcript).

use ferrolite::{MapKind, Options, SyncPolicy};
use ferrolite_sql::{Database, Session};
use std::io::{BufRead, IsTerminal};
use std::process::ExitCode;
use std::time::Duration;

struct Args {
    dir: Option<String>,
    memory: bool,
    command: Option<String>,
    memtable: Option<MapKind>,
    sync: Option<SyncPolicy>,
    echo: bool,
}

const USAGE: &str = "usage: ferrolite-sql (DIR | --memory) [-c SQL] [--memtable KIND] [--sync none|buffered|every|group] [--echo]";

fn parse_args() -> Result<Args, String> {
    let mut a = Args {
        dir: None,
        memory: false,
        command: None,
        memtable: None,
        sync: None,
        echo: false,
    };
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        let mut value = |name: &str| {
            it.next()
                .ok_or_else(|| format!("{name} needs a value\n{USAGE}"))
        };
        match arg.as_str() {
            "-c" => a.command = Some(value("-c")?),
            "--memory" => a.memory = true,
            "--echo" => a.echo = true,
            "--memtable" => {
                let v = value("--memtable")?;
                a.memtable = Some(v.parse().map_err(|e| format!("--memtable {v}: {e}"))?);
            }
            "--sync" => {
                let v = value("--sync")?;
                a.sync = Some(match v.as_str() {
                    "none" => SyncPolicy::None,
                    "buffered" => SyncPolicy::Buffered {
                        max_delay: Duration::from_millis(10),
                    },
                    "every" => SyncPolicy::EveryWrite,
                    "group" => SyncPolicy::GroupCommit {
                        max_delay: Duration::from_micros(200),
                    },
                    other => {
                        return Err(format!(
                            "--sync {other}: expected none, buffered, every or group"
                        ))
                    }
                });
            }
            "-h" | "--help" => return Err(USAGE.to_string()),
            other if other.starts_with('-') => {
                return Err(format!("unknown option {other}\n{USAGE}"))
            }
            other => {
                if a.dir.replace(other.to_string()).is_some() {
                    return Err(format!("one directory only\n{USAGE}"));
                }
            }
        }
    }
    if a.dir.is_none() != a.memory {
        return Err(USAGE.to_string());
    }
    Ok(a)
}

fn open(a: &Args) -> Result<Database, String> {
    if a.memory {
        return Ok(Database::in_memory());
    }
    let mut opts = Options::default();
    if let Some(k) = a.memtable {
        opts = opts.memtable(k);
    }
    if let Some(s) = a.sync {
        opts.sync = s;
    }
    let dir = a.dir.as_deref().unwrap_or(".");
    Database::open(dir, opts).map_err(|e| format!("cannot open {dir}: {e}"))
}

/// Run one input (SQL or a dot command); print the result. Returns false on error.
fn run(db: &Database, session: &mut Session, input: &str) -> bool {
    let input = input.trim();
    if let Some(cmd) = input.strip_prefix('.') {
        let (name, rest) = cmd.split_once(char::is_whitespace).unwrap_or((cmd, ""));
        let rest = rest.trim();
        match name {
            "tables" => {
                let names: Vec<String> = db.catalog().tables().map(|t| t.name.clone()).collect();
                println!("{}", names.join("  "));
            }
            "schema" => {
                let cat = db.catalog();
                for t in cat.tables() {
                    if rest.is_empty() || t.name.eq_ignore_ascii_case(rest) {
                        println!("{}", t.to_sql());
                    }
                }
            }
            "explain" => {
                return run(
                    db,
                    session,
                    &format!("EXPLAIN {}", rest.trim_end_matches(';')),
                )
            }
            "help" => println!(
                ".tables  .schema [TABLE]  .explain SQL  .help  .quit  — statements end with ';'"
            ),
            "quit" | "exit" => std::process::exit(0),
            other => {
                eprintln!("Error: unknown command .{other} (try .help)");
                return false;
            }
        }
        return true;
    }
    match session.execute(input) {
        Ok(r) => {
            if !r.columns.is_empty() {
                print!("{}", r.to_table());
                println!(
                    "({} row{})",
                    r.rows.len(),
                    if r.rows.len() == 1 { "" } else { "s" }
                );
            } else if r.rows_affected > 0 {
                println!(
                    "{} row{} affected",
                    r.rows_affected,
                    if r.rows_affected == 1 { "" } else { "s" }
                );
            }
            true
        }
        Err(e) => {
            eprintln!("Error: {e}");
            false
        }
    }
}

/// Whether `buf` holds a complete statement (ends with ';' outside quotes) or a dot command.
fn complete(buf: &str) -> bool {
    let t = buf.trim();
    if t.starts_with('.') {
        return true;
    }
    let mut quote: Option<char> = None;
    let mut last = None;
    for c in t.chars() {
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => {}
            None if c == '\'' || c == '"' => quote = Some(c),
            None => {}
        }
        if !c.is_whitespace() {
            last = Some(c);
        }
    }
    quote.is_none() && last == Some(';')
}

fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    let db = match open(&args) {
        Ok(db) => db,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::FAILURE;
        }
    };
    let mut session = db.session();
    if let Some(sql) = &args.command {
        return if run(&db, &mut session, sql) {
            ExitCode::SUCCESS
        } else {
            ExitCode::FAILURE
        };
    }
    let mut ok = true;
    if !std::io::stdin().is_terminal() {
        let mut buf = String::new();
        for line in std::io::stdin().lock().lines() {
            let Ok(line) = line else { break };
            buf.push_str(&line);
            buf.push('\n');
            if complete(&buf) {
                if args.echo {
                    println!("ferrolite> {}", buf.trim());
                }
                ok &= run(&db, &mut session, &buf);
                buf.clear();
            }
        }
        if !buf.trim().is_empty() {
            ok &= run(&db, &mut session, &buf);
        }
        return if ok {
            ExitCode::SUCCESS
        } else {
            ExitCode::FAILURE
        };
    }
    let mut editor = match rustyline::DefaultEditor::new() {
        Ok(e) => e,
        Err(e) => {
            eprintln!("cannot start the line editor: {e}");
            return ExitCode::FAILURE;
        }
    };
    println!(
        "ferrolite-sql — {} (.help for help)",
        args.dir.as_deref().unwrap_or("in memory")
    );
    let mut buf = String::new();
    loop {
        let prompt = if buf.is_empty() {
            "ferrolite> "
        } else {
            "      ...> "
        };
        match editor.readline(prompt) {
            Ok(line) => {
                buf.push_str(&line);
                buf.push('\n');
                if complete(&buf) {
                    let _ = editor.add_history_entry(buf.trim());
                    run(&db, &mut session, &buf);
                    buf.clear();
                }
            }
            Err(rustyline::error::ReadlineError::Interrupted) => buf.clear(),
            Err(_) => break,
        }
    }
    ExitCode::SUCCESS
}
