// A bare Firestore emulator for the cart sweep's cost tests: the library of the local stack
// (@firestore-emulator/server, with the stack's write fixes), without the trigger bridge, and
// with O(1) document inserts.
//
// Why: the library keeps a collection's documents in an immutable map (immer) and copies the
// whole map for every new document, so writing 10,000 carts takes about two minutes; here a new
// document is added in place (the map is copied once, when it was frozen). Reads, queries and
// write semantics are untouched: only how fast the test can seed.
//
// Usage: node tests/integration/bulk_firestore.mjs [--host 127.0.0.1]; prints one JSON line
// {"event":"ready","firestore":"host:port"} and exits when its stdin closes.

import { parseArgs } from "node:util";

import {
  FirestoreServer,
  FirestoreStateCollection,
  FirestoreStateDocument,
} from "@firestore-emulator/server";
import { ServerCredentials } from "@grpc/grpc-js";

import { applyWriteFixes } from "../../devstack/firestore/fixes.mjs";

const { values: args } = parseArgs({
  options: { host: { type: "string", default: "127.0.0.1" } },
});

FirestoreStateCollection.prototype.getDocument = function getDocument(name) {
  if (Object.isFrozen(this.documents)) this.documents = { ...this.documents };
  let document = this.documents[name];
  if (!document) {
    document = new FirestoreStateDocument(this.emitter, this.database, this, name, {}, {});
    this.documents[name] = document;
  }
  return document;
};

const server = new FirestoreServer();
applyWriteFixes(server.state);
const port = await new Promise((resolve, reject) => {
  server.server.bindAsync(`${args.host}:0`, ServerCredentials.createInsecure(), (err, p) =>
    err ? reject(err) : resolve(p),
  );
});
const stop = () => {
  server.server.forceShutdown();
  process.exit(0);
};
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
process.stdin.on("end", stop);
process.stdin.on("error", stop);
process.stdin.resume();
process.stdout.write(`${JSON.stringify({ event: "ready", firestore: `${args.host}:${port}` })}\n`);
