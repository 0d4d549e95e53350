//! `cargo bench --bench lab`: every speed, memory and size figure of issue 14, each measured side
//! by side with its baseline in the same run (alternating, median of the repetitions), one JSON
//! line per figure: `{"figure","value","unit","baseline","ratio","goal","ok","note"}`.
//!
//! `-- --quick` (or `HB_BENCH_QUICK=1`) takes fewer repetitions and a smaller bulk run;
//! `-- --only NAME[,NAME]` runs only the figures whose names start with one of them. Without a
//! display it starts Xvfb on a free display for the GUI figures. `HB_BENCH_CALLS=1` lists the
//! lab run's Graph calls on stderr (what `lab_vs_rtt_floor` counts).
//!
//! The app under test is `hello-bootstrap` as `cargo build` makes it with the profile this bench
//! was built with (`cargo bench`: the release profile; `cargo test --bench lab`: dev), so its
//! size, start-up and memory are the shipped binary's; the start-up and memory baseline is
//! hb-bench's `blank-window`, built the same way.

use hello_bootstrap::cli::args::RunArgs;
use hello_bootstrap::compose::{DemoOptions, LabEnv, RealOptions, lab_connector};
use hello_bootstrap::emulator::EmulatorHandle;
use hello_bootstrap::lab::Step;
use hello_bootstrap::lab::session::Connection;
use hello_bootstrap::ui::{AppOptions, HelloApp, Page, build_app};
use serde_json::json;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// One line of output.
struct Figure {
    figure: &'static str,
    value: Option<f64>,
    unit: &'static str,
    baseline: Option<f64>,
    goal: String,
    ok: bool,
    note: String,
}

impl Figure {
    fn print(&self) {
        let round = |v: f64| (v * 1000.0).round() / 1000.0;
        let ratio = match (self.value, self.baseline) {
            (Some(v), Some(b)) if b > 0.0 => Some(round(v / b)),
            _ => None,
        };
        let line = json!({
            "figure": self.figure,
            "value": self.value.map(round),
            "unit": self.unit,
            "baseline": self.baseline.map(round),
            "ratio": ratio,
            "goal": self.goal,
            "ok": self.ok,
            "note": self.note,
        });
        println!("{line}");
        let _ = std::io::stdout().flush();
    }
}

fn median(mut v: Vec<f64>) -> f64 {
    if v.is_empty() {
        return f64::NAN;
    }
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

fn percentile(mut v: Vec<f64>, p: f64) -> f64 {
    if v.is_empty() {
        return f64::NAN;
    }
    v.sort_by(f64::total_cmp);
    let at = ((v.len() as f64 - 1.0) * p).round() as usize;
    v[at.min(v.len() - 1)]
}

struct Bench {
    reps: usize,
    quick: bool,
    only: Vec<String>,
    app: PathBuf,
    display: String,
    home: tempfile::TempDir,
}

impl Bench {
    fn wants(&self, name: &str) -> bool {
        self.only.is_empty() || self.only.iter().any(|o| name.starts_with(o.as_str()))
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let quick = args.iter().any(|a| a == "--quick")
        || std::env::var_os("HB_BENCH_QUICK").is_some_and(|v| !v.is_empty() && v != "0");
    let only = args
        .iter()
        .position(|a| a == "--only")
        .and_then(|i| args.get(i + 1))
        .map(|s| s.split(',').map(str::to_string).collect())
        .unwrap_or_default();
    // Every in-process figure shares one throwaway home, set before any thread starts.
    let home = tempfile::tempdir().expect("a temp dir");
    // SAFETY: no other thread exists yet.
    unsafe { std::env::set_var(hello_bootstrap::lab::paths::HOME_ENV, home.path()) };
    let mut xvfb = None;
    let display = match std::env::var("DISPLAY") {
        Ok(d) if !d.is_empty() => d,
        _ => {
            let (child, d) = start_xvfb();
            xvfb = Some(child);
            d
        }
    };
    let bench = Bench {
        reps: if quick { 3 } else { 5 },
        quick,
        only,
        app: built("hello-bootstrap", "hello-bootstrap")
            .expect("cannot build hello-bootstrap for the bench (cargo's error is above)"),
        display,
        home,
    };
    eprintln!(
        "lab bench: {} repetitions, display {}, {}",
        bench.reps,
        bench.display,
        machine()
    );
    let blank = blank_window();

    if bench.wants("binary_mb") {
        binary_mb(&bench, blank.as_deref()).print();
    }
    if bench.wants("msi_mb") {
        msi_mb(&bench).print();
    }
    if bench.wants("dsregcmd") {
        dsregcmd_50mb(&bench).print();
    }
    if bench.wants("startup") || bench.wants("rss_idle") {
        for f in startup_and_rss(&bench, blank.as_deref()) {
            f.print();
        }
    }
    if bench.wants("lab_vs_rtt_floor") || bench.wants("rss_after_lab") || bench.wants("idle") {
        lab_vs_rtt_floor(&bench).print();
    }
    if bench.wants("rss_after_lab") {
        rss_after_lab(&bench).print();
    }
    if bench.wants("frame") {
        for f in frames_in_flight(&bench) {
            f.print();
        }
    }
    if bench.wants("idle") {
        for f in idle_repaints(&bench) {
            f.print();
        }
    }
    if bench.wants("bulk") {
        bulk_tap(&bench).print();
    }
    if let Some(mut x) = xvfb {
        let _ = x.kill();
        let _ = x.wait();
    }
}

/// CPU model, cores and memory, for the README's "ran on".
fn machine() -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|c| {
            c.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split(':').nth(1))
                .map(|s| s.trim().to_string())
        })
        .unwrap_or_else(|| "unknown CPU".into());
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let mem = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|m| {
            m.lines()
                .find(|l| l.starts_with("MemTotal"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<f64>().ok())
        })
        .map_or(0.0, |kb| kb / 1024.0 / 1024.0);
    format!("{cpu}, {cores} cores, {mem:.1} GiB")
}

