//! The inspector in a real browser: Chromium driven through chromedriver (WebDriver, with
//! the `fantoccini` client). An example server runs with the inspector and its failing
//! `notify_crm` handler; the test opens the page with the token, checks the rows, filters
//! by status, opens a detail, makes the handler succeed, clicks retry and sees the status
//! change. Without the token the page is refused. Screenshots are saved under `target/`:
//! `inspector-failed.png` (the list with the failed delivery) and `inspector-retried.png`.
//!
//! Needs `chromium` and `chromedriver` (Debian: `chromium`, `chromium-driver`; `.ci/run`
//! installs them). Without them the test fails, unless `POSTAL_HOOKS_SKIP_BROWSER=1`.

// Test code: a failed step must stop the test, loudly.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;
#[path = "common/downstream.rs"]
#[allow(dead_code)] // `Mode::Hang` is for the inbox tests
mod downstream;

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::{Server, free_port, post, signed};
use downstream::{Downstream, Mode};
use fantoccini::{Client, ClientBuilder, Locator};

const TOKEN: &str = "inspector-test-token-0123456789";

/// chromedriver on a loopback port, stopped (by its pid) when dropped.
struct Driver {
    child: Child,
    url: String,
}

impl Driver {
    fn start() -> Option<Driver> {
        let binary = [
            "chromedriver",
            "/usr/bin/chromedriver",
            "/usr/lib/chromium/chromedriver",
        ]
        .into_iter()
        .find(|path| {
            Command::new(path)
                .arg("--version")
                .output()
                .is_ok_and(|out| out.status.success())
        });
        let Some(binary) = binary else {
            assert!(
                std::env::var("POSTAL_HOOKS_SKIP_BROWSER").as_deref() == Ok("1"),
                "chromedriver not found: install Debian's chromium and chromium-driver (.ci/run does), or set POSTAL_HOOKS_SKIP_BROWSER=1"
            );
            return None;
        };
        let port = free_port();
        let child = Command::new(binary)
            .arg(format!("--port={port}"))
            .arg("--allowed-ips=127.0.0.1")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let deadline = Instant::now() + Duration::from_secs(20);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "chromedriver did not start");
            std::thread::sleep(Duration::from_millis(50));
        }
        Some(Driver {
            child,
            url: format!("http://127.0.0.1:{port}"),
        })
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn browser(driver: &Driver) -> Client {
    let mut capabilities = serde_json::Map::new();
    capabilities.insert(
        "goog:chromeOptions".to_owned(),
        serde_json::json!({
            "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1280,1000"]
        }),
    );
    ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
        .capabilities(capabilities)
        .connect(&driver.url)
        .await
        .unwrap()
}

async fn deliver(client: &reqwest::Client, url: &str, uuid: &str) -> u16 {
    let (body, headers) = signed(uuid);
    post(client, url, body, &headers).await
}

