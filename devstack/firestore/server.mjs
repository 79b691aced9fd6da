// The local Firestore emulator (@firestore-emulator/server) with an Eventarc trigger bridge.
//
// One process: the gRPC emulator, a bridge that turns every committed change of a top-level
// document in the watched collections into the CloudEvent Eventarc would send (binary mode,
// `google.events.cloud.firestore.v1.DocumentEventData` protobuf with value, old value and update
// mask), and a small admin HTTP server (health, reset, bridge targets and stats).
//
// Usage:
//   node devstack/firestore/server.mjs [--host 127.0.0.1] [--port 0] [--admin-port 0]
//        [--target tickets=http://127.0.0.1:8081/] [--location europe-west1] [--retries 4]
//        [--exit-on-stdin-close]
// When ready it prints one JSON line on stdout: {"event":"ready","firestore":"host:port",...}.

import { randomUUID } from "node:crypto";
import http from "node:http";
import { parseArgs } from "node:util";

import { FirestoreServer } from "@firestore-emulator/server";
import { ServerCredentials } from "@grpc/grpc-js";

import { applyWriteFixes } from "./fixes.mjs";

const EVENT_TYPE = "google.cloud.firestore.document.v1.written";
const DEFAULT_COLLECTIONS = ["tickets", "orders", "carts"];
const DOC_PATH = /^projects\/([^/]+)\/databases\/([^/]+)\/documents\/(.+)$/;
const SIMPLE_FIELD = /^[A-Za-z_][A-Za-z_0-9]*$/;

const { values: args } = parseArgs({
  options: {
    host: { type: "string", default: "127.0.0.1" },
    port: { type: "string", default: "0" },
    "admin-port": { type: "string", default: "0" },
    target: { type: "string", multiple: true, default: [] },
    location: { type: "string", default: "europe-west1" },
    retries: { type: "string", default: "4" },
    "request-timeout": { type: "string", default: "60" },
    quiet: { type: "boolean", default: false },
    "exit-on-stdin-close": { type: "boolean", default: false },
  },
});

const log = (level, message, extra = {}) => {
  if (args.quiet && level === "DEBUG") return;
  process.stderr.write(
    `${JSON.stringify({
      time: new Date().toISOString(),
      severity: level,
      component: "firestore-bridge",
      message,
      ...extra,
    })}\n`,
  );
};

// ---------------------------------------------------------------------------------------------
// Protobuf: DocumentEventData { Document value = 1; Document old_value = 2; DocumentMask
// update_mask = 3 } and DocumentMask { repeated string field_paths = 1 }. Document is the
// emulator's own google.firestore.v1.Document (wire compatible), serialized by its class.

function varint(value) {
  const bytes = [];
  let v = value;
  while (v > 0x7f) {
    bytes.push((v & 0x7f) | 0x80);
    v = Math.floor(v / 128);
  }
  bytes.push(v);
  return Buffer.from(bytes);
}

function lengthDelimited(field, payload) {
  const data = Buffer.from(payload);
  return Buffer.concat([varint((field << 3) | 2), varint(data.length), data]);
}

function encodeDocumentEventData({ value, oldValue, updateMask }) {
  const parts = [];
  if (value) parts.push(lengthDelimited(1, value));
  if (oldValue) parts.push(lengthDelimited(2, oldValue));
  if (updateMask) {
    const mask = Buffer.concat(updateMask.map((p) => lengthDelimited(1, Buffer.from(p, "utf8"))));
    parts.push(lengthDelimited(3, mask));
  }
  return Buffer.concat(parts);
}

// Canonical JSON (sorted keys) of a value object, to tell which fields changed.
function canonical(value) {
  if (Array.isArray(value)) return `[${value.map(canonical).join(",")}]`;
  if (value instanceof Uint8Array) return JSON.stringify(Buffer.from(value).toString("base64"));
  if (value && typeof value === "object") {
    const keys = Object.keys(value).sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonical(value[k])}`).join(",")}}`;
  }
  return JSON.stringify(value ?? null);
}

function quoteFieldPath(name) {
  return SIMPLE_FIELD.test(name) ? name : `\`${name.replace(/[\\`]/g, (c) => `\\${c}`)}\``;
}

