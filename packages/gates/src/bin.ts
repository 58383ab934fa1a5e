#!/usr/bin/env node
// The omk-gates command: the package's own CLI edge (the only place in src that prints).
import { main } from "./internal/cli.js";
import { killAllGatesNow } from "./internal/process.js";

const controller = new AbortController();
let interrupted = 0;
const onSignal = (signal: NodeJS.Signals) => {
  interrupted++;
  if (interrupted > 1) {
    // The graceful stop (SIGTERM, SIGKILL after the grace) would never finish once we exit: kill the groups now.
    killAllGatesNow();
    process.exit(130);
  }
  process.stderr.write(`omk-gates: ${signal}: stopping the gates (again to quit at once)\n`);
  controller.abort();
};
process.on("SIGINT", onSignal);
process.on("SIGTERM", onSignal);

process.exitCode = await main({
  argv: process.argv.slice(2),
  cwd: process.cwd(),
  env: process.env,
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  signal: controller.signal,
});
process.off("SIGINT", onSignal);
process.off("SIGTERM", onSignal);
