/**
 * The Node.js version gate of the `patchbay` command. It runs before anything else is loaded:
 * patchbay's modules import `node:sqlite` and rely on type stripping, so on an older Node the
 * first import would die with a stack trace (`ERR_UNKNOWN_BUILTIN_MODULE`) instead of a sentence.
 * This module imports nothing and uses only syntax every Node since 14 parses.
 *
 * @example
 * nodeVersionProblem('20.20.2') // 'patchbay needs Node.js 22.19 or newer; this is Node.js 20.20.2. …'
 * nodeVersionProblem('24.1.0')  // undefined
 */

/** The oldest Node.js patchbay runs on (`engines` in package.json). */
export const MINIMUM_NODE = [22, 19] as const;

/** Undefined when `version` is new enough, else the one line that says what to do. */
export function nodeVersionProblem(version: string): string | undefined {
  const [major = 0, minor = 0] = version.replace(/^v/, '').split('.').map((part) => Number.parseInt(part, 10) || 0);
  const [needMajor, needMinor] = MINIMUM_NODE;
  if (major > needMajor || (major === needMajor && minor >= needMinor)) return undefined;
  return (
    `patchbay needs Node.js ${needMajor}.${needMinor} or newer; this is Node.js ${version.replace(/^v/, '')}. ` +
    'Install Node.js 24 LTS (https://nodejs.org/en/download, or `nvm install 24`), or from a clone run `. scripts/node.sh`, then run the command again.'
  );
}