// ---------------------------------------------------------------------------------------------
// The bridge: a cache of the last seen version of each watched document (for old_value and the
// update mask), per-document ordered delivery queues, retries like Eventarc's.

class Bridge {
  constructor({ collections, targets, location, retries, requestTimeoutMs }) {
    this.collections = new Set(collections);
    this.targets = { ...targets };
    this.location = location;
    this.retries = retries;
    this.requestTimeoutMs = requestTimeoutMs;
    this.cache = new Map(); // full document name -> { bytes, fields: Map<name, canonical> }
    this.dirty = new Map(); // full document name -> FirestoreStateDocument (this tick)
    this.queues = new Map(); // "project/database/path" -> Promise chain tail
    this.generation = 0;
    this.pending = 0;
    this.inflight = 0;
    this.stats = { published: 0, delivered: 0, failed: 0, dropped: 0, skipped: 0 };
    this.recent = [];
    this.idleWaiters = [];
  }

  watch(emitter) {
    const mark = ({ document }) => this.mark(document);
    emitter.on("create-document", mark);
    emitter.on("update-document", mark);
    emitter.on("delete-document", mark);
    emitter.on("clear-all-projects", () => this.clear());
  }

  // A commit is synchronous in the emulator and may emit several times for one document (a
  // server-timestamp transform is a second `set`), so changes are collected during the tick and
  // published once per document after the commit, like one Eventarc event per write.
  mark(document) {
    const name = document.getPath();
    const match = DOC_PATH.exec(name);
    if (!match) return;
    const segments = match[3].split("/");
    if (segments.length !== 2 || !this.collections.has(segments[0])) return;
    if (this.dirty.size === 0) queueMicrotask(() => this.flush());
    this.dirty.set(name, document);
  }

  flush() {
    const changed = [...this.dirty.entries()];
    this.dirty.clear();
    for (const [name, document] of changed) {
      try {
        this.publish(name, document);
      } catch (err) {
        log("ERROR", "cannot build the event for a document change", { name, error: String(err) });
      }
    }
  }

  publish(name, document) {
    const before = this.cache.get(name) ?? null;
    let after = null;
    if (document.metadata.hasExist) {
      const v1 = document.toV1Document();
      const fields = new Map();
      for (const [key, value] of Object.entries(document.toV1DocumentObject().fields)) {
        fields.set(key, canonical(value));
      }
      after = { bytes: v1.serializeBinary(), fields, updateTime: document.metadata.updatedAt };
      this.cache.set(name, after);
    } else {
      this.cache.delete(name);
    }
    if (!before && !after) return;
    let updateMask = null;
    if (before && after) {
      const names = new Set([...before.fields.keys(), ...after.fields.keys()]);
      const paths = [...names]
        .filter((key) => before.fields.get(key) !== after.fields.get(key))
        .sort();
      if (paths.length === 0) {
        // Firestore sends no event for a write that changes nothing.
        this.stats.skipped += 1;
        return;
      }
      updateMask = paths.map(quoteFieldPath);
    }
    const [, project, database, path] = DOC_PATH.exec(name);
    const collection = path.split("/")[0];
    const time = after ? after.updateTime : new Date();
    const event = {
      id: randomUUID(),
      publishedAt: Date.now(),
      project,
      database,
      path,
      collection,
      kind: !before ? "create" : !after ? "delete" : "update",
      headers: {
        "ce-id": "",
        "ce-source": `//firestore.googleapis.com/projects/${project}/databases/${database}`,
        "ce-type": EVENT_TYPE,
        "ce-specversion": "1.0",
        "ce-subject": `documents/${path}`,
        "ce-time": time.toISOString(),
        "ce-project": project,
        "ce-database": database,
        "ce-document": path,
        "ce-location": this.location,
        "content-type": "application/protobuf",
      },
      body: encodeDocumentEventData({
        value: after?.bytes,
        oldValue: before?.bytes,
        updateMask,
      }),
    };
    event.headers["ce-id"] = event.id;
    this.stats.published += 1;
    this.enqueue(event);
  }

