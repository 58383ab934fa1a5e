// Plants, in a real repository's .git, every kind of code git could run on its own: hooks, core.hooksPath,
// core.fsmonitor, clean/smudge/process filters (via .git/info/attributes and a committed .gitattributes),
// a textconv, an external diff, a merge driver, include.path and a conditional includeIf, ssh/pager/askpass/
// editor/credential/gpg programs, a remote's uploadpack and core.alternateRefsCommand. Each program appends
// its kind to a file in `markers` when it runs, so a test proves none ran by finding the folder empty.
import { appendFileSync, chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { execa } from "execa";

/** Hooks planted both in .git/hooks and in a planted core.hooksPath folder. */
export const PLANTED_HOOKS = [
  "post-checkout",
  "pre-commit",
  "post-commit",
  "commit-msg",
  "prepare-commit-msg",
  "reference-transaction",
  "post-merge",
  "pre-merge-commit",
  "post-index-change",
  "pre-auto-gc",
  "post-rewrite",
  "pre-push",
] as const;

export type PlantedRepo = {
  /** Folder the planted programs write into: one file per kind that ran. */
  readonly markers: string;
  /** The kinds that ran so far (file names in `markers`). */
  ran(): string[];
};

function program(file: string, markers: string, kind: string, body: string): string {
  writeFileSync(file, `#!/bin/sh\necho "$0 $*" >> '${path.join(markers, kind)}'\n${body}\n`);
  chmodSync(file, 0o755);
  return file;
}

/**
 * Plants everything in `repo` (a work tree with a `.git` folder; its
 * linked worktrees share the config). `markers` is created outside it.
 * `.gitattributes` is written to the work tree (commit it to have it
 * everywhere). Returns the markers folder.
 */
export async function plantGitCode(repo: string, markers: string): Promise<PlantedRepo> {
  mkdirSync(markers, { recursive: true });
  const gitDir = path.resolve(repo, (await execa("git", ["rev-parse", "--git-common-dir"], { cwd: repo })).stdout.trim());
  const bin = path.join(markers, "..", `${path.basename(markers)}-bin`);
  mkdirSync(bin, { recursive: true });
  const p = (name: string, body: string) => program(path.join(bin, name), markers, name, body);

  // Hooks in .git/hooks and in a planted hooksPath folder.
  const hooksPath = path.join(bin, "hooks");
  mkdirSync(hooksPath, { recursive: true });
  for (const hook of PLANTED_HOOKS) {
    program(path.join(gitDir, "hooks", hook), markers, `hook-${hook}`, "exit 0");
    program(path.join(hooksPath, hook), markers, `hookspath-${hook}`, "exit 0");
  }

  const clean = p("filter-clean", "cat");
  const smudge = p("filter-smudge", "cat");
  const proc = p("filter-process", "exit 1");
  const condClean = p("filter-conditional", "cat");
  const textconv = p("textconv", 'cat "$1"');
  const extdiff = p("external-diff", "exit 0");
  const merge = p("merge-driver", "exit 0");
  const fsmonitor = p("fsmonitor", "exit 1");
  const pager = p("pager", "cat");
  const ssh = p("ssh-command", "exit 1");
  const askpass = p("askpass", "exit 1");
  const editor = p("editor", "exit 0");
  const credential = p("credential-helper", "exit 0");
  const gpg = p("gpg-program", "exit 1");
  const uploadpack = p("upload-pack", "exit 1");
  const altrefs = p("alternate-refs", "exit 0");

  // Unconditional include: the process filter, pager, ssh, credential and more.
  const included = path.join(bin, "included.gitconfig");
  writeFileSync(
    included,
    [
      '[filter "plantedproc"]',
      `\tprocess = ${proc}`,
      "[core]",
      `\tpager = ${pager}`,
      `\tsshCommand = ${ssh}`,
      `\taskPass = ${askpass}`,
      `\teditor = ${editor}`,
      `\talternateRefsCommand = ${altrefs}`,
      "[credential]",
      `\thelper = ${credential}`,
      "[gpg]",
      `\tprogram = ${gpg}`,
      "",
    ].join("\n"),
  );
  // Conditional include, true only on OMK's branches: not visible from the main checkout on main.
  const conditional = path.join(bin, "conditional.gitconfig");
  writeFileSync(conditional, ['[filter "plantedcond"]', `\tclean = ${condClean}`, `\tsmudge = ${condClean}`, "\trequired = true", ""].join("\n"));

  const config = path.join(gitDir, "config");
  appendFileSync(
    config,
    [
      "[core]",
      `\tfsmonitor = ${fsmonitor}`,
      `\thooksPath = ${hooksPath}`,
      '[filter "planted"]',
      `\tclean = ${clean}`,
      `\tsmudge = ${smudge}`,
      "\trequired = true",
      '[diff "planted"]',
      `\ttextconv = ${textconv}`,
      `\tcommand = ${extdiff}`,
      "[diff]",
      `\texternal = ${extdiff}`,
      '[merge "planted"]',
      `\tdriver = ${merge}`,
      "[include]",
      `\tpath = ${included}`,
      '[includeIf "onbranch:omk/**"]',
      `\tpath = ${conditional}`,
      "",
    ].join("\n"),
  );
  // A named remote's upload-pack is the program a fetch from it runs.
  const remotes = (await execa("git", ["remote"], { cwd: repo })).stdout.split("\n").filter((r) => r !== "");
  for (const remote of remotes) {
    appendFileSync(config, `[remote "${remote}"]\n\tuploadpack = ${uploadpack}\n\treceivepack = ${uploadpack}\n`);
  }

  mkdirSync(path.join(gitDir, "info"), { recursive: true });
  writeFileSync(path.join(gitDir, "info", "attributes"), "*.ts filter=planted diff=planted merge=planted\n");
  const attrs = path.join(repo, ".gitattributes");
  const before = existsSync(attrs) ? readFileSync(attrs, "utf8") : "";
  // The process filter stays on its own file type: a failing long-running filter stops plain git at once.
  writeFileSync(attrs, `${before}*.md filter=planted diff=planted merge=planted\n*.sh filter=plantedcond\n*.proc filter=plantedproc\n`);

  return {
    markers,
    ran: () => (existsSync(markers) ? readdirSync(markers).sort() : []),
  };
}
