//! mock-bmc integration tests: real servers on 127.0.0.1, real HTTP(S) clients.

mod catalogue;
mod cli;
mod faults;
mod field;
mod personas;
mod redfish_tree;
mod sessions;
mod support;
mod tls;
mod updates;
