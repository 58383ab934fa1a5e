/** Expected failures are values (style.md §6): `{ ok: true, value }` or `{ ok: false, error }`. */
export type Result<T, E> = { ok: true; value: T } | { ok: false; error: E };

export function ok<T>(value: T): { ok: true; value: T } {
  return { ok: true, value };
}

export function err<E>(error: E): { ok: false; error: E } {
  return { ok: false, error };
}

/**
 * The shape of every error value that is data rather than a class: a stable
 * `code`, a one-line `message` saying what happened, a one-line `fix`, and
 * whatever fields `D` adds. It travels in `{ ok: false, error }`.
 */
export type Problem<C extends string = string, D extends object = object> = { readonly code: C; readonly message: string; readonly fix: string } & D;

export function problem<C extends string, D extends object>(code: C, message: string, fix: string, data: D): Problem<C, D>;
export function problem<C extends string>(code: C, message: string, fix: string): Problem<C>;
export function problem(code: string, message: string, fix: string, data: object = {}): Problem<string> {
  return { code, message, fix, ...data };
}
