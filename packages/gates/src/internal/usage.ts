/**
 * `omk-gates --help`. A module of its own with no import, so bin.ts prints it
 * (and the version) before the gate runner loads (bench cold-start).
 */
export const USAGE = `usage: omk-gates <command> [options]

commands:
  detect                 show the gates a project has, and why (no config needed)
  run                    run the gates; exit 0 only when every required gate passes
  compare --base REF     run the gates on the working tree and on REF (a temporary
                         git worktree); exit 0 unless a required gate newly fails
  compare --base-report A.json --head-report B.json
                         compare two saved reports

options:
  --dir DIR              project root (default: the current directory)
  --config FILE          gates config (default: .omk/gates.yaml, else detection);
                         detect shows what it says next to what detection finds
  --out DIR              logs and report.json (default: outside the project, in
                         $OMK_STATE_DIR, else $XDG_STATE_HOME/omk, else
                         ~/.local/state/omk: gates-runs/<project>-<hash>/<run-id>)
  --json                 print the report (detect: the detection) as JSON on stdout
  --junit FILE           also write a JUnit XML report
  --markdown FILE        also write a Markdown report
  --only NAMES           run only these gates (comma-separated) and what they need
  --parallel N           gates at once (default: config, else min(4, CPUs))
  --diff-base REF        what builtin gates diff against (default HEAD; compare: the base)
  --quiet                no progress lines on stderr
  -h, --help / -v, --version
`;
