//! Documents attached to inquiries: what an upload may hold (PDF, JPEG or PNG, recognised
//! by its first bytes, within a size limit), when it may be attached (once, to an inquiry
//! of its agency, by the side that uploaded it, before it expires, within the inquiry's
//! total), and the store their content lives in (`AttachmentStore`: the database by
//! default, an object store where an operator plugs one in; ARCHITECTURE.md §5).

use std::collections::HashSet;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use jalia_model::{AgencyCode, FieldViolation, reasons};
use jiff::{SignedDuration, Timestamp};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use super::Error;

/// The largest chunk of an upload, and the size of a download's chunks.
pub(crate) const CHUNK_BYTES: usize = 64 * 1024;
/// The most attachments one request may attach.
pub(crate) const MAX_PER_REQUEST: usize = 20;
/// The longest file name, in characters.
const MAX_FILE_NAME_CHARS: usize = 255;

/// The kinds of document accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum MediaType {
    /// `application/pdf`.
    Pdf,
    /// `image/jpeg`.
    Jpeg,
    /// `image/png`.
    Png,
}

impl MediaType {
    /// The declared type, compared without letter case.
    pub(crate) fn parse(declared: &str) -> Option<Self> {
        match declared.trim().to_ascii_lowercase().as_str() {
            "application/pdf" => Some(Self::Pdf),
            "image/jpeg" => Some(Self::Jpeg),
            "image/png" => Some(Self::Png),
            _ => None,
        }
    }

    /// Its registered name.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Self::Pdf => "application/pdf",
            Self::Jpeg => "image/jpeg",
            Self::Png => "image/png",
        }
    }

    /// What the content's first bytes (its magic number) say it is, if one of ours: a
    /// declared type is never trusted alone.
    pub(crate) fn sniff(content: &[u8]) -> Option<Self> {
        if content.starts_with(b"%PDF-") {
            Some(Self::Pdf)
        } else if content.starts_with(&[0xFF, 0xD8, 0xFF]) {
            Some(Self::Jpeg)
        } else if content.starts_with(&[0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A]) {
            Some(Self::Png)
        } else {
            None
        }
    }
}

/// Which side uploaded a document, and so which requests may attach it: the citizen's
/// (SubmitInquiry, ReplyToInquiry) or staff's (AddInquiryMessage).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Uploader {
    /// Through a portal, for a citizen.
    Citizen,
    /// A member of the agency's staff.
    Staff,
}

/// The operator's limits on documents.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct AttachmentLimits {
    /// The largest file.
    pub file_bytes: u64,
    /// The most all the documents of one inquiry may take together.
    pub inquiry_bytes: u64,
    /// How long an upload waits to be attached before it is deleted.
    pub upload_expiry: Duration,
}

/// An attachment's name: `agencies/{agency}/attachments/{id}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct AttachmentName {
    /// The agency in the name.
    pub agency: AgencyCode,
    /// The id in the name.
    pub id: Uuid,
}

impl AttachmentName {
    /// Parses a name; the description of what is wrong otherwise.
    pub(crate) fn parse(name: &str) -> Result<Self, String> {
        let wrong = || "must be agencies/{agency}/attachments/{attachment}".to_owned();
        let mut parts = name.split('/');
        match (
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
        ) {
            (Some("agencies"), Some(agency), Some("attachments"), Some(id), None) => Ok(Self {
                agency: AgencyCode::parse(agency).map_err(|_| wrong())?,
                id: Uuid::parse_str(id).map_err(|_| wrong())?,
            }),
            _ => Err(wrong()),
        }
    }

    /// The names of a request's `field` (e.g. `attachments`): at most
    /// [`MAX_PER_REQUEST`], each well formed and listed once.
    pub(crate) fn parse_list(
        field: &str,
        names: &[String],
    ) -> Result<Vec<Self>, Vec<FieldViolation>> {
        if names.len() > MAX_PER_REQUEST {
            return Err(vec![FieldViolation::new(
                field,
                format!("at most {MAX_PER_REQUEST} attachments per request"),
            )]);
        }
        let mut violations = Vec::new();
        let mut parsed = Vec::with_capacity(names.len());
        let mut seen = HashSet::new();
        for (index, name) in names.iter().enumerate() {
            match Self::parse(name) {
                Ok(name) if !seen.insert(name.id) => violations.push(FieldViolation::new(
                    format!("{field}[{index}]"),
                    "listed twice",
                )),
                Ok(name) => parsed.push(name),
                Err(problem) => {
                    violations.push(FieldViolation::new(format!("{field}[{index}]"), problem));
                }
            }
        }
        if violations.is_empty() {
            Ok(parsed)
        } else {
            Err(violations)
        }
    }
}

