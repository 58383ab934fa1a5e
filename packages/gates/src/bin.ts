#!/usr/bin/env node
// The omk-gates command: the package's own CLI edge (the only place in src that prints).
import { USAGE } from "./internal/usage.js";
import { TOOL_VERSION } from "./internal/version.js";

// A reader that went away (`omk-gates run --json | head -1`): EPIPE is not a crash. The closed stream
// is written no more; the gates finish and the exit code is theirs (as omk's bin, docs/cli.md).
const closed = { stdout: false, stderr: false };
for (const name of ["stdout", "stderr"] as const) {
  process[name].on("error", (error: NodeJS.ErrnoException) => {
    if (error.code !== "EPIPE" && error.code !== "ERR_STREAM_DESTROYED") throw error;
    closed[name] = true;
  });
}
const stdout = (text: string) => {
  if (!closed.stdout) process.stdout.write(text);
};
const stderr = (text: string) => {
  if (!closed.stderr) process.stderr.write(text);
};

// `omk-gates --version` and `--help` answer before the gate runner (execa, yaml, zod, ...) is loaded:
// start-up no slower than Node's own (bench cold-start). The same answers as main's, which has the rest.
const argv = process.argv.slice(2);
const only = argv.length === 1 ? argv[0] : undefined;
if (only === "--version" || only === "-v") {
  stdout(`${TOOL_VERSION}\n`);
} else if (only === "--help" || only === "-h" || only === "help") {
  stdout(USAGE);
} else {
  const [{ main }, { killAllGatesNow }] = await Promise.all([import("./internal/cli.js"), import("./internal/process.js")]);
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

  process.exitCode = await main({ argv, cwd: process.cwd(), env: process.env, stdout, stderr, signal: controller.signal });
  process.off("SIGINT", onSignal);
  process.off("SIGTERM", onSignal);
}
