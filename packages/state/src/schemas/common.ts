import { z } from "zod";

/** Every file OMK writes carries this version; older versions are upgraded on read. */
export const SCHEMA_VERSION = 1;

export const TimestampSchema = z.iso.datetime({ offset: true });

export const NonNegativeIntSchema = z.number().int().nonnegative();
export const PositiveIntSchema = z.number().int().positive();
export const Sha256Schema = z.string().regex(/^[0-9a-f]{64}$/, "a lowercase hex sha256");
export const CommitShaSchema = z.string().regex(/^[0-9a-f]{40}([0-9a-f]{24})?$/, "a full git commit sha");

/**
 * How a run's engine sessions and agent commands were confined: `bwrap`, a
 * bubblewrap sandbox (the checkout writable, OMK's state and the repository's
 * .git out of reach, the rest read-only); `unconfined`, none (the user passed
 * --unconfined). A goal is as confined as its least confined run.
 */
export const ConfinementModeSchema = z.enum(["bwrap", "unconfined"]);
