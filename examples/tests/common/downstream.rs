//! A downstream for the server examples' `notify_crm` handler: a loopback HTTP server
//! that records each request's uuid and answers as the test says: 200, 500, or not yet.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// How the downstream answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// 200.
    Up,
    /// 500.
    Down,
    /// Holds each request without an answer until the mode changes.
    Hang,
}

#[derive(Default)]
struct State {
    mode: Option<Mode>,
    /// Requests per uuid, each with the answer it got.
    requests: HashMap<String, Vec<u16>>,
}

/// The downstream; it serves until the test process ends.
#[derive(Clone)]
pub struct Downstream {
    state: Arc<Mutex<State>>,
    /// `http://127.0.0.1:<port>/crm`.
    pub url: String,
}

impl Downstream {
    pub fn start(mode: Mode) -> Downstream {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}/crm", listener.local_addr().unwrap());
        let state = Arc::new(Mutex::new(State {
            mode: Some(mode),
            ..State::default()
        }));
        let shared = state.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().map_while(Result::ok) {
                let state = shared.clone();
                std::thread::spawn(move || serve(stream, &state));
            }
        });
        Downstream { state, url }
    }

    pub fn set(&self, mode: Mode) {
        self.state.lock().unwrap().mode = Some(mode);
    }

    /// The answers given to `uuid`'s requests (0: held, never answered).
    pub fn answers(&self, uuid: &str) -> Vec<u16> {
        let state = self.state.lock().unwrap();
        state.requests.get(uuid).cloned().unwrap_or_default()
    }
}

/// One connection: one request, one answer, then close.
fn serve(stream: TcpStream, state: &Mutex<State>) {
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut length = 0;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 {
            return;
        }
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        if let Some((name, value)) = line.split_once(':')
            && name.eq_ignore_ascii_case("content-length")
        {
            length = value.trim().parse().unwrap_or(0);
        }
    }
    let mut body = vec![0; length];
    if reader.read_exact(&mut body).is_err() {
        return;
    }
    let json: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
    let uuid = json["uuid"].as_str().unwrap_or_default().to_owned();
    let index = {
        let mut state = state.lock().unwrap();
        let answers = state.requests.entry(uuid.clone()).or_default();
        answers.push(0);
        answers.len() - 1
    };
    let status = loop {
        match state.lock().unwrap().mode {
            Some(Mode::Up) => break 200,
            Some(Mode::Down) => break 500,
            _ => {}
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    state.lock().unwrap().requests.get_mut(&uuid).unwrap()[index] = status;
    let mut stream = stream;
    let _ = write!(
        stream,
        "HTTP/1.1 {status} X\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"
    );
}
