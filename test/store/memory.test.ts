/** The memory Store runs every store contract. */
import { openStore } from '../../src/store/open.ts';
import { runAsyncActionStoreContract } from './async-actions.contract.ts';
import { runConnectionStoreContract } from './connections.contract.ts';
import { runApiKeyStoreContract } from './keys.contract.ts';
import { runKeyValueStoreContract } from './kv.contract.ts';
import { runLockStoreContract } from './locks.contract.ts';

const open = () => openStore({ kind: 'memory' });
runConnectionStoreContract('memory', open);
runKeyValueStoreContract('memory', open);
runLockStoreContract('memory', open);
runApiKeyStoreContract('memory', open);
runAsyncActionStoreContract('memory', open);