/// The text of the element with id `id`.
async fn text_of(page: &Client, id: &str) -> String {
    page.find(Locator::Id(id))
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

/// `target/` (this test's binary is in `target/<profile>/deps/`).
fn target_dir() -> std::path::PathBuf {
    let exe = std::env::current_exe().unwrap();
    exe.ancestors().nth(3).unwrap().to_path_buf()
}

/// Saves what the browser shows as `target/<name>`.
async fn save_screenshot(page: &Client, name: &str) {
    let screenshot = page.screenshot().await.unwrap();
    assert!(screenshot.starts_with(b"\x89PNG"));
    let path = target_dir().join(name);
    std::fs::write(&path, &screenshot).unwrap();
    println!("screenshot: {}", path.display());
}

async fn rows(page: &Client) -> Vec<(String, String)> {
    // Read again if the page changed under the reads (a stale element).
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        match try_rows(page).await {
            Ok(rows) => return rows,
            Err(error) => assert!(Instant::now() < deadline, "cannot read the rows: {error}"),
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn try_rows(page: &Client) -> Result<Vec<(String, String)>, fantoccini::error::CmdError> {
    let mut rows = Vec::new();
    for row in page.find_all(Locator::Css("#deliveries tbody tr")).await? {
        let id = row.attr("data-id").await?.unwrap_or_default();
        let state = row.attr("data-state").await?.unwrap_or_default();
        rows.push((id, state));
    }
    Ok(rows)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_inspector_lists_filters_details_and_retries_in_a_real_browser() {
    let Some(driver) = Driver::start() else {
        return;
    };
    let crm = Downstream::start(Mode::Up);
    let port = free_port();
    let server = Server::start_with(
        "axum_server",
        port,
        &[
            ("POSTAL_HOOKS_INSPECTOR_TOKEN", TOKEN.to_owned()),
            ("POSTAL_HOOKS_EXAMPLE_CRM_URL", crm.url.clone()),
        ],
    );
    let http = reqwest::Client::new();
    let run = std::process::id();
    let (ok1, ok2, failing) = (
        format!("browser-{run}-ok-1"),
        format!("browser-{run}-ok-2"),
        format!("browser-{run}-fails"),
    );
    assert_eq!(deliver(&http, &server.url, &ok1).await, 200);
    assert_eq!(deliver(&http, &server.url, &ok2).await, 200);
    crm.set(Mode::Down);
    assert_eq!(deliver(&http, &server.url, &failing).await, 500);

    let inspector = format!("http://127.0.0.1:{port}/postal/inspector");
    // Without the token: refused, with the challenge that makes a browser ask.
    let refused = http.get(&inspector).send().await.unwrap();
    assert_eq!(refused.status(), 401);
    assert_eq!(
        refused.headers()["www-authenticate"],
        r#"Basic realm="postal-hooks inspector", charset="UTF-8""#
    );
    let wrong = http
        .get(&inspector)
        .bearer_auth("not-the-token")
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), 401);

    let page = browser(&driver).await;
    page.goto(&inspector).await.unwrap();
    // (Headless Chromium shows nothing while it would ask for the password.)
    let source = page.source().await.unwrap();
    assert!(!source.contains("Postal deliveries"), "{source}");
    assert!(page.find(Locator::Css("#deliveries")).await.is_err());

    // With the token (HTTP Basic, the token as password).
    page.goto(&format!(
        "http://operator:{TOKEN}@127.0.0.1:{port}/postal/inspector"
    ))
    .await
    .unwrap();
    page.wait()
        .for_element(Locator::Css("#deliveries"))
        .await
        .unwrap();
    let listed = rows(&page).await;
    assert_eq!(listed.len(), 3, "{listed:?}");
    assert_eq!(listed[0].1, "failed", "newest first: {listed:?}");
    assert_eq!(listed[1].1, "ok");
    assert!(page.find(Locator::Css("#chart rect.bar.ok")).await.is_ok());
    assert!(
        page.find(Locator::Css("#chart rect.bar.failed"))
            .await
            .is_ok()
    );
    let text = page
        .find(Locator::Css("#deliveries"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(text.contains(&failing) && text.contains(&ok1), "{text}");
    assert!(
        text.contains("answered 500"),
        "the handler's error is shown: {text}"
    );
    // Redacted by default: no recipient or subject anywhere on the page.
    let source = page.source().await.unwrap();
    assert!(
        !source.contains("jane.doe@example.net") && !source.contains("receipt"),
        "{source}"
    );
    save_screenshot(&page, "inspector-failed.png").await;

    // Filter by status.
    page.find(Locator::Css("#status-filter option[value='failed']"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    page.find(Locator::Id("apply-filters"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    url_containing(&page, "status=failed").await;
    let filtered = rows(&page).await;
    assert_eq!(filtered.len(), 1, "{filtered:?}");
    assert_eq!(filtered[0].1, "failed");

    // Open the detail.
    page.find(Locator::Css("#deliveries a.detail"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    page.wait()
        .for_element(Locator::Id("handlers"))
        .await
        .unwrap();
    assert_eq!(text_of(&page, "state").await, "failed");
    assert_eq!(text_of(&page, "status").await, "500");
    let handlers = text_of(&page, "handlers").await;
    assert!(
        handlers.contains("notify_crm") && handlers.contains("answered 500"),
        "{handlers}"
    );

    // The downstream is back: retry, and the status changes.
    crm.set(Mode::Up);
    page.find(Locator::Id("retry"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        // The click navigates (a POST, then a redirect): an element found on the way may
        // be gone by the time it is read; look again.
        if let Ok(state) = page.find(Locator::Id("state")).await
            && state.text().await.is_ok_and(|text| text == "ok")
        {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the retry did not turn the delivery ok: {}",
            page.source().await.unwrap()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(text_of(&page, "status").await, "200");
    assert_eq!(text_of(&page, "attempts").await, "2");
    let handlers = text_of(&page, "handlers").await;
    // Exactly once: the handlers that succeeded the first time were skipped.
    assert!(handlers.contains("skipped"), "{handlers}");
    // notify_crm ran again and reached the downstream: 500 once, then 200.
    assert_eq!(crm.answers(&failing), [500, 200]);

    // The list now shows it ok; save what it looks like.
    page.goto(&inspector).await.unwrap();
    page.wait()
        .for_element(Locator::Css("#deliveries"))
        .await
        .unwrap();
    let listed = rows(&page).await;
    assert!(listed.iter().all(|(_, state)| state == "ok"), "{listed:?}");
    save_screenshot(&page, "inspector-retried.png").await;
    page.close().await.unwrap();

    // The JSON API, and an action without the page's CSRF token.
    let api = http
        .get(format!("{inspector}/api/deliveries?limit=2"))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    let api: serde_json::Value = serde_json::from_slice(&api).unwrap();
    let api = api.as_array().unwrap();
    assert_eq!(api.len(), 2);
    assert_eq!(api[0]["uuid"], failing.as_str());
    assert_eq!(api[0]["status"], 200);
    assert!(api[0]["received_at"].as_str().unwrap().ends_with('Z'));
    assert!(
        api[0]["handlers"]
            .as_array()
            .unwrap()
            .iter()
            .any(|h| h["name"].as_str().unwrap().ends_with("::notify_crm"))
    );
    let id = api[0]["id"].as_str().unwrap();
    let forged = http
        .post(format!("{inspector}/deliveries/{id}/retry"))
        .bearer_auth(TOKEN)
        .header("content-type", "application/x-www-form-urlencoded")
        .body("csrf=guessed")
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), 403);
    let get_action = http
        .get(format!("{inspector}/deliveries/{id}/retry"))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(get_action.status(), 405, "actions are POST only");
    drop(server);
}

/// The current URL once it contains `part` (the filter form's GET), as a string.
async fn url_containing(page: &Client, part: &str) -> String {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let url = page.current_url().await.unwrap().to_string();
        if url.contains(part) {
            return url;
        }
        assert!(Instant::now() < deadline, "the filter did not apply: {url}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
