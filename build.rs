//! Windows builds get the app icon, a manifest (per-monitor DPI awareness, common controls v6,
//! runs as the invoking user) and version info from Cargo.toml; other targets need nothing.

fn main() {
    println!("cargo:rerun-if-changed=assets/icon.ico");
    println!("cargo:rerun-if-changed=assets/hello-bootstrap.manifest");
    if std::env::var("CARGO_CFG_TARGET_OS").as_deref() != Ok("windows") {
        return;
    }
    let mut res = winresource::WindowsResource::new();
    res.set_icon("assets/icon.ico");
    res.set_manifest_file("assets/hello-bootstrap.manifest");
    res.set("ProductName", "Hello Bootstrap");
    res.set(
        "FileDescription",
        "Hello Bootstrap: Entra join, Intune and Windows Hello for Business, bootstrapped by a TAP",
    );
    if let Err(e) = res.compile() {
        panic!("cannot embed the Windows resources (icon, manifest, version): {e}");
    }
}
