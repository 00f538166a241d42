'use strict';
// Sandbox emulator JavaScript worker: a long-lived, notebook-like Node interpreter driven over pipes.
//
// Launched as `node js_worker.js` with fd 0/1 = /dev/null, fd 2 = diagnostics pipe,
// fd 3 = protocol input (server -> worker), fd 4 = protocol output (worker -> server).
// Framing both ways: 4-byte big-endian length + UTF-8 JSON object.
//   -> {"op":"ready","pid":N}
//   <- {"op":"exec","id":I,"code":S,"max_output":B,"timeout_ms":T}
//   -> {"id":I,"stdout":S,"stderr":S,"stdout_truncated":b,"stderr_truncated":b,
//       "stdout_bytes":N,"stderr_bytes":N,"interrupted":b,"duration_ms":F}
//   <- {"op":"interrupt","id":I}  no reply. Node is single-threaded, so this message is only seen
//      while exec I is awaiting a promise (it then replies interrupted:true at once). Synchronous
//      code can only be stopped by timeout_ms (V8's watchdog); otherwise the server must kill us.
//      (breakOnSigint is not used: it costs ~0.1 ms per exec for a thread start/stop.)
//   <- {"op":"ping","id":I}    -> {"id":I,"pong":true}  (answered whenever the event loop is free)
//   EOF on input -> exit(0).
//
// Cells run in the main context via vm.Script#runInThisContext, so top-level let/const/class
// (global lexical scope) and var/function (global object) persist between execs.
// Stray async errors (uncaughtException / unhandledRejection): if an exec is in flight they go to its
// stderr; when idle they go to fd 2 (the server's diagnostics log) and are not shown to the user.

const fs = require('fs');
const vm = require('vm');
const path = require('path');
const util = require('util');
const Module = require('module');

const IN_FD = 3;
const OUT_FD = 4;
const DEFAULT_MAX_OUTPUT = 1 << 20;
const realExit = process.exit.bind(process);

// ---- protocol -------------------------------------------------------------------------------
function send(obj) {
  const body = Buffer.from(JSON.stringify(obj), 'utf8');
  const buf = Buffer.allocUnsafe(4 + body.length);
  buf.writeUInt32BE(body.length, 0);
  body.copy(buf, 4);
  let off = 0;
  while (off < buf.length) {
    try {
      off += fs.writeSync(OUT_FD, buf, off, buf.length - off);
    } catch (e) {
      if (e.code === 'EAGAIN') continue; // only if someone made the pipe non-blocking
      realExit(0); // EPIPE etc.: the server is gone
    }
  }
}

function diag(text) {
  try { fs.writeSync(2, `[js_worker] ${text}\n`); } catch (_) { /* nowhere to report */ }
}

let pending = Buffer.alloc(0);
// A net.Socket (libuv pipe handle, epoll) reads fd 3 with ~0.08 ms less latency per message than
// fs.createReadStream (blocking reads on the thread pool); the latter remains as a fallback in
// case fd 3 is something a Socket can't wrap (e.g. a regular file).
function openInput() {
  try {
    return new (require('net').Socket)({ fd: IN_FD, readable: true, writable: false });
  } catch (_) {
    return fs.createReadStream(null, { fd: IN_FD, highWaterMark: 1 << 16 });
  }
}
const input = openInput();
input.on('data', (chunk) => {
  pending = pending.length ? Buffer.concat([pending, chunk]) : chunk;
  while (pending.length >= 4) {
    const n = pending.readUInt32BE(0);
    if (pending.length < 4 + n) break;
    const body = pending.subarray(4, 4 + n);
    pending = pending.subarray(4 + n);
    let msg;
    try { msg = JSON.parse(body.toString('utf8')); } catch (_) { diag('bad frame ignored'); continue; }
    onMessage(msg || {});
  }
});
input.on('end', () => realExit(0));
input.on('error', (e) => { diag(`protocol input error: ${e.message}`); realExit(0); });

const queue = []; // exec requests waiting for the current one to finish
let current = null; // { id, finish } while an exec is in flight

