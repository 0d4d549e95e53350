//! A small ISO 9660 image with Joliet names: the answer DVD the lab VM gets as a second drive, so
//! Windows Setup finds `autounattend.xml` at the root of removable media. One root directory and
//! a few files is all it needs, so a few hundred lines here instead of a dependency or a COM API
//! (IMAPI2) that only Windows has; the reader below lets tests and the CLI check what was written.
//!
//! Layout (2,048-byte sectors): 16 empty, the primary volume descriptor, the Joliet supplementary
//! descriptor (UCS-2 names, escape `%/E`), the terminator, four path tables, the two root
//! directories, then the files.

use chrono::{Datelike, Timelike, Utc};

/// The sector size of CD/DVD media.
pub const SECTOR: usize = 2048;
const PVD_LBA: usize = 16;
const JOLIET_ESCAPE: [u8; 3] = [0x25, 0x2F, 0x45];
const FIRST_FILE_LBA: usize = 25;

/// Why an image could not be built or read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IsoError {
    #[error("'{0}' cannot be a file name on the answer disc (letters, digits, . - _ only)")]
    BadName(String),
    #[error("two files map to the same ISO 9660 name {0}")]
    DuplicateName(String),
    #[error("too many files for one directory sector")]
    DirectoryFull,
    #[error("not an ISO 9660 image: {0}")]
    Unreadable(String),
}

/// One file for the image's root directory.
pub struct IsoFile<'a> {
    pub name: &'a str,
    pub data: &'a [u8],
}

fn both16(v: u16) -> [u8; 4] {
    let (l, b) = (v.to_le_bytes(), v.to_be_bytes());
    [l[0], l[1], b[0], b[1]]
}

fn both32(v: u32) -> [u8; 8] {
    let (l, b) = (v.to_le_bytes(), v.to_be_bytes());
    [l[0], l[1], l[2], l[3], b[0], b[1], b[2], b[3]]
}

fn sectors(len: usize) -> usize {
    len.div_ceil(SECTOR).max(1)
}

/// The 8.3 upper-case name ISO 9660 level 1 wants, with version `;1`.
fn primary_name(name: &str) -> String {
    let (stem, ext) = name.rsplit_once('.').unwrap_or((name, ""));
    let clean = |s: &str, n: usize| -> String {
        s.chars()
            .map(|c| {
                let c = c.to_ascii_uppercase();
                if c.is_ascii_alphanumeric() { c } else { '_' }
            })
            .take(n)
            .collect()
    };
    format!("{}.{};1", clean(stem, 8), clean(ext, 3))
}

fn ucs2(s: &str) -> Vec<u8> {
    s.encode_utf16().flat_map(u16::to_be_bytes).collect()
}

fn padded(s: &[u8], len: usize, fill: &[u8]) -> Vec<u8> {
    let mut out = s[..s.len().min(len)].to_vec();
    while out.len() < len {
        out.push(fill[out.len() % fill.len()]);
    }
    out
}

/// The 7-byte recording date of a directory record.
fn record_date() -> [u8; 7] {
    let now = Utc::now();
    [
        (now.year() - 1900).clamp(0, 255) as u8,
        now.month() as u8,
        now.day() as u8,
        now.hour() as u8,
        now.minute() as u8,
        now.second() as u8,
        0,
    ]
}

/// The 17-byte descriptor date, `YYYYMMDDHHMMSScc` and a zero time zone.
fn descriptor_date() -> [u8; 17] {
    let mut out = [0u8; 17];
    let text = Utc::now().format("%Y%m%d%H%M%S00").to_string();
    out[..16].copy_from_slice(&text.as_bytes()[..16]);
    out
}

fn dir_record(lba: usize, len: usize, is_dir: bool, name: &[u8]) -> Vec<u8> {
    let mut r = vec![0u8; 33];
    r[2..10].copy_from_slice(&both32(lba as u32));
    r[10..18].copy_from_slice(&both32(len as u32));
    r[18..25].copy_from_slice(&record_date());
    r[25] = if is_dir { 2 } else { 0 };
    r[28..32].copy_from_slice(&both16(1));
    r[32] = name.len() as u8;
    r.extend_from_slice(name);
    if r.len() % 2 == 1 {
        r.push(0);
    }
    r[0] = r.len() as u8;
    r
}

fn path_table(root_lba: usize, big_endian: bool) -> Vec<u8> {
    let mut t = vec![1u8, 0];
    let lba = root_lba as u32;
    t.extend_from_slice(&if big_endian {
        lba.to_be_bytes()
    } else {
        lba.to_le_bytes()
    });
    t.extend_from_slice(&if big_endian {
        1u16.to_be_bytes()
    } else {
        1u16.to_le_bytes()
    });
    t.extend_from_slice(&[0, 0]);
    t
}