impl fmt::Display for AttachmentName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "agencies/{}/attachments/{}", self.agency, self.id)
    }
}

/// A file name as given: it may name the citizen, so its `Debug` never shows it.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct FileName(String);

impl FileName {
    /// 1 to 255 characters, without a path or control characters.
    pub(crate) fn parse(name: &str) -> Result<Self, String> {
        let name = name.trim();
        if name.is_empty() {
            return Err("must not be empty".to_owned());
        }
        if name.chars().count() > MAX_FILE_NAME_CHARS {
            return Err(format!(
                "must have at most {MAX_FILE_NAME_CHARS} characters"
            ));
        }
        if name
            .chars()
            .any(|c| c.is_control() || c == '/' || c == '\\')
            || name == ".."
        {
            return Err("must be a file name, without a path or control characters".to_owned());
        }
        Ok(Self(name.to_owned()))
    }

    /// Wraps a name read back from storage, already checked when written.
    pub(crate) fn from_stored(name: String) -> Self {
        Self(name)
    }

    /// The name itself.
    pub(crate) fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for FileName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

/// A document's metadata (its content is in the `AttachmentStore`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Attachment {
    /// UUIDv7.
    pub id: Uuid,
    /// The agency it was uploaded for.
    pub agency: AgencyCode,
    /// The file name given.
    pub file_name: FileName,
    /// What its content is.
    pub media_type: MediaType,
    /// Its size in bytes.
    pub size: u64,
    /// The SHA-256 of its content, lower-case hex.
    pub sha256: String,
    /// Which side uploaded it.
    pub uploader: Uploader,
    /// When it was uploaded.
    pub created_at: Timestamp,
    /// When it is deleted if still unattached.
    pub expires_at: Timestamp,
    /// Where it is attached: the inquiry, and the message (None: the submission).
    pub attached: Option<AttachedTo>,
}

/// Where an attachment is attached.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct AttachedTo {
    /// The inquiry.
    pub inquiry_id: Uuid,
    /// The message; None for the submission itself.
    pub message_id: Option<Uuid>,
    /// When.
    pub at: Timestamp,
}

/// An upload's first message, checked.
#[derive(Debug, Clone)]
pub(crate) struct UploadMetadata {
    /// The agency the document is for.
    pub agency: AgencyCode,
    /// The file name.
    pub file_name: FileName,
    /// The declared media type.
    pub media_type: MediaType,
}

/// An upload being received: its metadata and the content so far, within the limit.
#[derive(Debug)]
pub(crate) struct Upload {
    metadata: UploadMetadata,
    uploader: Uploader,
    limit: u64,
    content: Vec<u8>,
}

impl Upload {
    /// An upload by `uploader` of at most `limit` bytes.
    pub(crate) fn new(metadata: UploadMetadata, uploader: Uploader, limit: u64) -> Self {
        Self {
            metadata,
            uploader,
            limit,
            content: Vec::new(),
        }
    }

    /// Which side uploads it.
    pub(crate) fn uploader(&self) -> Uploader {
        self.uploader
    }

    /// The agency it is for.
    pub(crate) fn agency(&self) -> &AgencyCode {
        &self.metadata.agency
    }

    /// Adds the next chunk: 1 byte to [`CHUNK_BYTES`], and the whole within the limit.
    pub(crate) fn push(&mut self, chunk: &[u8]) -> Result<(), Error> {
        if chunk.is_empty() || chunk.len() > CHUNK_BYTES {
            return Err(Error::invalid(
                "chunk",
                format!("a chunk must hold 1 to {CHUNK_BYTES} bytes"),
            ));
        }
        let size = self.content.len().saturating_add(chunk.len());
        if u64::try_from(size).unwrap_or(u64::MAX) > self.limit {
            return Err(Error::TooLarge {
                reason: reasons::ATTACHMENT_TOO_LARGE,
                message: format!("a file may hold at most {} bytes", self.limit),
            });
        }
        self.content.extend_from_slice(chunk);
        Ok(())
    }

