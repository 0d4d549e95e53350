//! Reading what the guest reports over Hyper-V Data Exchange (KVP). The host gets
//! `Msvm_KvpExchangeComponent.GuestExchangeItems` (values the guest wrote under
//! `HKLM\SOFTWARE\Microsoft\Virtual Machine\Guest`) and `GuestIntrinsicExchangeItems` (what the
//! integration service publishes by itself, such as `OSName`), each an array of embedded
//! `Msvm_KvpExchangeDataItem` instances in CIM-XML:
//!
//! ```xml
//! <INSTANCE CLASSNAME="Msvm_KvpExchangeDataItem">
//!   <PROPERTY NAME="Data" TYPE="string"><VALUE>…</VALUE></PROPERTY>
//!   <PROPERTY NAME="Name" TYPE="string"><VALUE>HelloBootstrap.Marker</VALUE></PROPERTY>
//!   <PROPERTY NAME="Source" TYPE="uint16"><VALUE>1</VALUE></PROPERTY>
//! </INSTANCE>
//! ```
//!
//! `Data` holds at most 1,024 characters, so the reporter splits its summary into chunks under a
//! header; this module reassembles them and says when a report is missing, incomplete or stale.
//! The emulated host writes the same XML ([`encode_item`]) so both hosts go through one reader.

use crate::HostError;
use crate::dsregcmd::DsregSummary;
use chrono::{DateTime, Utc};
use quick_xml::Reader;
use quick_xml::events::Event;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::time::Duration;

/// The guest's registry key for guest-to-host items, as the reporter writes it.
pub const GUEST_KEY_PATH: &str = r"HKLM:\SOFTWARE\Microsoft\Virtual Machine\Guest";
/// The "reached OOBE" marker, published from the specialize pass.
pub const MARKER_KEY: &str = "HelloBootstrap.Marker";
/// The marker's phase once Windows has booted into OOBE (the publishing task's first run).
pub const PHASE_OOBE: &str = "oobe";
/// The marker's phase as the specialize pass leaves it: Setup is still running.
pub const PHASE_SPECIALIZE: &str = "specialize";
/// The header of the newest user report: `{seq, chunks, length}`.
pub const REPORT_KEY: &str = "HelloBootstrap.Report";
/// Characters per chunk: under `Msvm_KvpExchangeDataItem.Data`'s `MAXLEN (1024)`.
pub const CHUNK: usize = 900;
/// A user report older than this is shown as stale: the reporter runs every minute.
pub const STALE_AFTER: Duration = Duration::from_secs(10 * 60);

/// One `Msvm_KvpExchangeDataItem`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct KvpItem {
    pub name: String,
    pub data: String,
}

/// What the host read from a VM's KVP component, both arrays.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct GuestKvp {
    /// `GuestIntrinsicExchangeItems`: present once Windows' integration services run.
    pub intrinsic: Vec<KvpItem>,
    /// `GuestExchangeItems`: what the guest (our reporter) published.
    pub guest: Vec<KvpItem>,
}

fn bad(reason: impl Into<String>, xml: &str) -> HostError {
    HostError::Parse {
        reason: reason.into(),
        excerpt: xml.chars().take(120).collect(),
    }
}

