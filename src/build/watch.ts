/**
 * Watches a folder tree for `dev`: one non-recursive `fs.watch` per folder (following alias
 * links, skipping node_modules and hidden folders). Node's recursive watch on Linux loses a file
 * once an editor saves it by rename (atomic save), and misses folders behind symlinks; a watch
 * on each folder sees both, and the set is rescanned after every event to pick up new folders.
 *
 * @example
 * const watcher = watchTree(paths.integrationsDir, (file) => schedule(file));
 * process.once('SIGINT', () => watcher.close());
 */
import { readdirSync, realpathSync, statSync, watch, type FSWatcher } from 'node:fs';
import path from 'node:path';

/** A running watch; `close()` stops every folder watch. */
export interface TreeWatcher {
  close(): void;
}

const SKIPPED = (name: string) => name === 'node_modules' || name.startsWith('.');

function folders(root: string): string[] {
  const out: string[] = [];
  const seen = new Set<string>();
  const walk = (dir: string) => {
    let real: string;
    try {
      real = realpathSync(dir);
    } catch {
      return;
    }
    if (seen.has(real)) return;
    seen.add(real);
    out.push(dir);
    let names: string[] = [];
    try {
      names = readdirSync(dir);
    } catch {
      return;
    }
    for (const name of names) {
      if (SKIPPED(name)) continue;
      const full = path.join(dir, name);
      try {
        if (statSync(full).isDirectory()) walk(full);
      } catch {
        // vanished meanwhile
      }
    }
  };
  walk(root);
  return out;
}

/** Calls `onChange(pathRelativeToRoot)` for every change under `root`. */
export function watchTree(root: string, onChange: (file: string) => void): TreeWatcher {
  const watchers = new Map<string, FSWatcher>();
  let closed = false;
  const rescan = () => {
    if (closed) return;
    const wanted = new Set(folders(root));
    for (const [dir, watcher] of watchers) {
      if (!wanted.has(dir)) {
        watcher.close();
        watchers.delete(dir);
      }
    }
    for (const dir of wanted) {
      if (watchers.has(dir)) continue;
      try {
        const watcher = watch(dir, (_event, name) => {
          const file = path.relative(root, name ? path.join(dir, String(name)) : dir).split(path.sep).join('/');
          onChange(file);
          rescan();
        });
        watcher.on('error', () => {
          watcher.close();
          watchers.delete(dir);
        });
        watchers.set(dir, watcher);
      } catch {
        // the folder went away between scan and watch
      }
    }
  };
  rescan();
  return {
    close() {
      closed = true;
      for (const watcher of watchers.values()) watcher.close();
      watchers.clear();
    },
  };
}
