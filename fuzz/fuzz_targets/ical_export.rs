//! Arbitrary CreateEventRequest bytes; when the service would accept the event, its
//! iCalendar export must be well-formed: CRLF-ended lines of at most 75 octets (longer
//! ones folded), no bare CR or LF, BEGIN/END balanced and properly nested, one VEVENT.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if let Some(ics) = jalia_events::fuzzing::export_calendar(data) {
        check(&ics);
    }
});

fn check(ics: &str) {
    assert!(ics.ends_with("\r\n"), "not CRLF-ended: {ics:?}");
    let mut open: Vec<&str> = Vec::new();
    let mut events = 0;
    let mut logical = String::new();
    let mut lines = Vec::new();
    for line in ics[..ics.len() - 2].split("\r\n") {
        assert!(line.len() <= 75, "line of {} octets: {line:?}", line.len());
        assert!(!line.contains(['\r', '\n']), "bare CR or LF in {line:?}");
        if let Some(continued) = line.strip_prefix(' ') {
            assert!(!logical.is_empty(), "continuation without a line: {line:?}");
            logical.push_str(continued);
        } else {
            if !logical.is_empty() {
                lines.push(std::mem::take(&mut logical));
            }
            assert!(!line.is_empty(), "empty line in {ics:?}");
            logical.push_str(line);
        }
    }
    lines.push(logical);
    for line in &lines {
        assert!(line.contains(':'), "content line without a value: {line:?}");
        if let Some(component) = line.strip_prefix("BEGIN:") {
            if component == "VEVENT" {
                events += 1;
            }
            open.push(component);
        } else if let Some(component) = line.strip_prefix("END:") {
            assert_eq!(open.pop(), Some(component), "END:{component} unbalanced");
        }
    }
    assert!(open.is_empty(), "left open: {open:?}");
    assert_eq!(lines.first().map(String::as_str), Some("BEGIN:VCALENDAR"));
    assert_eq!(events, 1, "one event, one VEVENT");
}