/// Parses one embedded `Msvm_KvpExchangeDataItem` instance.
pub fn parse_item(xml: &str) -> Result<KvpItem, HostError> {
    let mut reader = Reader::from_str(xml);
    let mut class_ok = false;
    let mut property: Option<String> = None;
    let mut in_value = false;
    let mut props: BTreeMap<String, String> = BTreeMap::new();
    loop {
        match reader.read_event() {
            Ok(Event::Start(e)) | Ok(Event::Empty(e)) => {
                let attr = |key: &[u8]| {
                    e.attributes()
                        .flatten()
                        .find(|a| a.key.as_ref() == key)
                        .and_then(|a| a.normalized_value(quick_xml::XmlVersion::default()).ok())
                        .map(|v| v.into_owned())
                };
                match e.name().as_ref() {
                    b"INSTANCE" => {
                        class_ok = attr(b"CLASSNAME").as_deref() == Some("Msvm_KvpExchangeDataItem")
                    }
                    b"PROPERTY" => {
                        property = attr(b"NAME");
                        if let Some(p) = &property {
                            props.entry(p.clone()).or_default();
                        }
                    }
                    b"VALUE" => in_value = true,
                    _ => {}
                }
            }
            Ok(Event::Text(t)) if in_value => {
                let text = t
                    .decode()
                    .map_err(|e| bad(format!("a KVP value is not text: {e}"), xml))?;
                let text = quick_xml::escape::unescape(&text)
                    .map_err(|e| bad(format!("a KVP value is badly escaped: {e}"), xml))?;
                if let Some(p) = &property {
                    props.entry(p.clone()).or_default().push_str(&text);
                }
            }
            Ok(Event::GeneralRef(r)) if in_value => {
                let resolved = match r.resolve_char_ref() {
                    Ok(Some(c)) => c.to_string(),
                    _ => {
                        let name = r
                            .decode()
                            .map_err(|e| bad(format!("a KVP value is not text: {e}"), xml))?;
                        quick_xml::escape::resolve_predefined_entity(&name)
                            .ok_or_else(|| bad(format!("unknown entity &{name};"), xml))?
                            .to_string()
                    }
                };
                if let Some(p) = &property {
                    props.entry(p.clone()).or_default().push_str(&resolved);
                }
            }
            Ok(Event::End(e)) => match e.name().as_ref() {
                b"VALUE" => in_value = false,
                b"PROPERTY" => property = None,
                _ => {}
            },
            Ok(Event::Eof) => break,
            Ok(_) => {}
            Err(e) => return Err(bad(format!("a KVP item is not XML: {e}"), xml)),
        }
    }
    if !class_ok {
        return Err(bad("not an Msvm_KvpExchangeDataItem instance", xml));
    }
    let name = props
        .remove("Name")
        .filter(|n| !n.is_empty())
        .ok_or_else(|| bad("a KVP item without a Name", xml))?;
    Ok(KvpItem {
        name,
        data: props.remove("Data").unwrap_or_default(),
    })
}

/// Parses an array of embedded instances; one unreadable item fails the whole read (it means
/// the format is not what we expect, which a person should hear about).
pub fn parse_items(xmls: &[String]) -> Result<Vec<KvpItem>, HostError> {
    xmls.iter().map(|x| parse_item(x)).collect()
}

/// The embedded-instance XML Hyper-V gives for one item (`Source` 2: guest, as the host sees a
/// guest-written item). The emulated host publishes with it.
pub fn encode_item(name: &str, data: &str, source: u16) -> String {
    let esc = |s: &str| quick_xml::escape::escape(s).into_owned();
    format!(
        r#"<INSTANCE CLASSNAME="Msvm_KvpExchangeDataItem"><PROPERTY NAME="Caption" PROPAGATED="true" TYPE="string"></PROPERTY><PROPERTY NAME="Data" TYPE="string"><VALUE>{}</VALUE></PROPERTY><PROPERTY NAME="Description" PROPAGATED="true" TYPE="string"></PROPERTY><PROPERTY NAME="ElementName" PROPAGATED="true" TYPE="string"></PROPERTY><PROPERTY NAME="Name" TYPE="string"><VALUE>{}</VALUE></PROPERTY><PROPERTY NAME="Source" TYPE="uint16"><VALUE>{source}</VALUE></PROPERTY></INSTANCE>"#,
        esc(data),
        esc(name)
    )
}

