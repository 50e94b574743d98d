//! The main job end to end, with no setup: starts the axum receiver on a free loopback
//! port with the embedded test key, sends every sample event signed exactly as Postal
//! would, as if queued just now (plus a forged, an unsigned and a replayed request) over
//! real HTTP, and prints per request the status and what the handlers saw.
//!
//! ```text
//! cargo run --example demo
//! ```

mod shared;

use postal_hooks::testing::{self, Signer};
use postal_hooks::{Dispatcher, Receiver};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    // Postal's side: the (test-only) signing key. Our side: its public key.
    let signer = Signer::test_key();
    let dispatcher = Dispatcher::builder()
        .state(shared::Crm::from_env()) // `notify_crm`: off unless POSTAL_HOOKS_EXAMPLE_CRM_URL is set
        .build()?;
    let receiver = Receiver::new(dispatcher, signer.verifier());
    println!(
        "receiver trusts key {} ({} bits)",
        signer.kid(),
        signer.public_key().bits()
    );

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://{}{}", listener.local_addr()?, shared::WEBHOOK_PATH);
    let app = postal_hooks::axum::router(shared::WEBHOOK_PATH, receiver);
    tokio::spawn(async move { axum::serve(listener, app).await });
    println!("axum receiver listening on {url}\n");

    let client = reqwest::Client::new();
    let mut statuses = Vec::new();
    for (name, captured) in testing::SAMPLES {
        // Postal's 2024 body with a new uuid and the current time as its `timestamp`.
        let (body, uuid) = testing::fresh(captured);
        println!(
            "--> {name} {uuid} ({} bytes, signed like Postal 3.3.6)",
            body.len()
        );
        let status = post(&client, &url, signer.sign(&body).headers(), body).await?;
        statuses.push(status);
    }

    // A forged bounce: someone rewrote the recipient but kept Postal's signature.
    let (bounce, _) = testing::fresh(testing::sample("MessageBounced").unwrap_or_default());
    let forged =
        String::from_utf8_lossy(&bounce).replace("jane.doe@example.net", "ceo@acme.example");
    println!("--> forged MessageBounced (recipient rewritten, original signature)");
    let forged_status = post(
        &client,
        &url,
        signer.sign(&bounce).headers(),
        forged.into_bytes(),
    )
    .await?;

    println!("--> unsigned MessageSent");
    let unsigned_headers = vec![("Content-Type", "application/json".to_owned())];
    let sent = testing::sample("MessageSent").unwrap_or_default().to_vec();
    let unsigned_status = post(&client, &url, unsigned_headers, sent).await?;

    // A captured delivery sent again: Postal's genuine signature, but queued in 2024, long
    // past the receiver's replay window (12 hours).
    let captured = testing::sample("MessageSent").unwrap_or_default();
    println!("--> replayed MessageSent (captured in 2024, genuine signature)");
    let replayed_status = post(
        &client,
        &url,
        signer.sign(captured).headers(),
        captured.to_vec(),
    )
    .await?;

    let accepted = statuses.iter().filter(|&&status| status == 200).count();
    println!(
        "\n{accepted} of {} signed events accepted; forged: {forged_status}; unsigned: {unsigned_status}; replayed: {replayed_status}",
        statuses.len()
    );
    if accepted != statuses.len()
        || forged_status != 401
        || unsigned_status != 401
        || replayed_status != 400
    {
        return Err("the demo did not behave as expected".into());
    }
    Ok(())
}

/// POSTs `body` with `headers` and prints the answer.
async fn post(
    client: &reqwest::Client,
    url: &str,
    headers: Vec<(&'static str, String)>,
    body: Vec<u8>,
) -> Result<u16, reqwest::Error> {
    let mut request = client.post(url).body(body);
    for (name, value) in headers {
        request = request.header(name, value);
    }
    let response = request.send().await?;
    let status = response.status().as_u16();
    println!("<-- {status} {}\n", response.text().await?);
    Ok(status)
}