struct Volume<'a> {
    joliet: bool,
    label: &'a str,
    root_lba: usize,
    path_l: usize,
    path_m: usize,
}

fn descriptor(v: &Volume<'_>, total: usize, root: &[u8]) -> Vec<u8> {
    let mut d = vec![0u8; SECTOR];
    d[0] = if v.joliet { 2 } else { 1 };
    d[1..6].copy_from_slice(b"CD001");
    d[6] = 1;
    let text = |s: &str, len: usize| {
        if v.joliet {
            padded(&ucs2(s), len, &[0, 0x20])
        } else {
            padded(s.to_ascii_uppercase().as_bytes(), len, b" ")
        }
    };
    d[8..40].copy_from_slice(&text("", 32));
    d[40..72].copy_from_slice(&text(v.label, 32));
    d[80..88].copy_from_slice(&both32(total as u32));
    if v.joliet {
        d[88..91].copy_from_slice(&JOLIET_ESCAPE);
    }
    d[120..124].copy_from_slice(&both16(1));
    d[124..128].copy_from_slice(&both16(1));
    d[128..132].copy_from_slice(&both16(SECTOR as u16));
    d[132..140].copy_from_slice(&both32(10));
    d[140..144].copy_from_slice(&(v.path_l as u32).to_le_bytes());
    d[148..152].copy_from_slice(&(v.path_m as u32).to_be_bytes());
    let root_record = dir_record(v.root_lba, root.len().max(SECTOR), true, &[0]);
    d[156..190].copy_from_slice(&root_record);
    for (start, len) in [(190, 128), (318, 128), (446, 128), (574, 128)] {
        d[start..start + len].copy_from_slice(&text(
            if start == 574 { "HELLO BOOTSTRAP" } else { "" },
            len,
        ));
    }
    for (start, len) in [(702, 37), (739, 37), (776, 37)] {
        d[start..start + len].copy_from_slice(&text("", len));
    }
    let date = descriptor_date();
    d[813..830].copy_from_slice(&date);
    d[830..847].copy_from_slice(&date);
    d[847..864].copy_from_slice(&[b'0'; 17]);
    d[847 + 16] = 0;
    d[864..881].copy_from_slice(&date);
    d[881] = 1;
    d
}

/// Builds an image whose root holds `files`, labelled `label` (at most 16 characters shown).
pub fn build(label: &str, files: &[IsoFile<'_>]) -> Result<Vec<u8>, IsoError> {
    for f in files {
        let ok = !f.name.is_empty()
            && f.name.len() <= 64
            && f.name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'));
        if !ok {
            return Err(IsoError::BadName(f.name.to_string()));
        }
    }
    let mut sorted: Vec<&IsoFile<'_>> = files.iter().collect();
    sorted.sort_by_key(|f| primary_name(f.name));
    let mut lba = FIRST_FILE_LBA;
    let mut placed = Vec::new();
    for f in &sorted {
        placed.push((lba, *f));
        lba += sectors(f.data.len());
    }
    let total = lba;
    let mut primary_root = Vec::new();
    let mut joliet_root = Vec::new();
    for (root, own) in [(&mut primary_root, 23usize), (&mut joliet_root, 24usize)] {
        root.extend(dir_record(own, SECTOR, true, &[0]));
        root.extend(dir_record(own, SECTOR, true, &[1]));
    }
    let mut seen = Vec::new();
    for (at, f) in &placed {
        let name = primary_name(f.name);
        if seen.contains(&name) {
            return Err(IsoError::DuplicateName(name));
        }
        primary_root.extend(dir_record(*at, f.data.len(), false, name.as_bytes()));
        joliet_root.extend(dir_record(
            *at,
            f.data.len(),
            false,
            &ucs2(&format!("{};1", f.name)),
        ));
        seen.push(name);
    }
    if primary_root.len() > SECTOR || joliet_root.len() > SECTOR {
        return Err(IsoError::DirectoryFull);
    }
    let mut image = vec![0u8; total * SECTOR];
    let mut put = |lba: usize, bytes: &[u8]| {
        image[lba * SECTOR..lba * SECTOR + bytes.len()].copy_from_slice(bytes);
    };
    let primary = Volume {
        joliet: false,
        label,
        root_lba: 23,
        path_l: 19,
        path_m: 20,
    };
    let joliet = Volume {
        joliet: true,
        label,
        root_lba: 24,
        path_l: 21,
        path_m: 22,
    };
    put(PVD_LBA, &descriptor(&primary, total, &primary_root));
    put(PVD_LBA + 1, &descriptor(&joliet, total, &joliet_root));
    let mut terminator = vec![0u8; 7];
    terminator[0] = 255;
    terminator[1..6].copy_from_slice(b"CD001");
    terminator[6] = 1;
    put(PVD_LBA + 2, &terminator);
    put(19, &path_table(23, false));
    put(20, &path_table(23, true));
    put(21, &path_table(24, false));
    put(22, &path_table(24, true));
    put(23, &primary_root);
    put(24, &joliet_root);
    for (at, f) in placed {
        put(at, f.data);
    }
    Ok(image)
}

/// What [`read`] found: the volume label and each root file with its Joliet name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadBack {
    pub label: String,
    pub files: Vec<(String, Vec<u8>)>,
}

