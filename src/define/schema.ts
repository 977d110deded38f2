/**
 * The bounds on the zod schemas a definition declares: metadata, checkpoint and sync models.
 * Both the definitions (`types.ts`) and the `nango` context (`context.ts`) are generic over
 * them, so they live here, below both, and neither of those modules needs the other's bounds.
 */
import type * as z from 'zod';

/**
 * A connection's metadata schema: an object, or `z.void()` / nothing when the function has none.
 * Nango's name and bound.
 */
export type ZodMetadata = z.ZodObject | z.ZodVoid | undefined;

/**
 * A checkpoint schema: a flat object of strings, numbers and booleans (what a resumable
 * function saves between runs), or nothing.
 */
export type ZodCheckpoint = z.ZodObject<Record<string, z.ZodString | z.ZodNumber | z.ZodBoolean>> | z.ZodObject | undefined;

/**
 * A sync model's schema: an object whose records carry an `id` (string or number), the key
 * `batchSave` upserts on.
 *
 * @example
 * import * as z from 'zod';
 * import type { ZodModel } from 'nango';
 *
 * export const GithubIssue = z.object({ id: z.string(), title: z.string() }) satisfies ZodModel;
 */
export type ZodModel = z.ZodObject<{ id: z.ZodType<string | number> }> | z.ZodObject;
