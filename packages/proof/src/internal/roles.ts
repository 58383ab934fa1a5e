/** The task roles that review the head rather than change it: not tasks of the proof, not integrated. */
export const REVIEW_ROLES: ReadonlySet<string> = new Set(["reviewer", "security-reviewer"]);
