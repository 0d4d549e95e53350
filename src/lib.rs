//! Hello Bootstrap: from a bare Microsoft Entra tenant and a Windows 11 PC to a VM signed in with
//! Windows Hello for Business, bootstrapped by a Temporary Access Pass. One library shared by the
//! desktop wizard and the command line.

pub mod auth;
pub mod cli;
pub mod emulator;
pub mod graph;
pub mod helpdesk;
pub mod host;
pub mod lab;
pub mod report;
pub mod steps;
pub mod ui;
