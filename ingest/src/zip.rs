//! The files of a ZIP archive (stored or deflated entries, as the ESCO portal and most tools
//! write them), each checked against its CRC-32. ZIP64 and encrypted entries are refused with
//! a message saying so.

use std::io::Read;

const END_OF_DIRECTORY: u32 = 0x0605_4b50;
const DIRECTORY_ENTRY: u32 = 0x0201_4b50;
const LOCAL_HEADER: u32 = 0x0403_4b50;

fn u16_at(b: &[u8], at: usize) -> Result<u16, String> {
    b.get(at..at + 2).map(|s| u16::from_le_bytes([s[0], s[1]])).ok_or_else(|| "the archive is truncated".to_owned())
}

fn u32_at(b: &[u8], at: usize) -> Result<u32, String> {
    b.get(at..at + 4)
        .map(|s| u32::from_le_bytes([s[0], s[1], s[2], s[3]]))
        .ok_or_else(|| "the archive is truncated".to_owned())
}

/// Every file of the archive as (name, contents), in the order of its central directory.
/// Folders are skipped. O(size of the archive + size of its contents).
pub(crate) fn entries(archive: &[u8]) -> Result<Vec<(String, Vec<u8>)>, String> {
    // The end-of-central-directory record is in the last 22 + 65,535 bytes.
    let from = archive.len().saturating_sub(22 + 65_535);
    let end = (from..archive.len().saturating_sub(21))
        .rev()
        .find(|&i| u32_at(archive, i) == Ok(END_OF_DIRECTORY))
        .ok_or_else(|| "not a ZIP archive (no end of central directory)".to_owned())?;
    let count = u16_at(archive, end + 10)? as usize;
    let mut at = u32_at(archive, end + 16)? as usize;
    if count == 0xffff || at == 0xffff_ffff as usize {
        return Err("ZIP64 archives are not supported: unpack the archive into a folder".to_owned());
    }
    let mut out = Vec::with_capacity(count);
    for _ in 0..count {
        if u32_at(archive, at)? != DIRECTORY_ENTRY {
            return Err(format!("broken central directory at byte {at}"));
        }
        let flags = u16_at(archive, at + 8)?;
        let method = u16_at(archive, at + 10)?;
        let crc = u32_at(archive, at + 16)?;
        let packed = u32_at(archive, at + 20)? as usize;
        let size = u32_at(archive, at + 24)? as usize;
        let name_len = u16_at(archive, at + 28)? as usize;
        let extra_len = u16_at(archive, at + 30)? as usize;
        let comment_len = u16_at(archive, at + 32)? as usize;
        let local = u32_at(archive, at + 42)? as usize;
        let name = archive.get(at + 46..at + 46 + name_len).ok_or("the archive is truncated")?;
        let name = String::from_utf8_lossy(name).into_owned();
        at += 46 + name_len + extra_len + comment_len;
        if name.ends_with('/') {
            continue;
        }
        if flags & 1 != 0 {
            return Err(format!("{name} is encrypted"));
        }
        if u32_at(archive, local)? != LOCAL_HEADER {
            return Err(format!("{name}: broken local header"));
        }
        let start = local + 30 + u16_at(archive, local + 26)? as usize + u16_at(archive, local + 28)? as usize;
        let data = archive.get(start..start + packed).ok_or_else(|| format!("{name} is truncated"))?;
        let contents = match method {
            0 => data.to_vec(),
            8 => {
                let mut buf = Vec::with_capacity(size);
                flate2::read::DeflateDecoder::new(data)
                    .read_to_end(&mut buf)
                    .map_err(|e| format!("{name} cannot be inflated: {e}"))?;
                buf
            }
            other => return Err(format!("{name} uses compression method {other}; only stored and deflate are read")),
        };
        if contents.len() != size || crc32fast::hash(&contents) != crc {
            return Err(format!("{name} is corrupt (size or CRC-32 does not match)"));
        }
        out.push((name, contents));
    }
    Ok(out)
}