function onMessage(msg) {
  switch (msg.op) {
    case 'exec': queue.push(msg); if (!current) pump(); break;
    case 'ping': send({ id: msg.id, pong: true }); break;
    case 'interrupt':
      if (current && current.id === msg.id) current.finish(true, 'Interrupted: execution was interrupted\n');
      break;
    default: diag(`unknown op ${JSON.stringify(msg.op)} ignored`);
  }
}

// ---- output capture ---------------------------------------------------------------------------
// A sink counts every byte written but keeps only a little more than max_output of them.
function sink(max) { return { chunks: [], kept: 0, total: 0, max }; }

function push(s, chunk, encoding) {
  let buf;
  if (typeof chunk === 'string') {
    const n = Buffer.byteLength(chunk, typeof encoding === 'string' ? encoding : 'utf8');
    s.total += n;
    if (s.kept > s.max) return;
    buf = Buffer.from(chunk, typeof encoding === 'string' ? encoding : 'utf8');
  } else if (ArrayBuffer.isView(chunk)) {
    s.total += chunk.byteLength;
    if (s.kept > s.max) return;
    buf = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    buf = Buffer.from(buf); // copy: the caller may reuse its buffer
  } else {
    return push(s, String(chunk));
  }
  s.chunks.push(buf);
  s.kept += buf.length;
}

function drain(s) {
  const all = s.chunks.length === 1 ? s.chunks[0] : Buffer.concat(s.chunks);
  const truncated = s.total > s.max;
  // A streaming TextDecoder holds back a UTF-8 sequence cut in half by the limit instead of
  // emitting U+FFFD for it; invalid bytes elsewhere become U+FFFD.
  const text = truncated
    ? new TextDecoder('utf-8').decode(all.subarray(0, s.max), { stream: true })
    : all.toString('utf8');
  return [text, truncated, s.total];
}

let cap = null; // { out, err } sinks while an exec is in flight
const realOut = process.stdout.write; // console.log/info/debug go through process.stdout.write,
const realErr = process.stderr.write; // console.error/warn through process.stderr.write
function capturing(which) {
  return function write(chunk, encoding, cb) {
    if (!cap) return (which === 'out' ? realOut : realErr).apply(this, arguments);
    push(cap[which], chunk, encoding);
    const done = typeof encoding === 'function' ? encoding : cb;
    if (typeof done === 'function') process.nextTick(done);
    return true;
  };
}
// Installed once and left in place (cheaper than swapping per call); they pass through when idle.
process.stdout.write = capturing('out');
process.stderr.write = capturing('err');
function writeErr(text) { if (cap) push(cap.err, text); else diag(text.trimEnd()); }