/// The items the reporter's publisher writes for one user report (`json`) under sequence `seq`:
/// the chunks, then the header. The emulated guest publishes exactly these.
pub fn report_items(json: &str, seq: &str) -> Vec<KvpItem> {
    let chars: Vec<char> = json.chars().collect();
    let chunks: Vec<String> = chars
        .chunks(CHUNK)
        .map(|c| c.iter().collect::<String>())
        .collect();
    let mut items: Vec<KvpItem> = chunks
        .iter()
        .enumerate()
        .map(|(i, c)| KvpItem {
            name: format!("{REPORT_KEY}.{seq}.{i}"),
            data: c.clone(),
        })
        .collect();
    items.push(KvpItem {
        name: REPORT_KEY.into(),
        data:
            serde_json::json!({"v": 1, "seq": seq, "chunks": chunks.len(), "length": chars.len()})
                .to_string(),
    });
    items
}

/// The reporter's "reached OOBE" marker.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Marker {
    pub phase: String,
    #[serde(default)]
    pub at: Option<DateTime<Utc>>,
    /// The keyboard layout of the default user (`00000409` is US).
    #[serde(default)]
    pub layout: Option<String>,
    /// The VM name the answer file carried.
    #[serde(default)]
    pub vm: Option<String>,
}

/// What `dsregcmd /status` said in the signed-in user's session.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct UserReport {
    pub at: Option<DateTime<Utc>>,
    pub user: Option<String>,
    pub upn: Option<String>,
    pub layout: Option<String>,
    pub azure_ad_joined: Option<bool>,
    pub workplace_joined: Option<bool>,
    pub ngc_set: Option<bool>,
    pub azure_ad_prt: Option<bool>,
    pub device_id: Option<String>,
    pub tenant_id: Option<String>,
    pub tenant_name: Option<String>,
}

impl UserReport {
    /// The same summary step 7 reads from `dsregcmd /status` text.
    pub fn summary(&self) -> DsregSummary {
        DsregSummary {
            azure_ad_joined: self.azure_ad_joined,
            workplace_joined: self.workplace_joined,
            ngc_set: self.ngc_set,
            azure_ad_prt: self.azure_ad_prt,
            device_id: self.device_id.clone().filter(|d| !d.is_empty()),
            tenant_name: self.tenant_name.clone().filter(|t| !t.is_empty()),
            ..DsregSummary::default()
        }
    }
}

/// Where the newest user report stands.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum UserReportState {
    /// Nobody has signed in yet (or the reporter has not published a report).
    None,
    /// The header names chunks that are not (yet) there: the publisher is mid-write.
    Incomplete {
        have: usize,
        want: usize,
    },
    /// The report is there but cannot be read.
    Unreadable(String),
    Ready(UserReport),
    /// The newest report is older than [`STALE_AFTER`]: the reporter stopped.
    Stale(UserReport),
}

/// Everything the VM reports about itself.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GuestReport {
    /// The intrinsic items (`OSName`, `FullyQualifiedDomainName`, …): Windows is up.
    pub intrinsic: BTreeMap<String, String>,
    pub marker: Option<Marker>,
    pub user: UserReportState,
}

#[derive(Deserialize)]
struct Header {
    seq: String,
    chunks: usize,
    #[serde(default)]
    length: Option<usize>,
}