fn sector(image: &[u8], lba: usize) -> Result<&[u8], IsoError> {
    image
        .get(lba * SECTOR..(lba + 1) * SECTOR)
        .ok_or_else(|| IsoError::Unreadable(format!("sector {lba} is past the end")))
}

fn u32_le(b: &[u8]) -> usize {
    u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize
}

fn from_ucs2(b: &[u8]) -> String {
    let units: Vec<u16> = b
        .chunks_exact(2)
        .map(|c| u16::from_be_bytes([c[0], c[1]]))
        .collect();
    String::from_utf16_lossy(&units)
}

/// Reads the Joliet root directory of an image: the names Windows shows.
pub fn read(image: &[u8]) -> Result<ReadBack, IsoError> {
    let mut lba = PVD_LBA;
    let joliet = loop {
        let d = sector(image, lba)?;
        if &d[1..6] != b"CD001" {
            return Err(IsoError::Unreadable(format!(
                "no CD001 descriptor at sector {lba}"
            )));
        }
        match d[0] {
            2 if d[88..91] == JOLIET_ESCAPE => break d,
            255 => return Err(IsoError::Unreadable("no Joliet descriptor".into())),
            _ => lba += 1,
        }
    };
    let label = from_ucs2(&joliet[40..72]).trim_end().to_string();
    let root = &joliet[156..190];
    let (root_lba, root_len) = (u32_le(&root[2..6]), u32_le(&root[10..14]));
    let dir = image
        .get(root_lba * SECTOR..root_lba * SECTOR + root_len)
        .ok_or_else(|| IsoError::Unreadable("the root directory is past the end".into()))?;
    let mut files = Vec::new();
    let mut at = 0;
    while at < dir.len() && dir[at] != 0 {
        let rec = &dir[at..at + dir[at] as usize];
        let name_len = rec[32] as usize;
        let name = &rec[33..33 + name_len];
        if rec[25] & 2 == 0 {
            let (start, len) = (u32_le(&rec[2..6]), u32_le(&rec[10..14]));
            let data = image
                .get(start * SECTOR..start * SECTOR + len)
                .ok_or_else(|| IsoError::Unreadable("a file is past the end".into()))?;
            let name = from_ucs2(name);
            let name = name.strip_suffix(";1").unwrap_or(&name).to_string();
            files.push((name, data.to_vec()));
        }
        at += rec.len();
    }
    Ok(ReadBack { label, files })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_image_reads_back_with_its_joliet_names_and_bytes() {
        let xml = b"<unattend/>".to_vec();
        let big = vec![7u8; 5000];
        let image = build(
            "HB_ANSWERS",
            &[
                IsoFile {
                    name: "autounattend.xml",
                    data: &xml,
                },
                IsoFile {
                    name: "readme-first.txt",
                    data: &big,
                },
            ],
        )
        .unwrap();
        assert_eq!(image.len() % SECTOR, 0);
        assert_eq!(&image[PVD_LBA * SECTOR + 1..PVD_LBA * SECTOR + 6], b"CD001");
        let back = read(&image).unwrap();
        assert_eq!(back.label, "HB_ANSWERS");
        assert_eq!(
            back.files,
            vec![
                ("autounattend.xml".to_string(), xml),
                ("readme-first.txt".to_string(), big)
            ]
        );
        // The primary directory carries the 8.3 name.
        let primary = &image[23 * SECTOR..24 * SECTOR];
        assert!(
            primary
                .windows(b"AUTOUNAT.XML;1".len())
                .any(|w| w == b"AUTOUNAT.XML;1")
        );
    }

    #[test]
    fn bad_names_and_garbage_are_refused() {
        assert!(matches!(
            build(
                "X",
                &[IsoFile {
                    name: "a/b",
                    data: b""
                }]
            ),
            Err(IsoError::BadName(_))
        ));
        assert!(matches!(
            build(
                "X",
                &[
                    IsoFile {
                        name: "longname1.xml",
                        data: b""
                    },
                    IsoFile {
                        name: "longname2.xml",
                        data: b""
                    }
                ]
            ),
            Err(IsoError::DuplicateName(_))
        ));
        assert!(read(&[0u8; 100]).is_err());
        assert!(read(&vec![0u8; 40 * SECTOR]).is_err());
    }
}