fn start_xvfb() -> (Child, String) {
    let n = 90 + std::process::id() % 900;
    let display = format!(":{n}");
    let child = Command::new("Xvfb")
        .args([
            display.as_str(),
            "-screen",
            "0",
            "1366x768x24",
            "-nolisten",
            "tcp",
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("no DISPLAY and no Xvfb to start: install xvfb or set DISPLAY");
    std::thread::sleep(Duration::from_millis(800));
    (child, display)
}

/// `cargo build`s one binary of this workspace with this bench's own profile (the folder its
/// executable sits in: `release` or `debug`) and returns its path. A plain build, not this bench's,
/// so the binary has exactly the features a user's build has.
fn built(package: &str, bin: &str) -> Option<PathBuf> {
    let exe = std::env::current_exe().ok()?;
    let profile_dir = exe.parent()?.parent()?.to_path_buf();
    let release = profile_dir.file_name().is_some_and(|n| n == "release");
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut cmd = Command::new(cargo);
    cmd.args(["build", "--quiet", "-p", package, "--bin", bin]);
    if release {
        cmd.arg("--release");
    }
    match cmd.status() {
        Ok(s) if s.success() => {}
        other => {
            eprintln!("cannot build {bin} ({other:?})");
            return None;
        }
    }
    let path = profile_dir.join(bin);
    path.exists().then_some(path)
}

/// The blank eframe window, built with the profile this bench was built with.
fn blank_window() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("HB_BENCH_BLANK") {
        return Some(PathBuf::from(p));
    }
    let path = built("hb-bench", "blank-window");
    if path.is_none() {
        eprintln!("no blank-window: its figures are left out");
    }
    path
}

fn file_mb(path: &Path) -> Option<f64> {
    std::fs::metadata(path)
        .ok()
        .map(|m| m.len() as f64 / 1_000_000.0)
}

fn binary_mb(bench: &Bench, blank: Option<&Path>) -> Figure {
    let value = file_mb(&bench.app);
    Figure {
        figure: "binary_mb",
        value,
        unit: "MB",
        baseline: blank.and_then(file_mb),
        goal: "<= 20".into(),
        ok: value.is_some_and(|v| v <= 20.0),
        note: format!("{} vs the blank eframe window", bench.app.display()),
    }
}

fn msi_mb(bench: &Bench) -> Figure {
    let target = bench
        .app
        .parent()
        .and_then(Path::parent)
        .map(Path::to_path_buf)
        .unwrap_or_default();
    let found = std::env::var_os("HB_BENCH_MSI")
        .map(PathBuf::from)
        .or_else(|| {
            let mut candidates: Vec<PathBuf> =
                [target.clone(), target.join("wix"), target.join("msi")]
                    .iter()
                    .filter_map(|d| std::fs::read_dir(d).ok())
                    .flatten()
                    .flatten()
                    .map(|e| e.path())
                    .filter(|p| p.extension().is_some_and(|e| e == "msi"))
                    .collect();
            candidates.sort_by_key(|p| std::fs::metadata(p).and_then(|m| m.modified()).ok());
            candidates.pop()
        });
    let value = found.as_deref().and_then(file_mb);
    Figure {
        figure: "msi_mb",
        value,
        unit: "MB",
        baseline: None,
        goal: "<= 10".into(),
        ok: value.is_some_and(|v| v <= 10.0),
        note: match &found {
            Some(p) => p.display().to_string(),
            None => "not built: run scripts/package-windows first (or set HB_BENCH_MSI)".into(),
        },
    }
}

/// 50 MB of `dsregcmd /status` text: the emulated VM's real-shaped output over and over, with a
/// long wrapped value every tenth copy (the shape that made joining lines quadratic).
fn crafted_dsregcmd() -> String {
    let sample = hello_bootstrap::host::emulated::dsreg_text::status_text("LAB-VM-01", None, false);
    let mut text = String::with_capacity(50_000_000 + sample.len() * 2);
    let mut i = 0usize;
    while text.len() < 50_000_000 {
        text.push_str(&sample);
        if i.is_multiple_of(10) {
            text.push_str("     AttemptStatus : Client ErrorCode 0x801c03f2, server error\n");
            for _ in 0..40 {
                text.push_str(
                    "          DirectoryError, the device object by the given id was not found\n",
                );
            }
        }
        i += 1;
    }
    text
}

fn dsregcmd_50mb(bench: &Bench) -> Figure {
    let text = crafted_dsregcmd();
    let mb = text.len() as f64 / 1_000_000.0;
    let (mut parse, mut scan) = (Vec::new(), Vec::new());
    let mut error = None;
    for _ in 0..bench.reps {
        let t = Instant::now();
        let lines = text.lines().filter(|l| l.contains(" : ")).count();
        scan.push(t.elapsed().as_secs_f64());
        std::hint::black_box(lines);
        let t = Instant::now();
        let parsed = hello_bootstrap::host::dsregcmd::parse(&text);
        parse.push(t.elapsed().as_secs_f64());
        if let Err(e) = parsed {
            error = Some(e.to_string());
        }
    }
    let value = median(parse);
    Figure {
        figure: "dsregcmd_50mb_s",
        value: Some(value),
        unit: "s",
        baseline: Some(median(scan)),
        goal: "<= 1".into(),
        ok: error.is_none() && value <= 1.0,
        note: match error {
            Some(e) => format!("parse failed: {e}"),
            None => format!("{mb:.1} MB parsed vs one scan of its lines for ' : '"),
        },
    }
}

/// Resident memory of a process, in MB.
fn rss_mb(pid: u32) -> Option<f64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let kb: f64 = status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()?;
    Some(kb / 1024.0)
}

