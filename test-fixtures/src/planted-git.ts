// Plants, in a real repository's .git, every kind of code git could run on its own: hooks, core.hooksPath,
// core.fsmonitor, clean/smudge/process filters (via .git/info/attributes and a committed .gitattributes),
// a textconv, an external diff, a merge driver, include.path and a conditional includeIf, ssh/pager/askpass/
// editor/credential/gpg programs, a remote's uploadpack and core.alternateRefsCommand. Each program appends
// its kind to a file in `markers` when it runs, so a test proves none ran by finding the folder empty.
import { appendFileSync, chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, utimesSync, writeFileSync } from "node:fs";
import path from "node:path";
import { execa } from "execa";

/** Hooks planted both in .git/hooks and in a planted core.hooksPath folder. */
const PLANTED_HOOKS = [
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

/** How a planted nested repository points at its git dir: a `.git` folder, or a `.git` file `gitdir: <elsewhere>`. */
export type NestedForm = "folder" | "gitfile";

export type PlantedNestedRepo = PlantedRepo & {
  /** The nested repository's folder, relative to the outer work tree. */
  readonly path: string;
  /** Makes its tracked file look changed again (new mtime, same content): git must read it, through the filter, to compare. */
  touch(): void;
};

const NESTED_IDENTITY = { GIT_AUTHOR_NAME: "t", GIT_AUTHOR_EMAIL: "t@example.invalid", GIT_COMMITTER_NAME: "t", GIT_COMMITTER_EMAIL: "t@example.invalid" };

/**
 * What a hostile agent plants inside its checkout: `<outer>/<rel>` becomes a
 * repository of its own (one commit with `data.txt`), then gets, in its own
 * config, a clean/smudge filter and a textconv selected for every file by its
 * `info/attributes`, `core.fsmonitor`, `core.hooksPath` and every hook in its
 * hooks folder, each writing a marker named `nested-<kind>` into `markers`
 * (outside). Nothing is run in it after the plant. With "gitfile" the git dir
 * lives outside the work tree (`<markers>-gitdir-<name>`) and `<rel>/.git` is
 * a file naming it.
 */
export async function plantNestedRepo(outer: string, rel: string, markers: string, form: NestedForm = "folder"): Promise<PlantedNestedRepo> {
  mkdirSync(markers, { recursive: true });
  const dir = path.join(outer, rel);
  mkdirSync(dir, { recursive: true });
  const env = { ...NESTED_IDENTITY, GIT_CONFIG_GLOBAL: "/dev/null", GIT_CONFIG_NOSYSTEM: "1" };
  const separate = path.join(path.dirname(markers), `${path.basename(markers)}-gitdir-${rel.replace(/[^A-Za-z0-9]+/g, "-")}`);
  await execa("git", ["init", "-q", "-b", "main", ...(form === "gitfile" ? [`--separate-git-dir=${separate}`] : [])], { cwd: dir, env });
  const data = path.join(dir, "data.txt");
  writeFileSync(data, "nested data\n");
  await execa("git", ["add", "data.txt"], { cwd: dir, env });
  await execa("git", ["commit", "-q", "--no-verify", "-m", "nested"], { cwd: dir, env });
  const gitDir = form === "gitfile" ? separate : path.join(dir, ".git");

  const bin = path.join(path.dirname(markers), `${path.basename(markers)}-nested-bin`);
  mkdirSync(bin, { recursive: true });
  const p = (name: string, body: string) => program(path.join(bin, `nested-${name}`), markers, `nested-${name}`, body);
  const hooksPath = path.join(bin, "nested-hooks");
  mkdirSync(hooksPath, { recursive: true });
  mkdirSync(path.join(gitDir, "hooks"), { recursive: true });
  for (const hook of PLANTED_HOOKS) {
    program(path.join(gitDir, "hooks", hook), markers, `nested-hook-${hook}`, "exit 0");
    program(path.join(hooksPath, hook), markers, `nested-hookspath-${hook}`, "exit 0");
  }
  appendFileSync(
    path.join(gitDir, "config"),
    [
      "[core]",
      `\tfsmonitor = ${p("fsmonitor", "exit 1")}`,
      `\thooksPath = ${hooksPath}`,
      `\tpager = ${p("pager", "cat")}`,
      '[filter "nested"]',
      `\tclean = ${p("filter-clean", "cat")}`,
      `\tsmudge = ${p("filter-smudge", "cat")}`,
      '[diff "nested"]',
      `\ttextconv = ${p("textconv", 'cat "$1"')}`,
      "[diff]",
      `\texternal = ${p("external-diff", "exit 0")}`,
      "",
    ].join("\n"),
  );
  mkdirSync(path.join(gitDir, "info"), { recursive: true });
  writeFileSync(path.join(gitDir, "info", "attributes"), "* filter=nested diff=nested\n");
  let tick = 0;
  const touch = () => {
    tick += 1;
    const when = new Date(Date.now() + tick * 1000);
    utimesSync(data, when, when);
  };
  touch();
  return { markers, path: rel, touch, ran: () => (existsSync(markers) ? readdirSync(markers).sort() : []) };
}
