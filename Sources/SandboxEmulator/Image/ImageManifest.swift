/// The runtime image's manifest (`image/requirements-*.txt`, pinned pip requirements), compiled
/// into the binary as `files` (name, text) and `hashes` (profile → manifest hash) in
/// `ImageManifest+Embedded.swift`, which `scripts/embed-workers` writes from them; a test fails
/// when the two differ. So `sandbench image build` works from a binary copied anywhere.
enum ImageManifest {}