/// A GUI process started with the first-frame report on; kills it when dropped.
struct Gui {
    child: Child,
    first_frame: Option<Duration>,
}

impl Drop for Gui {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn launch(bench: &Bench, exe: &Path, args: &[&str], home: &Path) -> Gui {
    let started = Instant::now();
    let mut child = Command::new(exe)
        .args(args)
        .env(hello_bootstrap::ui::first_frame::ENV, "1")
        .env(hello_bootstrap::lab::paths::HOME_ENV, home)
        .env("DISPLAY", &bench.display)
        .env_remove("WAYLAND_DISPLAY")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the GUI starts");
    let stderr = child.stderr.take().expect("piped stderr");
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if line.starts_with(hello_bootstrap::ui::first_frame::MARKER) {
                let _ = tx.send(started.elapsed());
            }
        }
    });
    let first_frame = rx.recv_timeout(Duration::from_secs(60)).ok();
    Gui { child, first_frame }
}

fn startup_and_rss(bench: &Bench, blank: Option<&Path>) -> Vec<Figure> {
    let Some(blank) = blank else {
        return vec![missing("startup_first_frame"), missing("rss_idle_mb")];
    };
    let home = tempfile::tempdir().expect("a temp dir");
    // A first start makes the demo tenant (and its signing key); every timed start reuses it.
    drop(launch(bench, &bench.app, &["--demo"], home.path()));
    let settle = Duration::from_secs(3);
    let (mut app_ms, mut blank_ms, mut app_rss, mut blank_rss) = (vec![], vec![], vec![], vec![]);
    for _ in 0..bench.reps {
        for (exe, args, ms, rss) in [
            (&bench.app, &["--demo"][..], &mut app_ms, &mut app_rss),
            (&blank.to_path_buf(), &[][..], &mut blank_ms, &mut blank_rss),
        ] {
            let gui = launch(bench, exe, args, home.path());
            if let Some(t) = gui.first_frame {
                ms.push(t.as_secs_f64() * 1000.0);
                std::thread::sleep(settle);
                if let Some(mb) = rss_mb(gui.child.id()) {
                    rss.push(mb);
                }
            }
        }
    }
    let startup = median(app_ms.clone());
    let startup_base = median(blank_ms.clone());
    let rss = median(app_rss.clone());
    vec![
        Figure {
            figure: "startup_first_frame",
            value: Some(startup),
            unit: "ms",
            baseline: Some(startup_base),
            goal: "<= 1.15x".into(),
            ok: app_ms.len() == bench.reps && startup <= 1.15 * startup_base,
            note: format!(
                "exec to the first painted frame, `hello-bootstrap --demo` vs the blank window, {} of {} starts",
                app_ms.len(),
                bench.reps
            ),
        },
        Figure {
            figure: "rss_idle_mb",
            value: Some(rss),
            unit: "MB",
            baseline: Some(median(blank_rss)),
            goal: "<= 110".into(),
            ok: rss <= 110.0,
            note: "Welcome page of `--demo`, 3 s after the first frame, vs the blank window".into(),
        },
    ]
}

fn missing(figure: &'static str) -> Figure {
    Figure {
        figure,
        value: None,
        unit: "",
        baseline: None,
        goal: String::new(),
        ok: false,
        note: "not measured: the blank window could not be built".into(),
    }
}

/// One Graph call of the emulator's request log, without what a `$batch` dispatched inside.
struct Call {
    method: String,
    path: String,
    /// The raw query string: a read names the ids it needs there too (`$filter=principalId
    /// eq '{id}'`).
    query: String,
}

impl Call {
    /// Whether the call names `id` in its path or its query.
    fn names(&self, id: &str) -> bool {
        let id = id.to_ascii_lowercase();
        self.path.to_ascii_lowercase().contains(&id)
            || self.query.to_ascii_lowercase().contains(&id)
    }
}

fn graph_calls(handle: &EmulatorHandle, from: usize) -> Vec<Call> {
    handle
        .state()
        .requests()
        .into_iter()
        .skip(from)
        .filter(|r| !r.in_batch && (r.path.starts_with("/v1.0/") || r.path.starts_with("/beta/")))
        .map(|r| Call {
            method: r.method,
            path: r.path,
            query: r.query.unwrap_or_default(),
        })
        .collect()
}

/// The signed-in account's object id, which only `/me`'s answer gives the client.
fn me_id(handle: &EmulatorHandle) -> Option<String> {
    handle
        .state()
        .read(|t| t.user(&handle.admin_upn).map(|u| u.id.as_str().to_string()))
}

/// The floor of round trips that truly depend on one another: each write waits for what came
/// before it; reads between writes are independent of one another (one round trip for the
/// group), except a GET of one item of a collection listed earlier in the group, whose id only
/// that list's answer gives (a GUID segment: such an id cannot be known in advance), and a read
/// that names the signed-in account's id (`me`, in its path or query) before any earlier call
/// named it, which waits for `/me`; a read of what a write just answered is not needed at all.
fn dependent_round_trips(calls: &[Call], me: Option<&str>) -> usize {
    call_levels(calls, me)
        .into_iter()
        .flatten()
        .max()
        .unwrap_or(0)
}