impl GuestReport {
    /// Makes sense of the items as of `now`.
    pub fn from_kvp(kvp: &GuestKvp, now: DateTime<Utc>) -> GuestReport {
        let guest: BTreeMap<&str, &str> = kvp
            .guest
            .iter()
            .map(|i| (i.name.as_str(), i.data.as_str()))
            .collect();
        let marker = guest
            .get(MARKER_KEY)
            .and_then(|m| serde_json::from_str::<Marker>(m).ok());
        let user = match guest.get(REPORT_KEY) {
            None => UserReportState::None,
            Some(header) => match serde_json::from_str::<Header>(header) {
                Err(e) => UserReportState::Unreadable(format!("the report header: {e}")),
                Ok(h) => {
                    let parts: Vec<Option<&&str>> = (0..h.chunks)
                        .map(|i| guest.get(format!("{REPORT_KEY}.{}.{i}", h.seq).as_str()))
                        .collect();
                    let have = parts.iter().filter(|p| p.is_some()).count();
                    if have < h.chunks {
                        UserReportState::Incomplete {
                            have,
                            want: h.chunks,
                        }
                    } else {
                        let json: String = parts.into_iter().flatten().copied().collect();
                        if h.length.is_some_and(|l| l != json.chars().count()) {
                            UserReportState::Incomplete {
                                have,
                                want: h.chunks,
                            }
                        } else {
                            match serde_json::from_str::<UserReport>(&json) {
                                Err(e) => UserReportState::Unreadable(format!("the report: {e}")),
                                Ok(r) => {
                                    let old = r.at.is_some_and(|at| {
                                        (now - at).to_std().unwrap_or_default() > STALE_AFTER
                                    });
                                    if old {
                                        UserReportState::Stale(r)
                                    } else {
                                        UserReportState::Ready(r)
                                    }
                                }
                            }
                        }
                    }
                }
            },
        };
        GuestReport {
            intrinsic: kvp
                .intrinsic
                .iter()
                .map(|i| (i.name.clone(), i.data.clone()))
                .collect(),
            marker,
            user,
        }
    }

    /// Whether our reporter runs in this VM (it published anything at all).
    pub fn has_reporter(&self) -> bool {
        self.marker.is_some() || self.user != UserReportState::None
    }

    /// Whether Windows itself is up (its integration services publish intrinsic items).
    pub fn windows_up(&self) -> bool {
        !self.intrinsic.is_empty()
    }

    /// The user report when it can be read (fresh or stale).
    pub fn user_report(&self) -> Option<&UserReport> {
        match &self.user {
            UserReportState::Ready(r) | UserReportState::Stale(r) => Some(r),
            _ => None,
        }
    }

