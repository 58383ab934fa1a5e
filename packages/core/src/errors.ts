/**
 * The one error base of OMK (style.md §6): a stable string `code`
 * (`OMK_<AREA>_<WHAT>`), a one-line message, a one-line `fix`, and a `cause`.
 * Expected failures are returned as values (`Result`); errors of this class
 * are what those values carry, and what is thrown for bugs, corrupt files and
 * broken environments. Each package derives its own classes from it.
 */
export class OmkError extends Error {
  readonly code: string;
  /** A one-line instruction telling the user how to fix the problem, when there is one. */
  readonly fix: string | undefined;

  constructor(code: string, message: string, options: { cause?: unknown; fix?: string } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.fix = options.fix;
  }
}
