import { readFileSync } from "node:fs";

/** This package's version (read from its package.json, from src/ and from dist/ alike). */
export const WIRE_VERSION: string = (() => {
  try {
    return (JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as { version: string }).version;
  } catch {
    return "0.0.0";
  }
})();