  enqueue(event) {
    const key = `${event.project}/${event.database}/${event.path}`;
    const generation = this.generation;
    this.pending += 1;
    const previous = this.queues.get(key) ?? Promise.resolve();
    const next = previous
      .then(() => this.deliver(event, generation))
      .catch((err) => log("ERROR", "bridge delivery crashed", { error: String(err) }))
      .finally(() => {
        this.pending -= 1;
        if (this.queues.get(key) === next) this.queues.delete(key);
        this.checkIdle();
      });
    this.queues.set(key, next);
  }

  async deliver(event, generation) {
    if (generation !== this.generation) {
      this.stats.dropped += 1;
      return;
    }
    const url = this.targets[event.collection];
    const record = {
      id: event.id,
      subject: event.headers["ce-subject"],
      project: event.project,
      kind: event.kind,
      url: url ?? null,
      status: null,
      attempts: 0,
      outcome: "pending",
    };
    this.remember(record);
    if (!url) {
      record.outcome = "no-target";
      this.stats.dropped += 1;
      return;
    }
    this.inflight += 1;
    try {
      for (let attempt = 0; attempt <= this.retries; attempt += 1) {
        if (generation !== this.generation) {
          record.outcome = "dropped";
          this.stats.dropped += 1;
          return;
        }
        if (attempt > 0) await sleep(Math.min(250 * 2 ** (attempt - 1), 4000));
        record.attempts = attempt + 1;
        let status = null;
        let error = null;
        const sentAt = Date.now();
        try {
          const response = await fetch(url, {
            method: "POST",
            headers: event.headers,
            body: event.body,
            signal: AbortSignal.timeout(this.requestTimeoutMs),
          });
          status = response.status;
          await response.arrayBuffer().catch(() => undefined);
        } catch (err) {
          error = String(err?.cause ?? err);
        }
        record.status = status;
        if (status !== null && status < 300) {
          record.outcome = "delivered";
          this.stats.delivered += 1;
          log("DEBUG", "event delivered", {
            id: event.id,
            subject: record.subject,
            status,
            attempt: attempt + 1,
            queuedMs: sentAt - event.publishedAt,
            responseMs: Date.now() - sentAt,
          });
          return;
        }
        const retryable = status === null || status === 429 || status >= 500;
        log("WARNING", "event delivery failed", {
          id: event.id,
          subject: record.subject,
          url,
          status,
          error,
          attempt: attempt + 1,
          retryable,
          responseMs: Date.now() - sentAt,
        });
        if (!retryable) break;
      }
      record.outcome = "failed";
      this.stats.failed += 1;
    } finally {
      this.inflight -= 1;
    }
  }

  remember(record) {
    this.recent.push(record);
    if (this.recent.length > 1000) this.recent.splice(0, this.recent.length - 1000);
  }

  clear() {
    this.generation += 1;
    this.cache.clear();
    this.dirty.clear();
    this.recent = [];
  }

  isIdle() {
    return this.pending === 0 && this.dirty.size === 0;
  }

  checkIdle() {
    if (!this.isIdle()) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const resolve of waiters) resolve(true);
  }

  waitIdle(timeoutMs) {
    if (this.isIdle()) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.idleWaiters = this.idleWaiters.filter((w) => w !== done);
        resolve(false);
      }, timeoutMs);
      const done = (value) => {
        clearTimeout(timer);
        resolve(value);
      };
      this.idleWaiters.push(done);
    });
  }

  snapshot() {
    return {
      ...this.stats,
      pending: this.pending,
      inflight: this.inflight,
      idle: this.isIdle(),
      targets: this.targets,
      generation: this.generation,
    };
  }
}

function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function parseTargets(list) {
  const targets = {};
  for (const item of list) {
    const index = item.indexOf("=");
    if (index <= 0) throw new Error(`--target wants collection=URL, got ${item}`);
    targets[item.slice(0, index)] = item.slice(index + 1);
  }
  return targets;
}

// ---------------------------------------------------------------------------------------------
// Admin HTTP server.

function readBody(req) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    req.on("data", (c) => chunks.push(c));
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}

