//! mock-bmc: stateful, fault-injectable Redfish BMCs over real HTTP(S), for
//! fwfleet's tests and benchmarks and for operators testing their own tools.
//!
//! It never depends on fwfleet or redfish-schemas: it builds its own JSON, so a
//! wrong model in the client cannot be mirrored here and hide the bug.
//!
//! Module map:
//! - [`persona`]: vendor families (generic, OpenBMC, iDRAC, iLO, Supermicro, XCC)
//!   as data: ids, URIs, dialect.
//! - [`vstyle`]: version strings in each vendor's style, and newer ones.
//! - [`image`]: the mock's self-describing firmware image format, verified as it streams.
//! - [`imagegen`]: `make-images`: newer images for a running fleet, in vendor styles.
//! - [`dellcat`]: `make-images --dell-catalog`: a Dell-format `Catalog.xml` with
//!   packages (and decoys) for the fleet's iDRAC hosts.
//! - [`machine`]: a server's identity and firmware components, from a seed.
//! - [`state`]: what changes while a BMC runs: sessions, tasks, journal, power.
//! - [`tasks`]: Redfish tasks and monitors, in each persona's dialect.
//! - [`update`]: fetching, verifying, applying and staging firmware images.
//! - [`faults`]: injected misbehaviour (503 storms, dropped connections, stuck tasks, …).
//! - [`field`]: the `field` behaviour: each vendor's documented update sequence,
//!   its timings (one time scale), the host's POST and the Dell job queue.
//! - [`messages`]: Redfish Message objects from the Base/Update/TaskEvent registries.
//! - [`http`]: the Redfish tree, auth, `$expand`, errors, the `/mock/` control plane.
//! - [`tls`]: per-BMC self-signed certificates and their fingerprints.
//! - [`bmc`]: one running BMC ([`MockBmc`]), stopped on drop.
//! - [`fleet`]: many BMCs ([`MockFleet`]), address ranges and the fleet file.
//! - [`cli`]: the `mock-bmc` command line.

pub mod bmc;
pub mod cli;
pub mod dellcat;
pub mod faults;
pub mod field;
pub mod fleet;
pub mod http;
pub mod image;
pub mod imagegen;
pub mod machine;
pub mod messages;
pub mod persona;
pub mod state;
pub mod tasks;
pub mod tls;
pub mod update;
pub mod vstyle;

pub use bmc::{BmcConfig, MockBmc, TlsMode};
pub use field::{Behaviour, FieldTiming};
pub use fleet::{FleetConfig, ListenSpec, MockFleet};
pub use machine::{Kind, Machine};
pub use persona::{Persona, Profile, Variant};