/// The dependency level of each call ([`dependent_round_trips`]); `None` for a read the floor
/// does not need.
fn call_levels(calls: &[Call], me: Option<&str>) -> Vec<Option<usize>> {
    // The deepest level so far, and the level the last write ended on.
    let (mut level, mut after_write) = (0, 0);
    // The reads since that write: path, level.
    let mut group: Vec<(&str, usize)> = Vec::new();
    let mut written = std::collections::HashSet::new();
    // The level of the `/me` read whose answer gave the account's id, until a call names it.
    let mut me_read: Option<usize> = None;
    let mut me_named = false;
    calls
        .iter()
        .map(|call| {
            let learns_me = !me_named && me.is_some_and(|id| call.names(id));
            me_named |= learns_me;
            let needs_me = learns_me.then_some(me_read).flatten();
            if call.method == "GET" {
                if written.contains(&call.path) {
                    return None;
                }
                let waits_for = group
                    .iter()
                    .filter(|(listed, _)| is_item_of(&call.path, listed))
                    .map(|(_, l)| *l)
                    .chain(needs_me)
                    .max();
                let mine = waits_for.map_or(after_write + 1, |l| (l + 1).max(after_write + 1));
                group.push((&call.path, mine));
                if matches!(call.path.as_str(), "/v1.0/me" | "/beta/me") && me_read.is_none() {
                    me_read = Some(mine);
                }
                level = level.max(mine);
                Some(mine)
            } else {
                group.clear();
                level += 1;
                after_write = level;
                written.insert(call.path.clone());
                Some(level)
            }
        })
        .collect()
}

/// Whether `path` is `list/{guid}` (one item, by an id only the list's answer gives).
fn is_item_of(path: &str, list: &str) -> bool {
    path.strip_prefix(list)
        .and_then(|rest| rest.strip_prefix('/'))
        .is_some_and(is_guid)
}

fn is_guid(s: &str) -> bool {
    let parts: Vec<&str> = s.split('-').collect();
    parts.iter().map(|p| p.len()).eq([8, 4, 4, 4, 12])
        && parts
            .iter()
            .all(|p| p.chars().all(|c| c.is_ascii_hexdigit()))
}

fn emulator_of(env: &LabEnv) -> &EmulatorHandle {
    env.keepalive
        .iter()
        .find_map(|k| k.downcast_ref::<std::sync::Arc<EmulatorHandle>>())
        .map(|h| &**h)
        .expect("the demo keeps its emulator")
}

/// `run --demo --fast` at 100 ms a call (in process, so the emulator's request log can be read),
/// against as many plain dependent GETs as the floor counts, alternating.
fn lab_vs_rtt_floor(bench: &Bench) -> Figure {
    let rt = tokio::runtime::Runtime::new().expect("a runtime");
    let (mut labs, mut floors, mut counts, mut calls_made) = (vec![], vec![], vec![], vec![]);
    let mut failure = None;
    for _ in 0..bench.reps {
        let result = rt.block_on(async {
            let env = LabEnv::demo(DemoOptions {
                reset: true,
                latency_ms: 100,
                host_time_scale: Some(0.0),
                ..Default::default()
            })
            .await
            .map_err(|e| e.to_string())?;
            let handle = emulator_of(&env);
            let from = handle.state().requests().len();
            let started = Instant::now();
            let graph = env.graph.clone().expect("the demo has Graph");
            if let Some(auth) = &env.auth {
                auth.preflight(&graph, &Step::ALL)
                    .await
                    .map_err(|e| e.to_string())?;
            }
            let (outcomes, _) = hello_bootstrap::cli::lab_cmds::run_steps(
                &env,
                &Step::ALL,
                None,
                &RunArgs::default(),
                false,
            )
            .await;
            let lab = started.elapsed();
            if let Some(bad) = outcomes.iter().find(|o| !o.ok()) {
                return Err(format!("{}: {}", bad.step(), bad.detail()));
            }
            let calls = graph_calls(handle, from);
            let me = me_id(handle);
            let floor_n = dependent_round_trips(&calls, me.as_deref());
            if std::env::var_os("HB_BENCH_CALLS").is_some() {
                for (call, level) in calls.iter().zip(call_levels(&calls, me.as_deref())) {
                    let level = level.map_or("-".to_string(), |l| l.to_string());
                    let sep = if call.query.is_empty() { "" } else { "?" };
                    eprintln!(
                        "lab call (level {level}): {} {}{sep}{}",
                        call.method, call.path, call.query
                    );
                }
            }
            // The floor, measured: that many GETs one after another on the same emulator.
            let client = reqwest::Client::new();
            let token = handle.access_token();
            let url = format!(
                "{}/v1.0/organization",
                handle.graph_url.trim_end_matches('/')
            );
            let started = Instant::now();
            for _ in 0..floor_n {
                client
                    .get(&url)
                    .bearer_auth(token.expose())
                    .send()
                    .await
                    .map_err(|e| e.to_string())?;
            }
            Ok::<_, String>((lab, started.elapsed(), floor_n, calls.len()))
        });
        match result {
            Ok((lab, floor, n, made)) => {
                labs.push(lab.as_secs_f64());
                floors.push(floor.as_secs_f64());
                counts.push(n);
                calls_made.push(made);
            }
            Err(e) => failure = Some(e),
        }
    }
    let value = median(labs);
    let baseline = median(floors);
    Figure {
        figure: "lab_vs_rtt_floor",
        value: Some(value),
        unit: "s",
        baseline: Some(baseline),
        goal: "<= 1.25x".into(),
        ok: failure.is_none() && value <= 1.25 * baseline,
        note: match failure {
            Some(e) => format!("a run failed: {e}"),
            None => format!(
                "all 7 steps, 100 ms a Graph call, host waits off (--fast): {} Graph calls, {} truly dependent round trips",
                calls_made.first().copied().unwrap_or(0),
                counts.first().copied().unwrap_or(0)
            ),
        },
    }
}

