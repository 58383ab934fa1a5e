import { fileURLToPath } from "node:url";

/** The fake `kimi --wire` script (TypeScript; bundle it or run it with tsxLoaderArgs()). */
export const FAKE_KIMI_WIRE_SCRIPT = fileURLToPath(new URL("./fake-kimi-wire.ts", import.meta.url));