    /// The guest's keyboard layout: the signed-in user's, else the default user's.
    pub fn layout(&self) -> Option<&str> {
        self.user_report()
            .and_then(|r| r.layout.as_deref())
            .or_else(|| self.marker.as_ref().and_then(|m| m.layout.as_deref()))
            .filter(|l| !l.is_empty())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An item as `Get-CimInstance` returns it from a real Windows 11 host (whitespace and
    /// property order as Hyper-V writes them, a `&amp;` in the data).
    const REAL: &str = r#"<INSTANCE CLASSNAME="Msvm_KvpExchangeDataItem"><PROPERTY NAME="Caption" PROPAGATED="true" TYPE="string"></PROPERTY><PROPERTY NAME="Data" TYPE="string"><VALUE>Windows 11 Enterprise Evaluation &amp; more</VALUE></PROPERTY><PROPERTY NAME="Description" PROPAGATED="true" TYPE="string"></PROPERTY><PROPERTY NAME="ElementName" PROPAGATED="true" TYPE="string"></PROPERTY><PROPERTY NAME="Name" TYPE="string"><VALUE>OSName</VALUE></PROPERTY><PROPERTY NAME="Source" TYPE="uint16"><VALUE>2</VALUE></PROPERTY></INSTANCE>"#;

    #[test]
    fn a_real_embedded_instance_parses() {
        let item = parse_item(REAL).unwrap();
        assert_eq!(item.name, "OSName");
        assert_eq!(item.data, "Windows 11 Enterprise Evaluation & more");
        let round = parse_item(&encode_item("a<b", "x&\"y'<z>", 2)).unwrap();
        assert_eq!(
            (round.name.as_str(), round.data.as_str()),
            ("a<b", "x&\"y'<z>")
        );
        assert!(parse_item("<INSTANCE CLASSNAME=\"Other\"/>").is_err());
        assert!(parse_item("not xml <<<").is_err());
        assert!(parse_item(&REAL.replace("OSName", "")).is_err());
    }

    fn kvp(items: Vec<KvpItem>) -> GuestKvp {
        GuestKvp {
            intrinsic: vec![KvpItem {
                name: "OSName".into(),
                data: "Windows 11".into(),
            }],
            guest: items,
        }
    }

    #[test]
    fn chunks_reassemble_and_missing_or_stale_reports_say_so() {
        let now = Utc::now();
        let report = UserReport {
            at: Some(now),
            upn: Some("adele@contoso.com".into()),
            device_id: Some("d".repeat(2000)),
            azure_ad_joined: Some(true),
            ngc_set: Some(true),
            ..UserReport::default()
        };
        let json = serde_json::to_string(&report).unwrap();
        let items = report_items(&json, "42");
        assert!(items.len() >= 4, "{} items", items.len());
        assert!(items.iter().all(|i| i.data.chars().count() <= CHUNK));
        let wire: Vec<String> = items
            .iter()
            .map(|i| encode_item(&i.name, &i.data, 2))
            .collect();
        let parsed = parse_items(&wire).unwrap();
        let back = GuestReport::from_kvp(&kvp(parsed.clone()), now);
        assert_eq!(back.user, UserReportState::Ready(report.clone()));
        assert!(back.has_reporter() && back.windows_up());
        assert_eq!(back.user_report().unwrap().summary().ngc_set, Some(true));

        let mut missing = parsed.clone();
        missing.retain(|i| i.name != format!("{REPORT_KEY}.42.1"));
        assert!(matches!(
            GuestReport::from_kvp(&kvp(missing), now).user,
            UserReportState::Incomplete { have, want } if have + 1 == want
        ));
        let later = now + chrono::Duration::minutes(30);
        assert!(matches!(
            GuestReport::from_kvp(&kvp(parsed), later).user,
            UserReportState::Stale(_)
        ));
        let nothing = GuestReport::from_kvp(&kvp(vec![]), now);
        assert_eq!(nothing.user, UserReportState::None);
        assert!(!nothing.has_reporter());
    }

    #[test]
    fn a_marker_from_specialize_is_still_setup_and_one_from_the_oobe_boot_is_oobe() {
        use crate::GuestPhase;
        let marker = |phase: &str| KvpItem {
            name: MARKER_KEY.into(),
            data: format!(r#"{{"v":1,"phase":"{phase}","layout":"00000409"}}"#),
        };
        let phase =
            |items| GuestPhase::from_report(true, &GuestReport::from_kvp(&kvp(items), Utc::now()));
        assert_eq!(phase(vec![marker(PHASE_SPECIALIZE)]), GuestPhase::InSetup);
        assert_eq!(phase(vec![marker(PHASE_OOBE)]), GuestPhase::AtOobe);
        assert_eq!(phase(vec![]), GuestPhase::NoReporter);
        assert_eq!(
            GuestPhase::from_report(
                false,
                &GuestReport::from_kvp(&kvp(vec![marker(PHASE_OOBE)]), Utc::now())
            ),
            GuestPhase::Off
        );
    }

    #[test]
    fn the_marker_gives_the_layout_until_a_user_reports_their_own() {
        let marker = KvpItem {
            name: MARKER_KEY.into(),
            data: r#"{"v":1,"phase":"oobe","at":"2026-12-01T13:00:00Z","layout":"00000409","vm":"Lab"}"#.into(),
        };
        let r = GuestReport::from_kvp(&kvp(vec![marker.clone()]), Utc::now());
        assert_eq!(r.marker.as_ref().unwrap().phase, "oobe");
        assert_eq!(r.layout(), Some("00000409"));
        let user = UserReport {
            layout: Some("00000407".into()),
            at: Some(Utc::now()),
            ..UserReport::default()
        };
        let mut items = report_items(&serde_json::to_string(&user).unwrap(), "1");
        items.push(marker);
        assert_eq!(
            GuestReport::from_kvp(&kvp(items), Utc::now()).layout(),
            Some("00000407")
        );
    }
}
