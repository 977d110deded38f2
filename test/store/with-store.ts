/** The per-test store of the store contracts: a fresh store from `open`, closed after the test. */
import type { Store } from '../../src/store/types.ts';

export function storeRunner(open: () => Promise<Store>): (fn: (store: Store) => Promise<void>) => () => Promise<void> {
  return (fn) => async () => {
    const store = await open();
    try {
      await fn(store);
    } finally {
      await store.close();
    }
  };
}