/// The real binary on the lab the previous figure applied: every page visited with PageDown
/// (steps 4 and 7 show the VM's screen), then its memory, against its own Welcome page.
fn rss_after_lab(bench: &Bench) -> Figure {
    let mut after = vec![];
    let mut idle = vec![];
    for _ in 0..bench.reps.min(3) {
        let gui = launch(bench, &bench.app, &["--demo"], bench.home.path());
        if gui.first_frame.is_none() {
            continue;
        }
        std::thread::sleep(Duration::from_secs(3));
        idle.extend(rss_mb(gui.child.id()));
        let window = Command::new("xdotool")
            .args(["search", "--pid", &gui.child.id().to_string()])
            .env("DISPLAY", &bench.display)
            .output()
            .ok()
            .and_then(|o| String::from_utf8(o.stdout).ok())
            .and_then(|s| s.lines().last().map(str::to_string));
        let Some(window) = window else { continue };
        for _ in 0..Page::all().count() {
            let _ = Command::new("xdotool")
                .args(["key", "--window", &window, "Next"])
                .env("DISPLAY", &bench.display)
                .status();
            std::thread::sleep(Duration::from_millis(1500));
        }
        std::thread::sleep(Duration::from_secs(2));
        after.extend(rss_mb(gui.child.id()));
    }
    let value = median(after.clone());
    Figure {
        figure: "rss_after_lab_mb",
        value: (!after.is_empty()).then_some(value),
        unit: "MB",
        baseline: (!idle.is_empty()).then(|| median(idle)),
        goal: "<= 130".into(),
        ok: !after.is_empty() && value <= 130.0,
        note:
            "the applied demo lab, every page visited by PageDown, vs the same process on Welcome"
                .into(),
    }
}

/// The CPU time this thread has used, so other work on a shared machine does not count.
#[cfg(unix)]
fn thread_cpu() -> Duration {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid timespec for the call to fill in.
    unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
}

/// Where there is no per-thread CPU clock, wall time since the first call (the bench's figures
/// are taken on Linux; this keeps the bench compiling for the Windows target).
#[cfg(not(unix))]
fn thread_cpu() -> Duration {
    static START: std::sync::OnceLock<std::time::Instant> = std::sync::OnceLock::new();
    START.get_or_init(std::time::Instant::now).elapsed()
}

fn harness(demo: DemoOptions) -> egui_kittest::Harness<'static, HelloApp> {
    let connector = lab_connector(RealOptions::default(), demo);
    egui_kittest::Harness::builder()
        .with_size([1180.0, 780.0])
        .build_eframe(move |cc| {
            build_app(
                cc,
                AppOptions {
                    demo: true,
                    connector,
                    ..AppOptions::default()
                },
            )
            .expect("the app builds")
        })
}

/// One frame at real time, its CPU time in `logic` + `ui` (kittest has no rasteriser).
fn timed_step(h: &mut egui_kittest::Harness<'static, HelloApp>) -> f64 {
    h.input_mut().time = Some(clock_start().elapsed().as_secs_f64());
    let cpu = thread_cpu();
    h.step();
    (thread_cpu() - cpu).as_secs_f64() * 1000.0
}

/// The wizard's frames while the demo connects at 2 s a Graph call (every step's check in
/// flight), alternating with an idle wizard's frames on the same thread.
fn frames_in_flight(bench: &Bench) -> Vec<Figure> {
    use egui_kittest::kittest::Queryable;
    let (mut busy, mut idle) = (vec![], vec![]);
    let mut peak_jobs = 0;
    for _ in 0..bench.reps.min(3) {
        let mut a = harness(DemoOptions {
            reset: false,
            latency_ms: 2000,
            host_time_scale: Some(0.0),
            ..Default::default()
        });
        let mut b = harness(DemoOptions::default());
        a.run();
        b.run();
        a.get_by_label("Start the demo").click();
        let started = Instant::now();
        loop {
            let lab = a.state().lab();
            if (lab.connection == Connection::Connected && !lab.busy())
                || started.elapsed() > Duration::from_secs(60)
            {
                break;
            }
            let jobs = Step::ALL
                .iter()
                .filter(|s| lab.step(**s).running.is_some())
                .count();
            peak_jobs = peak_jobs.max(jobs);
            let ms = timed_step(&mut a);
            if jobs > 0 {
                busy.push(ms);
            }
            idle.push(timed_step(&mut b));
            std::thread::sleep(Duration::from_millis(20));
        }
    }
    let p50 = percentile(busy.clone(), 0.5);
    let p99 = percentile(busy.clone(), 0.99);
    let note = format!(
        "{} frames with up to {peak_jobs} step jobs (each a chain of 2 s Graph calls) in flight, vs an idle wizard's frames",
        busy.len()
    );
    vec![
        Figure {
            figure: "frame_p50_inflight_ms",
            value: Some(p50),
            unit: "ms",
            baseline: Some(percentile(idle.clone(), 0.5)),
            goal: "-".into(),
            ok: !busy.is_empty(),
            note: note.clone(),
        },
        Figure {
            figure: "frame_p99_inflight_ms",
            value: Some(p99),
            unit: "ms",
            baseline: Some(percentile(idle, 0.99)),
            goal: "<= 4".into(),
            ok: !busy.is_empty() && p99 <= 4.0,
            note,
        },
    ]
}

