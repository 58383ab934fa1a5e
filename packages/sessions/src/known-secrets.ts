/**
 * Known secrets in what an engine answered outside a task (its plan, its
 * intake decision): OMK records those answers in the goal's log and quotes
 * them in task prompts and commit messages, so one that holds a secret the
 * run knows (any form knownSecretMatcher matches) is never recorded; the goal
 * ends naming the variable, never the value.
 */
import { type KnownSecretHit, knownSecretMatcher } from "@omk/core";
import { sessionKnownSecrets } from "./session.js";

/** How a finding names a known secret: its variable (`$NAME`), never its value. */
export function secretName(label: string): string {
  return label.startsWith("env:") ? `$${label.slice(4)}` : "a secret of the engine configuration";
}

/** The secrets (named, with the forms found) that `value` (any JSON value) holds; empty when none. */
export function knownSecretsIn(env: Readonly<Record<string, string | undefined>>, secrets: readonly string[], value: unknown): string[] {
  const matcher = knownSecretMatcher(sessionKnownSecrets(env, secrets));
  if (matcher.size === 0) return [];
  return namedHits(matcher.find(typeof value === "string" ? value : JSON.stringify(value)));
}

/** `$NAME (plain, base64)` per secret found. */
export function namedHits(hits: readonly KnownSecretHit[]): string[] {
  const forms = new Map<string, string[]>();
  for (const hit of hits) forms.set(secretName(hit.label), [...new Set([...(forms.get(secretName(hit.label)) ?? []), hit.form])]);
  return [...forms].map(([name, f]) => `${name} (${f.join(", ")})`);
}
