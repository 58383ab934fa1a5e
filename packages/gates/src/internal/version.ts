import pkg from "../../package.json" with { type: "json" };

/** Name and version of this package, recorded in every report (bundled from package.json at build time). */
export const TOOL_NAME: string = pkg.name;
export const TOOL_VERSION: string = pkg.version;
