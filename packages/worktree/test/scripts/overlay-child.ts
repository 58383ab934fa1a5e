// Child for with-checkout.test.ts: holds an overlay checkout open until it is killed.
import { setTimeout as sleep } from "node:timers/promises";
import { withCheckout } from "../../src/index.js";

const [repo = "", commit = ""] = process.argv.slice(2);
await withCheckout(
  repo,
  commit,
  async (dir) => {
    process.stdout.write(`inside ${dir}\n`);
    await sleep(120_000);
  },
  { prefix: "omk-overlay-" },
);
