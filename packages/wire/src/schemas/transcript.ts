import { z } from "zod";

/**
 * One line of a session transcript (JSON lines). `in`: bytes from the engine's
 * stdout; `out`: bytes OMK wrote to its stdin; `stderr`: its stderr; `meta`:
 * what OMK did (spawn, signals, exit). Text is always redacted; bytes that are
 * not UTF-8 are decoded lossily (U+FFFD) and marked `lossy`. `b64` is only
 * found in transcripts written before that (raw bytes, unredacted).
 */
export const TranscriptLineSchema = z.object({
  t: z.string(),
  dir: z.enum(["in", "out", "stderr", "meta"]),
  line: z.string().optional(),
  /** Legacy: raw bytes of a non-UTF-8 line, unredacted. No longer written. */
  b64: z.string().optional(),
  /** The line was not valid UTF-8: `line` is a lossy decoding (U+FFFD for bad bytes). */
  lossy: z.boolean().optional(),
  /** The stream ended without a final newline after this text. */
  partial: z.boolean().optional(),
  /** Bytes left out because the line was longer than the transcript keeps. */
  truncated: z.number().int().positive().optional(),
  meta: z.record(z.string(), z.unknown()).optional(),
});
export type TranscriptLine = z.infer<typeof TranscriptLineSchema>;