    /// The complete upload as attachment `id` at `now`, with its content: refused when
    /// empty or when the content is not what was declared.
    pub(crate) fn finish(
        self,
        id: Uuid,
        now: Timestamp,
        expiry: Duration,
    ) -> Result<(Attachment, Vec<u8>), Error> {
        if self.content.is_empty() {
            return Err(Error::invalid("chunk", "the upload holds no content"));
        }
        match MediaType::sniff(&self.content) {
            Some(found) if found == self.metadata.media_type => {}
            Some(found) => {
                return Err(Error::invalid(
                    "metadata.media_type",
                    format!("the content is {}, not what was declared", found.as_str()),
                ));
            }
            None => {
                return Err(Error::invalid(
                    "metadata.media_type",
                    "the content is not a PDF, JPEG or PNG file",
                ));
            }
        }
        let sha256 = Sha256::digest(&self.content)
            .iter()
            .map(|byte| format!("{byte:02x}"))
            .collect();
        let expiry = SignedDuration::try_from(expiry).unwrap_or(SignedDuration::MAX);
        let attachment = Attachment {
            id,
            agency: self.metadata.agency,
            file_name: self.metadata.file_name,
            media_type: self.metadata.media_type,
            size: u64::try_from(self.content.len()).unwrap_or(u64::MAX),
            sha256,
            uploader: self.uploader,
            created_at: now,
            expires_at: now.checked_add(expiry).unwrap_or(Timestamp::MAX),
            attached: None,
        };
        Ok((attachment, self.content))
    }
}

/// Where a request attaches its uploads.
#[derive(Debug, Clone, Copy)]
pub(crate) struct AttachTarget<'a> {
    /// The inquiry's agency.
    pub agency: &'a AgencyCode,
    /// The inquiry.
    pub inquiry_id: Uuid,
    /// The message; None for the submission.
    pub message_id: Option<Uuid>,
    /// Which side's uploads the request may attach.
    pub uploader: Uploader,
}

/// Attaches `found` (the uploads `requested` names, as loaded under their locks; absent
/// ones missing) to `target` at `now`, given the bytes the inquiry already holds. The
/// request's `field` names the violations (`attachments[i]`).
pub(crate) fn attach(
    field: &str,
    requested: &[AttachmentName],
    mut found: Vec<Attachment>,
    target: AttachTarget<'_>,
    already_bytes: u64,
    limits: &AttachmentLimits,
    now: Timestamp,
) -> Result<Vec<Attachment>, Error> {
    let mut violations = Vec::new();
    let mut attached = Vec::with_capacity(requested.len());
    let mut total = already_bytes;
    for (index, name) in requested.iter().enumerate() {
        let path = format!("{field}[{index}]");
        let position = found.iter().position(|candidate| candidate.id == name.id);
        let Some(mut attachment) = position.map(|position| found.swap_remove(position)) else {
            violations.push(FieldViolation::new(path, "no such upload"));
            continue;
        };
        if attachment.agency != name.agency || attachment.agency != *target.agency {
            violations.push(FieldViolation::new(path, "no such upload"));
            continue;
        }
        if attachment.attached.is_some() {
            return Err(Error::precondition(
                reasons::ATTACHMENT_ALREADY_ATTACHED,
                format!("{path} is already attached"),
            ));
        }
        if attachment.uploader != target.uploader {
            let expected = match target.uploader {
                Uploader::Citizen => "UploadCitizenAttachment",
                Uploader::Staff => "UploadStaffAttachment",
            };
            violations.push(FieldViolation::new(
                path,
                format!("must be an upload of {expected}"),
            ));
            continue;
        }
        if attachment.expires_at <= now {
            violations.push(FieldViolation::new(path, "the upload has expired"));
            continue;
        }
        total = total.saturating_add(attachment.size);
        attachment.attached = Some(AttachedTo {
            inquiry_id: target.inquiry_id,
            message_id: target.message_id,
            at: now,
        });
        attached.push(attachment);
    }
    if !violations.is_empty() {
        return Err(Error::Invalid(violations));
    }
    if total > limits.inquiry_bytes {
        return Err(Error::TooLarge {
            reason: reasons::INQUIRY_ATTACHMENTS_TOO_LARGE,
            message: format!(
                "an inquiry's documents may hold at most {} bytes in all",
                limits.inquiry_bytes
            ),
        });
    }
    Ok(attached)
}

