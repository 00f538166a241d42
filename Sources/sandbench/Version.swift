/// The version `sandbench --version` prints and `sandbench emulator` announces on stderr at start-up.
/// This is the one place it is set; raise it with each release.
enum SandbenchVersion {
    static let current = "0.1.0"
}
