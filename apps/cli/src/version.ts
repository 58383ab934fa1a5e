import pkg from "../package.json" with { type: "json" };

/**
 * The version `omk --version` prints: package.json's, the one source of truth
 * (bundled into dist at build time; read from the file when run from source).
 * A module of its own with no other import, so bin.ts answers `--version`
 * before loading anything else (bench cold-start).
 */
export const VERSION: string = pkg.version;