/// What a store's call returns.
pub(crate) type StoreFuture<'a, T> = Pin<Box<dyn Future<Output = Result<T, Error>> + Send + 'a>>;

/// Where attachments' content lives, by attachment id. Metadata (and so whether a content
/// is attached, to what, and who may read it) is always in the service's database; a
/// content whose metadata is gone is unreachable, and `sweep` removes it.
pub(crate) trait AttachmentStore: fmt::Debug + Send + Sync {
    /// Keeps `content` under `id` at `now` (called before the metadata is committed).
    fn put(&self, id: Uuid, content: Vec<u8>, now: Timestamp) -> StoreFuture<'_, ()>;
    /// The content under `id`, if any.
    fn get(&self, id: Uuid) -> StoreFuture<'_, Option<Vec<u8>>>;
    /// Forgets the contents of `ids` (called after their metadata is deleted).
    fn delete<'a>(&'a self, ids: &'a [Uuid]) -> StoreFuture<'a, u64>;
    /// Forgets contents put before `put_before` that no metadata names (an upload that
    /// failed between its two steps). Returns how many went.
    fn sweep(&self, put_before: Timestamp) -> StoreFuture<'_, u64>;
}

#[cfg(test)]
mod tests {
    use super::*;

    const PDF: &[u8] = b"%PDF-1.4\n%%EOF\n";

    fn metadata(media_type: MediaType) -> UploadMetadata {
        UploadMetadata {
            agency: AgencyCode::parse("bm").unwrap(),
            file_name: FileName::parse("titre.pdf").unwrap(),
            media_type,
        }
    }

    #[test]
    fn content_is_recognised_by_its_magic_bytes() {
        assert_eq!(MediaType::sniff(PDF), Some(MediaType::Pdf));
        assert_eq!(
            MediaType::sniff(&[0xFF, 0xD8, 0xFF, 0xE0]),
            Some(MediaType::Jpeg)
        );
        assert_eq!(
            MediaType::sniff(b"\x89PNG\r\n\x1a\n...."),
            Some(MediaType::Png)
        );
        assert_eq!(MediaType::sniff(b"GIF89a"), None);
        assert_eq!(MediaType::parse("Image/PNG"), Some(MediaType::Png));
        assert_eq!(MediaType::parse("image/gif"), None);
    }

    #[test]
    fn an_upload_is_refused_when_the_content_is_not_what_was_declared() {
        let mut upload = Upload::new(metadata(MediaType::Png), Uploader::Citizen, 100);
        upload.push(PDF).unwrap();
        let err = upload
            .finish(Uuid::nil(), Timestamp::UNIX_EPOCH, Duration::from_secs(1))
            .unwrap_err();
        assert!(matches!(err, Error::Invalid(v) if v[0].field == "metadata.media_type"));
    }

    #[test]
    fn an_upload_over_the_limit_is_too_large_and_its_digest_is_of_the_content() {
        let mut upload = Upload::new(metadata(MediaType::Pdf), Uploader::Staff, 20);
        upload.push(PDF).unwrap();
        assert!(matches!(
            upload.push(b"123456"),
            Err(Error::TooLarge { reason, .. }) if reason == reasons::ATTACHMENT_TOO_LARGE
        ));
        let (attachment, content) = upload
            .finish(Uuid::nil(), Timestamp::UNIX_EPOCH, Duration::from_secs(60))
            .unwrap();
        assert_eq!(content, PDF);
        assert_eq!(attachment.size, 15);
        assert_eq!(attachment.sha256.len(), 64);
        assert_eq!(attachment.expires_at.as_second(), 60);
    }

    #[test]
    fn file_names_carry_no_path_and_lists_no_duplicates() {
        assert!(FileName::parse("../etc/passwd").is_err());
        assert!(FileName::parse("a\u{0}b").is_err());
        assert!(format!("{:?}", FileName::parse("Fatima.pdf").unwrap()) == "[redacted]");
        let id = "agencies/bm/attachments/0198a1b2-7c3d-7e4f-8a5b-6c7d8e9f0a1b".to_owned();
        let err = AttachmentName::parse_list("attachments", &[id.clone(), id]).unwrap_err();
        assert_eq!(err[0].field, "attachments[1]");
        let many = vec!["x".to_owned(); MAX_PER_REQUEST + 1];
        assert_eq!(
            AttachmentName::parse_list("attachments", &many).unwrap_err()[0].field,
            "attachments"
        );
    }
}
