// Child for detached-worktree.test.ts: holds an overlay checkout open until it is killed.
import { setTimeout as sleep } from "node:timers/promises";
import { withDetachedCheckout } from "../src/evidence/checkout.js";

const [repo = "", commit = ""] = process.argv.slice(2);
await withDetachedCheckout(
  repo,
  commit,
  async (dir) => {
    process.stdout.write(`inside ${dir}\n`);
    await sleep(120_000);
  },
  "omk-overlay-",
);
