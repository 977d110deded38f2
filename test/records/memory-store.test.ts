import { createMemoryRecordStore } from '../../src/store/memory/records.ts';
import { runRecordStoreContract } from './record-store.contract.ts';

runRecordStoreContract({ name: 'memory', create: async () => ({ store: createMemoryRecordStore(), close: async () => {} }) });
