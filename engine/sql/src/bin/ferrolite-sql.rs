//! `ferrolite-sql`: the interactive SQL shell.
//!
//! ```text
//! ferrolite-sql DIR                 # a line editor; statements end with ';'
//! ferrolite-sql DIR -c "SQL"        # run the statements, print, exit (1 on error)
//! ferrolite-sql --memory            # an in-memory database
//! options: --memtable KIND   --sync none|buffered|every|group   --echo
//! dot commands: .tables  .schema [TABLE]  .explain SQL  .session [NAME]  .help  .quit
//! ```
//!
//! `.session NAME` switches to another connection of the same database (made on first use;
//! `.session` alone lists them), so one shell can show two transactions racing: BEGIN in
//! one, change the same row in the other, COMMIT the first — it fails with a conflict.
//!
//! Without a terminal on stdin it reads statements from stdin (with `--echo`, each is
//! printed before its result, which makes a readable transcript).

use ferrolite::{MapKind, Options, SyncPolicy};
use ferrolite_sql::{Database, Session};
use std::collections::BTreeMap;
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

/// The shell's connections, by name; `current` is the one statements go to.
struct Sessions {
    db: Database,
    all: BTreeMap<String, Session>,
    current: String,
}

impl Sessions {
    fn new(db: Database) -> Self {
        let mut all = BTreeMap::new();
        all.insert("main".to_string(), db.session());
        Sessions {
            db,
            all,
            current: "main".into(),
        }
    }

    fn session(&mut self) -> &mut Session {
        let db = &self.db;
        self.all
            .entry(self.current.clone())
            .or_insert_with(|| db.session())
    }

    fn prompt(&self) -> String {
        if self.current == "main" {
            "ferrolite> ".into()
        } else {
            format!("ferrolite[{}]> ", self.current)
        }
    }
}

/// Run one input (SQL or a dot command); print the result. Returns false on error.
fn run(sessions: &mut Sessions, input: &str) -> bool {
    let input = input.trim();
    if let Some(cmd) = input.strip_prefix('.') {
        let (name, rest) = cmd.split_once(char::is_whitespace).unwrap_or((cmd, ""));
        let rest = rest.trim();
        match name {
            "tables" => {
                let names: Vec<String> = sessions.db.catalog().tables().map(|t| t.name.clone()).collect();
                println!("{}", names.join("  "));
            }
            "schema" => {
                let cat = sessions.db.catalog();
                for t in cat.tables() {
                    if rest.is_empty() || t.name.eq_ignore_ascii_case(rest) {
                        println!("{}", t.to_sql());
                    }
                }
            }
            "explain" => return run(sessions, &format!("EXPLAIN {}", rest.trim_end_matches(';'))),
            "session" => {
                if rest.is_empty() {
                    for (name, s) in &sessions.all {
                        let mark = if *name == sessions.current { "*" } else { " " };
                        let state = if s.in_transaction() { "in a transaction" } else { "idle" };
                        println!("{mark} {name} ({state})");
                    }
                } else {
                    sessions.current = rest.to_string();
                    sessions.session();
                }
            }
            "help" => println!(
                ".tables  .schema [TABLE]  .explain SQL  .session [NAME]  .help  .quit  — statements end with ';'"
            ),
            "quit" | "exit" => std::process::exit(0),
            other => {
                eprintln!("Error: unknown command .{other} (try .help)");
                return false;
            }
        }
        return true;
    }
    match sessions.session().execute(input) {
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
    let mut sessions = Sessions::new(db);
    if let Some(sql) = &args.command {
        return if run(&mut sessions, sql) {
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
                    println!("{}{}", sessions.prompt(), buf.trim());
                }
                ok &= run(&mut sessions, &buf);
                buf.clear();
            }
        }
        if !buf.trim().is_empty() {
            ok &= run(&mut sessions, &buf);
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
            sessions.prompt()
        } else {
            "      ...> ".to_string()
        };
        match editor.readline(&prompt) {
            Ok(line) => {
                buf.push_str(&line);
                buf.push('\n');
                if complete(&buf) {
                    let _ = editor.add_history_entry(buf.trim());
                    run(&mut sessions, &buf);
                    buf.clear();
                }
            }
            Err(rustyline::error::ReadlineError::Interrupted) => buf.clear(),
            Err(_) => break,
        }
    }
    ExitCode::SUCCESS
}