function adminServer({ server, bridge, firestoreAddress }) {
  return http.createServer(async (req, res) => {
    const url = new URL(req.url ?? "/", "http://admin");
    const reply = (status, body) => {
      res.writeHead(status, { "content-type": "application/json" });
      res.end(JSON.stringify(body));
    };
    try {
      if (req.method === "GET" && url.pathname === "/health") {
        return reply(200, { ok: true, firestore: firestoreAddress, bridge: bridge.snapshot() });
      }
      if (req.method === "POST" && url.pathname === "/reset") {
        // Drop what is queued, let what is on the wire finish, then empty every project.
        bridge.clear();
        const settled = await bridge.waitIdle(Number(url.searchParams.get("timeout") ?? 10) * 1000);
        server.state.clear();
        return reply(200, { ok: true, settled });
      }
      if (req.method === "GET" && url.pathname === "/bridge/stats") {
        return reply(200, bridge.snapshot());
      }
      if (req.method === "GET" && url.pathname === "/bridge/events") {
        const limit = Number(url.searchParams.get("limit") ?? 100);
        return reply(200, { events: bridge.recent.slice(-limit) });
      }
      if (req.method === "POST" && url.pathname === "/bridge/wait-idle") {
        const idle = await bridge.waitIdle(Number(url.searchParams.get("timeout") ?? 30) * 1000);
        return reply(idle ? 200 : 504, { idle, bridge: bridge.snapshot() });
      }
      if (req.method === "PUT" && url.pathname === "/bridge/targets") {
        const body = JSON.parse((await readBody(req)) || "{}");
        if (!body || typeof body !== "object" || Array.isArray(body)) {
          return reply(400, { error: "expected a JSON object {collection: url}" });
        }
        bridge.targets = Object.fromEntries(
          Object.entries(body).filter(([, v]) => typeof v === "string" && v),
        );
        return reply(200, { targets: bridge.targets });
      }
      return reply(404, { error: "not found" });
    } catch (err) {
      return reply(500, { error: String(err) });
    }
  });
}

// ---------------------------------------------------------------------------------------------

async function main() {
  const host = args.host;
  const server = new FirestoreServer();
  applyWriteFixes(server.state);
  const bridge = new Bridge({
    collections: DEFAULT_COLLECTIONS,
    targets: parseTargets(args.target),
    location: args.location,
    retries: Number(args.retries),
    requestTimeoutMs: Number(args["request-timeout"]) * 1000,
  });
  bridge.watch(server.state.emitter);

  // FirestoreServer.start() binds 0.0.0.0 and hides the port; bind its gRPC server ourselves so
  // the host is configurable and port 0 gives a free port without a race.
  const grpcServer = server.server;
  const port = await new Promise((resolve, reject) => {
    grpcServer.bindAsync(`${host}:${args.port}`, ServerCredentials.createInsecure(), (err, p) =>
      err ? reject(err) : resolve(p),
    );
  });
  const firestoreAddress = `${host}:${port}`;

  const admin = adminServer({ server, bridge, firestoreAddress });
  const adminPort = await new Promise((resolve, reject) => {
    admin.once("error", reject);
    admin.listen(Number(args["admin-port"]), host, () => resolve(admin.address().port));
  });

  const shutdown = (signal) => {
    log("INFO", "shutting down", { signal });
    admin.close();
    grpcServer.forceShutdown();
    process.exit(0);
  };
  process.on("SIGTERM", () => shutdown("SIGTERM"));
  process.on("SIGINT", () => shutdown("SIGINT"));
  if (args["exit-on-stdin-close"]) {
    // The orchestrator holds our stdin: when it dies, so do we (no orphan emulator).
    process.stdin.on("end", () => shutdown("stdin closed"));
    process.stdin.on("error", () => shutdown("stdin error"));
    process.stdin.resume();
  }

  process.stdout.write(
    `${JSON.stringify({
      event: "ready",
      firestore: firestoreAddress,
      admin: `http://${host}:${adminPort}`,
      targets: bridge.targets,
    })}\n`,
  );
}

main().catch((err) => {
  log("ERROR", "failed to start", { error: String(err?.stack ?? err) });
  process.exit(1);
});
