// The Firebase Auth emulator of firebase-tools (pinned in package.json), alone: no CLI, no hub,
// no logging emulator, no UI, no telemetry. Usage: node serve.js HOST PORT PROJECT
// (PORT 0: a free one). Prints one JSON ready line {"ready": true, "host", "port"} on stdout.
"use strict";
process.env.FIREBASE_CLI_DISABLE_TELEMETRY ??= "1";
const { createApp } = require("firebase-tools/lib/emulator/auth/server");
const { SingleProjectMode } = require("firebase-tools/lib/emulator/auth/index");

async function main() {
  const [host = "127.0.0.1", port = "0", project = "demo-shop"] = process.argv.slice(2);
  const app = await createApp(project, SingleProjectMode.NO_WARNING);
  const server = app.listen(Number(port), host, () => {
    const address = server.address();
    process.stdout.write(
      JSON.stringify({ ready: true, host, port: address.port, project }) + "\n",
    );
  });
  // Exit at once: close() would wait for idle keep-alive connections (firebase-admin's, the
  // browser's), and the stack (or the parent-death signal) expects a quick end.
  const stop = () => process.exit(0);
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