/// One clock for every harness frame, so egui's time never runs backwards.
fn clock_start() -> Instant {
    static START: std::sync::OnceLock<Instant> = std::sync::OnceLock::new();
    *START.get_or_init(Instant::now)
}

/// When the wizard's next frame falls due, as eframe's loop would see it.
type Due = Arc<Mutex<Option<Instant>>>;

fn schedule(due: &Due, delay: Duration) {
    if let Some(at) = Instant::now().checked_add(delay) {
        let mut d = due.lock().unwrap();
        *d = Some(d.map_or(at, |x| x.min(at)));
    }
}

/// Frames the wizard asks for over `window`, run like eframe's loop: a frame when a repaint
/// falls due (asked in a frame or woken from another thread), at real time. `kick` runs a first
/// frame as input would (a page change); it is not counted.
fn frames_over(
    h: &mut egui_kittest::Harness<'static, HelloApp>,
    due: &Due,
    window: Duration,
    kick: bool,
) -> usize {
    if kick {
        schedule(due, Duration::ZERO);
    }
    let t0 = Instant::now();
    let mut frames = 0;
    let mut kicked = !kick;
    while t0.elapsed() < window {
        let now = Instant::now();
        let ready = {
            let mut d = due.lock().unwrap();
            match *d {
                Some(at) if at <= now => {
                    *d = None;
                    true
                }
                _ => false,
            }
        };
        if ready {
            h.input_mut().time = Some(now.duration_since(clock_start()).as_secs_f64());
            h.step();
            if kicked {
                frames += 1;
            }
            kicked = true;
            let delay = h
                .output()
                .viewport_output
                .get(&egui::ViewportId::ROOT)
                .map_or(Duration::MAX, |v| v.repaint_delay);
            schedule(due, delay);
        } else {
            std::thread::sleep(Duration::from_millis(2));
        }
    }
    frames
}

/// Repaints a second on every page of the applied lab while nothing happens (steps 4 and 7 show
/// the VM's still screen), one figure per page; the goal is none.
fn idle_repaints(bench: &Bench) -> Vec<Figure> {
    let mut h = harness(DemoOptions {
        reset: false,
        latency_ms: 0,
        host_time_scale: Some(0.0),
        ..Default::default()
    });
    h.run();
    {
        use egui_kittest::kittest::Queryable;
        h.get_by_label("Start the demo").click();
    }
    let started = Instant::now();
    while (h.state().lab().connection != Connection::Connected || h.state().lab().busy())
        && started.elapsed() < Duration::from_secs(60)
    {
        h.step();
        std::thread::sleep(Duration::from_millis(20));
    }
    let due: Due = Arc::default();
    let wake = due.clone();
    h.ctx
        .set_request_repaint_callback(move |info| schedule(&wake, info.delay));
    let window = Duration::from_secs(if bench.quick { 3 } else { 5 });
    let mut out = vec![];
    for page in Page::all() {
        h.state_mut().show_page(page);
        // Let the page settle: its first frames, the VM screen's first look.
        let settling = frames_over(&mut h, &due, Duration::from_millis(2500), true);
        eprintln!("{page:?}: {settling} frames to settle");
        let reps: Vec<f64> = (0..bench.reps.min(3))
            .map(|_| frames_over(&mut h, &due, window, false) as f64 / window.as_secs_f64())
            .collect();
        let value = median(reps);
        let name = match page {
            Page::Welcome => "idle_repaints_per_s.welcome".to_string(),
            Page::Step(s) => format!("idle_repaints_per_s.step{}", s.number()),
            Page::Summary => "idle_repaints_per_s.summary".to_string(),
        };
        out.push(Figure {
            figure: Box::leak(name.into_boxed_str()),
            value: Some(value),
            unit: "1/s",
            baseline: Some(0.0),
            goal: "0".into(),
            ok: value == 0.0,
            note: if matches!(page, Page::Step(Step::LabVm | Step::Bootstrap)) {
                "the applied lab, the VM's screen shown and still".into()
            } else {
                "the applied lab, nothing running".into()
            },
        });
    }
    out
}

