#!/usr/bin/env node
import { VERSION } from "./version.js";

/**
 * A reader that goes away (`omk goal status --json | head -1`, `| true`)
 * makes the next write fail with EPIPE; unhandled, that is a stack trace and
 * exit 1. Every command's output goes through here, so here it is handled
 * once: the closed stream is written no more, and the command finishes and
 * exits with its own code (a running goal is not cut off mid-step because
 * its viewer left). docs/cli.md, "Exit codes".
 */
const closed = { stdout: false, stderr: false };
for (const name of ["stdout", "stderr"] as const) {
  process[name].on("error", (error: NodeJS.ErrnoException) => {
    if (error.code === "EPIPE" || error.code === "ERR_STREAM_DESTROYED") {
      closed[name] = true;
      return;
    }
    throw error;
  });
}
const writer = (name: "stdout" | "stderr") => (text: string) => {
  if (!closed[name]) process[name].write(text);
};

// `omk --version` answers before the command tree (commander, every command) is loaded: start-up
// no slower than Node's own (bench cold-start). Anything else, `-V` included, goes through main.
const argv = process.argv.slice(2);
if (argv.length === 1 && (argv[0] === "--version" || argv[0] === "-v")) {
  writer("stdout")(`${VERSION}\n`);
} else {
  const { main } = await import("./main.js");
  process.exitCode = await main({
    argv,
    stdout: writer("stdout"),
    stderr: writer("stderr"),
    env: process.env,
    cwd: process.cwd(),
  });
}