// ---- error formatting -------------------------------------------------------------------------
// Drop stack frames from this file and from node internals (vm.Script, the task queue, ...).
function isInternal(line) {
  return /^\s+at /.test(line) && (line.includes(__filename) || /[( ]node:/.test(line));
}

function formatError(e) {
  try {
    if (e instanceof Error || (e && typeof e === 'object' && typeof e.stack === 'string')) {
      const stack = typeof e.stack === 'string' && e.stack ? e.stack : String(e);
      return stack.split('\n').filter((l) => !isInternal(l)).join('\n');
    }
    return 'Uncaught ' + util.inspect(e);
  } catch (_) {
    return 'Uncaught exception (unprintable)';
  }
}

process.on('uncaughtException', (e) => writeErr('Uncaught exception: ' + formatError(e) + '\n'));
process.on('unhandledRejection', (e) => writeErr('Unhandled promise rejection: ' + formatError(e) + '\n'));
process.on('SIGINT', () => {}); // a stray SIGINT must not kill the worker (and state with it)

// process.exit() from user code throws instead, so the worker survives.
process.exit = function exit(code) {
  throw new Error(`process.exit(${code === undefined ? '' : code}) called; ignored, the worker keeps running`);
};

// ---- user globals -----------------------------------------------------------------------------
// require() resolves relative to the sandbox's cwd (as if code lived in <cwd>/<cell>), like the REPL.
const cellFile = path.join(process.cwd(), '<cell>');
const userModule = new Module(cellFile, null);
userModule.filename = cellFile;
userModule.paths = Module._nodeModulePaths(process.cwd());
userModule.loaded = true;
Object.assign(globalThis, {
  require: Module.createRequire(cellFile), module: userModule, exports: userModule.exports,
  __filename: cellFile, __dirname: process.cwd(),
});

// ---- running a cell ---------------------------------------------------------------------------
const scriptOptions = { filename: '<cell>' };
if (vm.constants && vm.constants.USE_MAIN_CONTEXT_DEFAULT_LOADER) {
  scriptOptions.importModuleDynamically = vm.constants.USE_MAIN_CONTEXT_DEFAULT_LOADER; // import()
}

function compile(code) {
  try {
    return new vm.Script(code, scriptOptions);
  } catch (e) {
    // Top-level await is a SyntaxError in a classic script: retry as an async IIFE. Declarations
    // in such a cell are local to it (assign without let/const/var to make globals).
    if (!(e instanceof SyntaxError) || !/\bawait\b/.test(code)) throw e;
    try {
      return new vm.Script(`(async () => {\n${code}\n})()`, { ...scriptOptions, lineOffset: -1 });
    } catch (_) {
      throw e; // report the original error, not the wrapper's
    }
  }
}

function pump() {
  if (current || !queue.length) return;
  const msg = queue.shift();
  const id = msg.id;
  const max = Number.isInteger(msg.max_output) && msg.max_output >= 0 ? msg.max_output : DEFAULT_MAX_OUTPUT;
  const timeout = Number(msg.timeout_ms) > 0 ? Number(msg.timeout_ms) : 0;
  const t0 = performance.now();
  let timer = null;
  cap = { out: sink(max), err: sink(max) };

  const finish = (interrupted, note) => {
    if (current !== me) return; // already replied (e.g. interrupted, then the promise settled)
    if (timer) clearTimeout(timer);
    if (note) push(cap.err, note);
    const [stdout, soT, soN] = drain(cap.out);
    const [stderr, seT, seN] = drain(cap.err);
    cap = null;
    current = null;
    send({ id, stdout, stderr, stdout_truncated: soT, stderr_truncated: seT, stdout_bytes: soN,
      stderr_bytes: seN, interrupted, duration_ms: performance.now() - t0 });
    if (queue.length) setImmediate(pump);
  };
  const me = { id, finish };
  current = me;

  let result;
  try {
    // timeout costs ~0.15 ms per exec: V8's watchdog starts a thread for every run.
    const opts = timeout ? { displayErrors: false, timeout } : { displayErrors: false };
    result = compile(String(msg.code || '')).runInThisContext(opts);
  } catch (e) {
    const code = e && e.code;
    const stopped = code === 'ERR_SCRIPT_EXECUTION_TIMEOUT';
    push(cap.err, formatError(e) + '\n');
    // Let pending microtasks/ticks run (their output belongs to this exec) before replying.
    setImmediate(() => finish(stopped));
    return;
  }

  let thenable = false;
  try {
    thenable = result !== null && (typeof result === 'object' || typeof result === 'function') &&
      typeof result.then === 'function';
  } catch (_) { /* a hostile getter: treat as a plain value */ }
  if (!thenable) {
    setImmediate(() => finish(false)); // see above; also catches this cell's unhandled rejections
    return;
  }
  // Awaiting a promise: the event loop is free, so pings and interrupts are handled meanwhile.
  if (timeout) {
    const left = Math.max(0, timeout - (performance.now() - t0));
    timer = setTimeout(() => finish(true, `Error: Script execution timed out after ${timeout}ms (awaiting a promise)\n`), left);
  }
  Promise.resolve(result).then(
    () => setImmediate(() => finish(false)),
    (e) => { if (current === me) push(cap.err, formatError(e) + '\n'); setImmediate(() => finish(false)); },
  );
}

send({ op: 'ready', pid: process.pid });