/// 1,000 TAPs (200 with `--quick`) by one `tap issue --csv` (`$batch` 20 a call, concurrency
/// that follows `Retry-After`) at 100 ms a call with 10 % of the Graph calls answered 429, against
/// one `tap issue UPN` process per user (timed on 50, extrapolated), both in the same run on the
/// same emulator and fault rule. Every pass either run reports is checked with `verify-tap`.
fn bulk_tap(bench: &Bench) -> Figure {
    let users = if bench.quick { 200 } else { 1000 };
    let sample = 50;
    let rt = tokio::runtime::Runtime::new().expect("a runtime");
    let handle = rt
        .block_on(hello_bootstrap::emulator::Emulator::start(
            hello_bootstrap::emulator::EmulatorConfig {
                extra_users: users + sample,
                latency_ms: 100,
                seed: 14,
                ..Default::default()
            },
        ))
        .expect("the emulator starts");
    let fail = |note: String| Figure {
        figure: "bulk_tap_vs_sequential",
        value: None,
        unit: "s",
        baseline: None,
        goal: ">= 20x (baseline/value)".into(),
        ok: false,
        note,
    };
    // Issuing needs the TAP policy on (lab step 5); a fresh tenant has it off, as Entra does.
    if let Err(e) = rt.block_on(enable_tap_policy(&handle)) {
        return fail(format!("cannot enable the TAP policy: {e}"));
    }
    let upns = generated_upns(&rt, &handle, users + sample);
    if upns.len() < users + sample {
        return fail(format!(
            "only {} plain users found in the emulator",
            upns.len()
        ));
    }
    let token = handle.access_token();
    let tool = |args: &[&str]| {
        Command::new(&bench.app)
            .arg("--graph-url")
            .arg(&handle.graph_url)
            .args(args)
            .arg("--json")
            .env(hello_bootstrap::auth::cli::ACCESS_TOKEN_ENV, token.expose())
            .env(hello_bootstrap::lab::paths::HOME_ENV, bench.home.path())
            .stdin(Stdio::null())
            .output()
    };
    let csv = bench.home.path().join("bulk.csv");
    let mut body = String::from("upn\n");
    for upn in &upns[..users] {
        body.push_str(upn);
        body.push('\n');
    }
    std::fs::write(&csv, body).expect("the CSV");
    // One Graph call in ten throttled, `$batch` items included, from here on.
    if let Err(e) = rt.block_on(control(
        &handle,
        reqwest::Method::POST,
        "faults",
        Some(json!({"spec": "429@/v1.0/:0.10:retry=1"})),
    )) {
        return fail(format!("cannot add the 429 rule: {e}"));
    }
    let log_from = handle.state().requests().len();
    let t = Instant::now();
    let bulk_run = tool(&["tap", "issue", "--csv", &csv.display().to_string()]);
    let bulk = t.elapsed().as_secs_f64();
    let bulk_traffic = Traffic::of(&handle, log_from);
    let mut reported: Vec<(String, String)> = vec![];
    let mut bulk_error = None;
    match &bulk_run {
        Ok(out) => {
            reported.extend(passes(&out.stdout));
            if !out.status.success() {
                bulk_error = Some(first_line(&out.stderr));
            }
        }
        Err(e) => bulk_error = Some(e.to_string()),
    }
    let log_from = handle.state().requests().len();
    let t = Instant::now();
    let mut seq_errors: Vec<String> = vec![];
    let mut seq_reported: Vec<(String, String)> = vec![];
    for upn in &upns[users..] {
        match tool(&["tap", "issue", upn]) {
            Ok(out) => {
                seq_reported.extend(passes(&out.stdout));
                if !out.status.success() {
                    seq_errors.push(first_line(&out.stderr));
                }
            }
            Err(e) => seq_errors.push(e.to_string()),
        }
    }
    let per_user = t.elapsed().as_secs_f64() / sample as f64;
    let seq_traffic = Traffic::of(&handle, log_from);
    let sequential = per_user * users as f64;
    let _ = rt.block_on(control(&handle, reqwest::Method::DELETE, "faults", None));
    let bulk_check = rt.block_on(check_passes(&handle, &upns[..users], &reported));
    let seq_check = rt.block_on(check_passes(&handle, &upns[users..], &seq_reported));
    let speedup = sequential / bulk;
    let mut note = format!(
        "{users} TAPs by one `tap issue --csv` ({}) vs {sample} `tap issue UPN` processes ({}) x {}: speed-up {speedup:.1}x; bulk: {} valid, {} lost, {} duplicated; sequential: {} valid, {} lost, {} duplicated",
        bulk_traffic.describe(),
        seq_traffic.describe(),
        users / sample,
        bulk_check.valid,
        bulk_check.lost,
        bulk_check.duplicated,
        seq_check.valid,
        seq_check.lost,
        seq_check.duplicated,
    );
    if let Some(e) = &bulk_error {
        note.push_str(&format!("; the bulk run failed: {e}"));
    }
    if let Some(e) = seq_errors.first() {
        note.push_str(&format!(
            "; {} sequential runs failed, the first: {e}",
            seq_errors.len()
        ));
    }
    Figure {
        figure: "bulk_tap_vs_sequential",
        value: Some(bulk),
        unit: "s",
        baseline: Some(sequential),
        goal: ">= 20x (baseline/value)".into(),
        ok: bulk_error.is_none()
            && seq_errors.is_empty()
            && bulk_check.is_clean(users)
            && seq_check.is_clean(sample)
            && speedup >= 20.0,
        note,
    }
}

/// The Graph traffic of one phase, from the emulator's request log.
struct Traffic {
    calls: usize,
    batches: usize,
    items: usize,
    throttled: usize,
}

impl Traffic {
    fn of(handle: &EmulatorHandle, from: usize) -> Traffic {
        let log: Vec<_> = handle
            .state()
            .requests()
            .into_iter()
            .skip(from)
            .filter(|r| r.path.starts_with("/v1.0/") || r.path.starts_with("/beta/"))
            .collect();
        Traffic {
            calls: log.iter().filter(|r| !r.in_batch).count(),
            batches: log
                .iter()
                .filter(|r| !r.in_batch && r.path.ends_with("/$batch"))
                .count(),
            items: log.iter().filter(|r| r.in_batch).count(),
            throttled: log.iter().filter(|r| r.status == 429).count(),
        }
    }

    fn describe(&self) -> String {
        format!(
            "{} HTTP calls, {} of them $batch with {} items, {} answers 429",
            self.calls, self.batches, self.items, self.throttled
        )
    }
}

