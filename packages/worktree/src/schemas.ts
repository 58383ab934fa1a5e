// The values @omk/worktree returns (evidence for the controller): zod is the single source of their types.
import { CommitShaSchema } from "@omk/state";
import { z } from "zod";

/** git's status letters for a change between two trees (rename and copy scores are split off). */
const ChangeStatusSchema = z.enum(["A", "M", "D", "R", "C", "T"]);
export type ChangeStatus = z.infer<typeof ChangeStatusSchema>;

/** What a tree entry is, from its git mode: 100644 file, 100755 executable, 120000 symlink, 160000 submodule. */
const FileKindSchema = z.enum(["file", "executable", "symlink", "submodule"]);
export type FileKind = z.infer<typeof FileKindSchema>;

const ChangedFileSchema = z.object({
  status: ChangeStatusSchema,
  /** The path after the change (for D: the deleted path). Repository-relative, "/"-separated. */
  path: z.string(),
  /** The source path of a rename or copy, else null. */
  oldPath: z.string().nullable(),
  /** Similarity (0-100) of a rename or copy, else null. */
  similarity: z.number().int().min(0).max(100).nullable(),
  oldMode: z.string().nullable(),
  newMode: z.string().nullable(),
  /** Kind of the new entry (of the old one for D). */
  kind: FileKindSchema,
  oldKind: FileKindSchema.nullable(),
  /** Both sides exist and their modes differ (chmod +x, file to symlink, ...). */
  modeChanged: z.boolean(),
  /** Where a symlink points (the new link; for D the deleted link), else null. */
  symlinkTarget: z.string().nullable(),
  oldSha: z.string().nullable(),
  newSha: z.string().nullable(),
});
export type ChangedFile = z.infer<typeof ChangedFileSchema>;

const ScopeViolationKindSchema = z.enum([
  /** A changed path no write-set entry covers. */
  "outside_write_set",
  /** A path with a `.git` segment (git's own files), or a symlink into one. */
  "git_dir",
  /** A path the shared path rules refuse (control characters, backslash, ...). */
  "invalid_path",
  /** A symlink whose target (or a write through it) lies outside the worktree. */
  "symlink_escape",
  /** A change to a submodule (gitlink) entry. */
  "submodule",
  /** A repository of its own inside the checkout (a `.git` folder, gitfile or symlink), or a gitlink the agent staged or committed: capture refuses it. */
  "nested_repository",
  /** A write aimed outside the worktree (absolute path elsewhere, `..`). */
  "escapes_worktree",
  /** A write-set entry the shared path rules refuse; it covers nothing. */
  "invalid_write_entry",
]);
export type ScopeViolationKind = z.infer<typeof ScopeViolationKindSchema>;

export const ScopeViolationSchema = z.object({
  kind: ScopeViolationKindSchema,
  /** The offending path, repository-relative where it has one (else as given). */
  path: z.string(),
  message: z.string(),
  /** The change that caused it (status letter), null for a refused write or a bad entry. */
  change: ChangeStatusSchema.nullable(),
  /** For symlinks: where the link points. */
  target: z.string().nullable(),
});
export type ScopeViolation = z.infer<typeof ScopeViolationSchema>;

/** One entry of `git status` of the main checkout: XY as git prints it (e.g. " M", "??", "R "). */
const DirtyFileSchema = z.object({ path: z.string(), status: z.string().length(2), oldPath: z.string().nullable() });
export type DirtyFile = z.infer<typeof DirtyFileSchema>;

const CopySkipReasonSchema = z.enum(["invalid_path", "missing", "not_a_file", "outside_repo", "tracked", "unsafe_destination", "exists_in_worktree"]);
export type CopySkipReason = z.infer<typeof CopySkipReasonSchema>;
const CopySkipSchema = z.object({ path: z.string(), reason: CopySkipReasonSchema, message: z.string() });
export type CopySkip = z.infer<typeof CopySkipSchema>;

export const WorktreeModeSchema = z.enum(["worktree", "clone"]);
export type WorktreeMode = z.infer<typeof WorktreeModeSchema>;

/** A task's worktree and what creating it found. Serializable: the controller may keep it in its records. */
export const TaskWorktreeSchema = z.object({
  goalId: z.string(),
  taskId: z.string(),
  /** The main repository (its top-level folder, or its git dir when bare). */
  repo: z.string(),
  /** The task's checkout (real path). */
  path: z.string(),
  branch: z.string(),
  base: CommitShaSchema,
  /** "clone" (default): a checkout with its own git dir (user's objects via alternates); "worktree": `git worktree add`. */
  mode: WorktreeModeSchema,
  /** Why mode "auto" fell back to a clone (git's message); null otherwise. */
  fallbackReason: z.string().nullable(),
  /** An existing worktree of this task was found and returned as it was. */
  reused: z.boolean(),
  /** The branch head when the worktree was handed out. */
  head: CommitShaSchema,
  /** Uncommitted changes in the main checkout, reported and left alone (empty for a bare repository). */
  dirty: z.array(DirtyFileSchema),
  /** Untracked files copied in from the main checkout (never committed by captureChanges). */
  copied: z.array(z.string()),
  copySkipped: z.array(CopySkipSchema),
});
export type TaskWorktree = z.infer<typeof TaskWorktreeSchema>;

export const CaptureSchema = z.object({
  goalId: z.string(),
  taskId: z.string(),
  branch: z.string(),
  base: CommitShaSchema,
  /** The branch head after capture. */
  head: CommitShaSchema,
  /** The commit made now, null when the worktree held nothing new. */
  commit: CommitShaSchema.nullable(),
  /** Everything the task changed since the base commit. */
  files: z.array(ChangedFileSchema),
  /** `git diff base head` (rename and copy detection on, no external diff tools). */
  diff: z.string(),
  diffTruncated: z.boolean(),
  /**
   * Every symlink in the head's tree (repository path to link text), read
   * only when the changes add or change a symlink (else empty): checkScope
   * resolves a link's destination through the others.
   */
  symlinks: z.record(z.string(), z.string()).default({}),
});
export type Capture = z.infer<typeof CaptureSchema>;

export const IntegrationConflictSchema = z.object({
  /** The task whose merge conflicted. */
  task: z.string(),
  /** Conflicted paths. */
  files: z.array(z.string()),
  /** Tasks already on the integration side that changed those paths. */
  conflictsWith: z.array(z.string()),
  /** git's conflict messages. */
  messages: z.array(z.string()),
});
export type IntegrationConflict = z.infer<typeof IntegrationConflictSchema>;

const MergedTaskSchema = z.object({ taskId: z.string(), commit: CommitShaSchema, mergeCommit: CommitShaSchema });
export type MergedTask = z.infer<typeof MergedTaskSchema>;

export const IntegrationSchema = z.object({
  branch: z.string(),
  base: CommitShaSchema,
  /** The integration branch's head afterwards. */
  head: CommitShaSchema,
  /** Its head before (null: created now). */
  previousHead: CommitShaSchema.nullable(),
  /** Accepted tasks in merge order (topological, ties by id). */
  order: z.array(z.string()),
  merged: z.array(MergedTaskSchema),
  /** Accepted tasks whose head was already on the integration branch. */
  alreadyIntegrated: z.array(z.string()),
});
export type Integration = z.infer<typeof IntegrationSchema>;
