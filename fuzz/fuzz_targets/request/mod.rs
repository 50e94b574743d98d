//! The request format the `verify` and `receiver` targets read: header lines
//! (`name:value`, separated by `\n`), a NUL byte, then the body.

/// Header pairs and body from `data`; no NUL means no body.
pub fn split(data: &[u8]) -> (Vec<(String, Vec<u8>)>, &[u8]) {
    let (head, body) = match data.iter().position(|&byte| byte == 0) {
        Some(at) => (&data[..at], &data[at + 1..]),
        None => (data, &[][..]),
    };
    let headers = head
        .split(|&byte| byte == b'\n')
        .filter_map(|line| {
            let colon = line.iter().position(|&byte| byte == b':')?;
            let name = String::from_utf8_lossy(&line[..colon]).into_owned();
            Some((name, line[colon + 1..].to_vec()))
        })
        .collect();
    (headers, body)
}
