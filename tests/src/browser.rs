//! A page opened in a real browser: Debian's Chromium, headless (`make browser-setup` installs the pinned package).
//! It takes a screenshot and gives the page's text as the browser built it, for tests of the HTML report.

use std::path::{Path, PathBuf};
use std::process::Command;

/// Where Chromium is: `SWB_CHROMIUM`, else Debian's `/usr/bin/chromium`.
pub fn chromium() -> PathBuf {
    std::env::var_os("SWB_CHROMIUM").map_or_else(|| PathBuf::from("/usr/bin/chromium"), PathBuf::from)
}

/// What the browser made of a page.
pub struct Rendered {
    /// The text of the page's body (tags dropped), as laid out from the DOM Chromium built.
    pub text: String,
    /// The screenshot's width and height, and the share of its pixels that are not (near) white.
    pub width: u32,
    pub height: u32,
    pub inked: f64,
}

/// Opens `page` (a file) in headless Chromium at `width`×`height`, writes the screenshot to `png`.
pub fn render(page: &Path, png: &Path, width: u32, height: u32) -> Rendered {
    let binary = chromium();
    assert!(
        binary.exists(),
        "{} not found: `make browser-setup` installs Debian's chromium (or set SWB_CHROMIUM)",
        binary.display()
    );
    let profile = std::env::temp_dir().join(format!("swb-chromium-{}", std::process::id()));
    let url = format!("file://{}", page.canonicalize().expect("the page exists").display());
    let run = |extra: &[String]| {
        // The flags the machine's probe found needed: no sandbox as root, no network of its own (closed network).
        let out = Command::new(&binary)
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--hide-scrollbars",
            ])
            .arg(format!("--user-data-dir={}", profile.display()))
            .arg(format!("--window-size={width},{height}"))
            .args(extra)
            .arg(&url)
            .output()
            .expect("chromium runs");
        assert!(
            out.status.success(),
            "chromium {extra:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let _ = std::fs::remove_file(png);
    run(&[format!("--screenshot={}", png.display())]);
    let dom = run(&["--dump-dom".to_owned()]);
    let _ = std::fs::remove_dir_all(&profile);
    let (width, height, inked) = ink(png);
    Rendered {
        text: body_text(&dom),
        width,
        height,
        inked,
    }
}

/// The body's text: tags dropped, runs of white space made one space, the five entities HTML escaping writes turned
/// back.
fn body_text(dom: &str) -> String {
    let body = dom.find("<body").map_or(dom, |i| &dom[i..]);
    let mut text = String::with_capacity(body.len());
    let mut in_tag = false;
    for c in body.chars() {
        match c {
            '<' => in_tag = true,
            '>' if in_tag => {
                in_tag = false;
                text.push(' ');
            }
            c if !in_tag => text.push(c),
            _ => {}
        }
    }
    let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
    text.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&amp;", "&")
}

/// Width, height, and the share of pixels darker than near-white: a blank page has none.
fn ink(png: &Path) -> (u32, u32, f64) {
    let file = std::fs::File::open(png).expect("chromium wrote the screenshot");
    let mut decoder = png::Decoder::new(std::io::BufReader::new(file));
    decoder.set_transformations(png::Transformations::normalize_to_color8());
    let mut reader = decoder.read_info().expect("a PNG");
    let mut buf = vec![0; reader.output_buffer_size().expect("a size")];
    let info = reader.next_frame(&mut buf).expect("one frame");
    let channels = info.color_type.samples();
    let pixels = &buf[..info.buffer_size()];
    let total = pixels.len() / channels;
    let inked = pixels
        .chunks(channels)
        .filter(|p| p.iter().take(3).any(|&v| v < 200))
        .count();
    (info.width, info.height, inked as f64 / total.max(1) as f64)
}
