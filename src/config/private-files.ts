/**
 * State files readable by their owner only. PATCHBAY_HOME holds the database (credentials sealed,
 * but also OAuth PKCE verifiers and every synced record in clear) and the encryption key, so the
 * folder is 0700 and every file in it 0600, whatever the process umask says.
 *
 * Files are *created* with their final mode (`open(…, 0o600)`: the umask can only remove bits),
 * never created loose and chmod'ed afterwards: another user could open a file in that window and
 * keep reading through the descriptor after the chmod. `restrictFile` tightens files that exist
 * already (written by an older patchbay, restored from a backup with `cp`).
 */
import { chmodSync, closeSync, fsyncSync, mkdirSync, openSync, statSync } from 'node:fs';

/** Mode of PATCHBAY_HOME and any folder patchbay creates for secrets. */
export const PRIVATE_DIR_MODE = 0o700;
/** Mode of every state file (database, its -wal and -shm, key files). */
export const PRIVATE_FILE_MODE = 0o600;

function chmodIfLoose(target: string, mode: number): void {
  let current: number;
  try {
    current = statSync(target).mode & 0o777;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw error;
  }
  if ((current & 0o077) === 0) return;
  try {
    chmodSync(target, current & mode);
  } catch (error) {
    // Not ours (EPERM): leave it. Files inside are still created 0600.
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') throw error;
  }
}

/**
 * Creates `dir` (and missing parents) 0700, or takes group and other bits off an existing one.
 * Use it for folders that are patchbay's own (PATCHBAY_HOME, `retired/`), never for a folder a
 * user handed in for something else.
 *
 * @example
 * ensurePrivateDir(paths.home); // drwx------
 */
export function ensurePrivateDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: PRIVATE_DIR_MODE });
  chmodIfLoose(dir, PRIVATE_DIR_MODE);
}

/** Takes group and other bits off `file` when it exists (a missing file is fine). */
export function restrictFile(file: string): void {
  chmodIfLoose(file, PRIVATE_FILE_MODE);
}

/**
 * Creates `file` empty with mode 0600, failing with EEXIST when it exists (O_EXCL): the one way
 * to make a file that is never readable by others, not even for a moment.
 */
export function createPrivateFile(file: string): void {
  closeSync(openSync(file, 'wx', PRIVATE_FILE_MODE));
}

/**
 * fsyncs a folder, so a rename or link in it survives a power loss (the file's own fsync does not
 * cover its directory entry). Best effort: some filesystems refuse to open a folder for sync.
 */
export function syncDir(dir: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(dir, 'r');
    fsyncSync(fd);
  } catch {
    // EISDIR/EPERM on some platforms: nothing more can be done from Node.
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}
