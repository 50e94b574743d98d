//! How this crate's errors print with `{:?}`: as a person reads them, because that is what
//! Rust prints for an error returned from `main` (`Error: {:?}`). The message, then each
//! cause it does not already quote, one per line; never the enum's structure
//! (`Error: Key(NotRecognised)`). Match on the values to inspect the structure.

use std::error::Error;
use std::fmt;

/// Writes `error`'s message, then its causes not already part of the text.
pub(crate) fn write_report(error: &dyn Error, f: &mut fmt::Formatter<'_>) -> fmt::Result {
    let mut said = error.to_string();
    f.write_str(&said)?;
    let mut heading = false;
    let mut source = error.source();
    while let Some(cause) = source {
        let text = cause.to_string();
        if !said.contains(&text) {
            if !heading {
                f.write_str("\n\nCaused by:")?;
                heading = true;
            }
            write!(f, "\n    {text}")?;
            said.push_str(&text);
        }
        source = cause.source();
    }
    Ok(())
}

/// `impl Debug` as [`write_report`] for each type.
macro_rules! debug_as_report {
    ($($error:ty),+ $(,)?) => {$(
        impl ::std::fmt::Debug for $error {
            /// The message and its causes, as `main` prints an error it returns.
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                $crate::error_report::write_report(self, f)
            }
        }
    )+};
}

pub(crate) use debug_as_report;
