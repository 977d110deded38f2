/**
 * Routes of Nango's public API that patchbay does not serve (yet): each answers 501
 * `NOT_IMPLEMENTED` with what to do instead, never a bare 404, so a backend moving over learns
 * at once where it stands.
 */
import type { Hono, MiddlewareHandler } from 'hono';
import { PatchbayError } from '../../errors.ts';
import type { AppEnv } from '../middleware.ts';

const ALL = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'];

/** [methods, paths, what to do instead]. */
const NOT_SERVED: Array<[string[], string[], string]> = [
  [['PATCH'], ['/connections/:connectionId', '/connection/:connectionId'], 'patchbay has no end users, tags or per-connection webhook URLs yet; metadata changes go to POST or PATCH /connections/metadata.'],
  [ALL, ['/connect/sessions', '/connect/sessions/*', '/connect/session'], 'Connect sessions (Nango’s Connect UI) are not served. Start an OAuth flow with GET /connect/<integration>?connection_id=<id> and send the user to the URL it returns.'],
  [['POST'], ['/auth/*', '/api-auth/*'], 'Headless auth routes are not served. Add API-key, basic or token connections with `patchbay connection add`, and OAuth ones with GET /connect/<integration>.'],
  [['GET'], ['/scripts/config', '/integrations/:uniqueKey/functions', '/integrations/:uniqueKey/functions/*'], 'GET /integrations/<key> lists each integration’s functions with their JSON schemas.'],
  [['GET'], ['/environment-variables'], 'Environment variables live in integrations/<id>/integration.json under "environment" (values may be ${ENV} references) and reach functions through nango.getEnvironmentVariables().'],
  [ALL, ['/sync/:name/variant/:variant'], 'Sync variants are not available in this version of patchbay.'],

  [ALL, ['/sync/deploy', '/sync/deploy/*', '/functions/*'], 'Deploying over the API is not served yet: build with `patchbay compile` and restart `patchbay serve` (or run `patchbay dev`).'],
  [ALL, ['/webhook/*'], 'Incoming provider webhooks are not served in this version of patchbay.'],
  [ALL, ['/environments', '/environments/*', '/environment/*'], 'patchbay has one environment: the project. API keys are made with `patchbay key create`.'],
];

/**
 * Mounts the 501 answers behind the API-key check, before the served routes (so
 * `/connect/sessions` is not read as an integration named "sessions").
 *
 * @example
 * mountNotServed(app, requireKey(verify));
 */
export function mountNotServed(app: Hono<AppEnv>, key: MiddlewareHandler<AppEnv>): void {
  for (const [methods, paths, instead] of NOT_SERVED) {
    for (const path of paths) {
      app.on(methods, path, key, async (c, next) => {
        // `/connections/metadata` is served: a pattern like `/connections/:connectionId` lets it through.
        if (c.req.param('connectionId') === 'metadata') return next();
        throw new PatchbayError('NOT_IMPLEMENTED', instead);
      });
    }
  }
}
