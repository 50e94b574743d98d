//! A DNS server on loopback for the `dns:` key tests: it answers TXT queries from a table,
//! with NXDOMAIN for any other name, over UDP. Built with hickory's own message types.
#![allow(dead_code, clippy::unwrap_used)]

use std::net::{SocketAddr, UdpSocket};

use hickory_resolver::proto::op::{Message, ResponseCode};
use hickory_resolver::proto::rr::rdata::TXT;
use hickory_resolver::proto::rr::{RData, Record};

/// The DNS server's address; it runs until the test process ends.
pub struct FakeDns {
    pub addr: SocketAddr,
}

impl FakeDns {
    /// Answers each name in `records` (absolute, `postal._domainkey.rp.example.test.`) with
    /// its TXT values, each split into 255-byte strings as on the wire.
    pub fn start(records: Vec<(String, Vec<String>)>) -> FakeDns {
        let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
        let addr = socket.local_addr().unwrap();
        std::thread::spawn(move || {
            let mut buffer = [0u8; 4096];
            while let Ok((length, from)) = socket.recv_from(&mut buffer) {
                let Some(query) = buffer
                    .get(..length)
                    .and_then(|bytes| Message::from_vec(bytes).ok())
                else {
                    continue;
                };
                let mut response = Message::response(query.metadata.id, query.metadata.op_code);
                response.metadata.recursion_desired = query.metadata.recursion_desired;
                response.metadata.recursion_available = true;
                response.metadata.authoritative = true;
                for question in &query.queries {
                    response.add_query(question.clone());
                    let name = question.name().to_ascii();
                    match records
                        .iter()
                        .find(|(known, _)| known.eq_ignore_ascii_case(&name))
                    {
                        Some((_, values)) => {
                            for value in values {
                                let parts = value
                                    .as_bytes()
                                    .chunks(255)
                                    .map(|part| String::from_utf8_lossy(part).into_owned())
                                    .collect();
                                response.add_answer(Record::from_rdata(
                                    question.name().clone(),
                                    60,
                                    RData::TXT(TXT::new(parts)),
                                ));
                            }
                        }
                        None => response.metadata.response_code = ResponseCode::NXDomain,
                    }
                }
                if let Ok(bytes) = response.to_vec() {
                    let _ = socket.send_to(&bytes, from);
                }
            }
        });
        FakeDns { addr }
    }
}
