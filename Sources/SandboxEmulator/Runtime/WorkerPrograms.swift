/// The interpreter worker programs (`Runtime/Workers`), compiled into the binary as `all` (file
/// name, source text) in `WorkerPrograms+Embedded.swift`, which `scripts/embed-workers` writes from
/// them; a test fails when the two differ. So a `sandbench` copied anywhere needs no files beside
/// it. The emulator writes them to its state directory at start-up (``SandboxFactory``).
enum WorkerPrograms {}
