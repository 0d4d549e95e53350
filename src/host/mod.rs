//! The Hyper-V host behind one trait: PowerShell on Windows, an emulated host for demo mode and tests.

/// A Hyper-V host. Implemented by the PowerShell host (Windows) and the emulated host.
#[async_trait::async_trait]
pub trait HyperVHost: Send + Sync {}