/// `(upn, pass)` of every issued or replaced result in a `tap issue --json` document.
fn passes(stdout: &[u8]) -> Vec<(String, String)> {
    let Ok(doc) = serde_json::from_slice::<serde_json::Value>(stdout) else {
        return vec![];
    };
    doc["results"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|r| {
            Some((
                r["upn"].as_str()?.to_string(),
                r["temporary_access_pass"].as_str()?.to_string(),
            ))
        })
        .collect()
}

fn first_line(stderr: &[u8]) -> String {
    let text = String::from_utf8_lossy(stderr);
    let last = text.lines().rev().find(|l| !l.trim().is_empty());
    let skipped = text
        .lines()
        .find(|l| l.contains("skipped:") || l.contains("failed:"));
    skipped.or(last).unwrap_or("no message").trim().to_string()
}

/// What the users hold after a run, against what it reported.
struct PassCheck {
    valid: usize,
    lost: usize,
    duplicated: usize,
}

impl PassCheck {
    fn is_clean(&self, users: usize) -> bool {
        self.valid == users && self.lost == 0 && self.duplicated == 0
    }
}

/// Each user's reported pass, checked with the emulator's `verify-tap`: valid (the one they hold),
/// lost (no valid pass reported for them), duplicated (reported more than once).
async fn check_passes(
    handle: &EmulatorHandle,
    upns: &[String],
    reported: &[(String, String)],
) -> PassCheck {
    let mut by_user: std::collections::HashMap<&str, Vec<&str>> = Default::default();
    for (upn, tap) in reported {
        by_user.entry(upn.as_str()).or_default().push(tap.as_str());
    }
    let client = reqwest::Client::new();
    let url = format!(
        "{}/_emulator/verify-tap",
        handle.graph_url.trim_end_matches('/')
    );
    let mut check = PassCheck {
        valid: 0,
        lost: 0,
        duplicated: by_user.values().filter(|t| t.len() > 1).count(),
    };
    for chunk in upns.chunks(50) {
        let answers = futures::future::join_all(chunk.iter().map(|upn| {
            let tap = by_user.get(upn.as_str()).and_then(|t| t.last().copied());
            let req = client
                .post(&url)
                .json(&json!({"upn": upn, "temporary_access_pass": tap.unwrap_or("")}));
            async move {
                tap?;
                let v: serde_json::Value = req.send().await.ok()?.json().await.ok()?;
                v["valid"].as_bool()
            }
        }))
        .await;
        for valid in answers {
            if valid == Some(true) {
                check.valid += 1;
            } else {
                check.lost += 1;
            }
        }
    }
    check
}

/// One call to the emulator's control API (`/_emulator/NAME`).
async fn control(
    handle: &EmulatorHandle,
    method: reqwest::Method,
    name: &str,
    body: Option<serde_json::Value>,
) -> Result<(), String> {
    let url = format!(
        "{}/_emulator/{name}",
        handle.graph_url.trim_end_matches('/')
    );
    let mut req = reqwest::Client::new().request(method, url);
    if let Some(b) = body {
        req = req.json(&b);
    }
    send_ok(req).await
}

/// Sends `req`; a non-success answer is an error carrying its status and body.
async fn send_ok(req: reqwest::RequestBuilder) -> Result<(), String> {
    let resp = req.send().await.map_err(|e| e.to_string())?;
    if resp.status().is_success() {
        Ok(())
    } else {
        Err(format!(
            "{}: {}",
            resp.status(),
            resp.text().await.unwrap_or_default()
        ))
    }
}

/// Turns the TAP method policy on, as lab step 5 does (the bench's own raw PATCH, not our client).
async fn enable_tap_policy(handle: &EmulatorHandle) -> Result<(), String> {
    let url = format!(
        "{}/v1.0/policies/authenticationMethodsPolicy/authenticationMethodConfigurations/TemporaryAccessPass",
        handle.graph_url.trim_end_matches('/')
    );
    send_ok(
        reqwest::Client::new()
            .patch(url)
            .bearer_auth(handle.access_token().expose())
            .json(&json!({
                "@odata.type": "#microsoft.graph.temporaryAccessPassAuthenticationMethodConfiguration",
                "state": "enabled"
            })),
    )
    .await
}

/// Enabled members without a role, read through Graph like any client would: the generated
/// users (the demo's named people, some with roles, come first; guests last and are left out).
fn generated_upns(
    rt: &tokio::runtime::Runtime,
    handle: &EmulatorHandle,
    want: usize,
) -> Vec<String> {
    rt.block_on(async {
        let client = reqwest::Client::new();
        let token = handle.access_token();
        let mut url = format!(
            "{}/v1.0/users?$select=userPrincipalName,userType,accountEnabled&$top=999",
            handle.graph_url.trim_end_matches('/')
        );
        let mut out = vec![];
        loop {
            let Ok(resp) = client.get(&url).bearer_auth(token.expose()).send().await else {
                break;
            };
            let Ok(page) = resp.json::<serde_json::Value>().await else {
                break;
            };
            for u in page["value"].as_array().into_iter().flatten() {
                if u["userType"] == "Member"
                    && u["accountEnabled"] == true
                    && let Some(upn) = u["userPrincipalName"].as_str()
                {
                    out.push(upn.to_string());
                }
            }
            match page["@odata.nextLink"].as_str() {
                Some(next) => url = next.to_string(),
                None => break,
            }
        }
        let skip = out.len().saturating_sub(want);
        out.split_off(skip)
    })
}
