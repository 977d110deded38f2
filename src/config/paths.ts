/**
 * Where patchbay reads and writes. Everything patchbay writes lives under PATCHBAY_HOME
 * (default `./.patchbay`): the embedded database, build output, the key file.
 */
import path from 'node:path';

export interface ProjectPaths {
  /** The project folder (where `integrations/` lives). */
  root: string;
  /** The integrations folder (`--integrations` or `<root>/integrations`). */
  integrationsDir: string;
  /** PATCHBAY_HOME. */
  home: string;
  /** Bundles and manifest. */
  buildDir: string;
  manifestFile: string;
  /** The embedded SQLite database. */
  databaseFile: string;
  /** The generated encryption key (mode 0600) when PATCHBAY_ENCRYPTION_KEY is not set. */
  keyFile: string;
}

export interface PathOptions {
  cwd?: string | undefined;
  integrations?: string | undefined;
  home?: string | undefined;
  env?: NodeJS.ProcessEnv | undefined;
}

/** Resolves every path from options, then the environment, then defaults. */
export function resolvePaths(options: PathOptions = {}): ProjectPaths {
  const env = options.env ?? process.env;
  const root = path.resolve(options.cwd ?? process.cwd());
  const integrationsDir = path.resolve(root, options.integrations ?? env['PATCHBAY_INTEGRATIONS'] ?? 'integrations');
  const home = path.resolve(root, options.home ?? env['PATCHBAY_HOME'] ?? '.patchbay');
  const buildDir = path.join(home, 'build');
  return {
    root,
    integrationsDir,
    home,
    buildDir,
    manifestFile: path.join(buildDir, 'manifest.json'),
    databaseFile: path.join(home, 'patchbay.db'),
    keyFile: path.join(home, 'encryption.key'),
  };
}
