// IndexedDB persistence for one session's pending batches (see buffer.ts).
import { type Batch, firstSeq } from './batcher';
import type { BatchStore } from './buffer';

const DB_NAME = 'posestream';
const STORE = 'pending-batches';

interface Row {
  session: string;
  first: number;
  batch: Batch;
}

function request<T>(req: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}

export function openDatabase(factory: IDBFactory = indexedDB): Promise<IDBDatabase> {
  const open = factory.open(DB_NAME, 1);
  open.onupgradeneeded = () => {
    open.result.createObjectStore(STORE, { keyPath: ['session', 'first'] });
  };
  return request(open);
}

export class IdbStore implements BatchStore {
  constructor(
    private readonly db: IDBDatabase,
    private readonly session: string,
  ) {}

  private range(): IDBKeyRange {
    return IDBKeyRange.bound([this.session, -Infinity], [this.session, Infinity]);
  }

  private async run<T>(mode: IDBTransactionMode, act: (store: IDBObjectStore) => IDBRequest<T>) {
    const tx = this.db.transaction(STORE, mode);
    const done = new Promise<void>((resolve, reject) => {
      tx.oncomplete = () => resolve();
      tx.onerror = () => reject(tx.error);
      tx.onabort = () => reject(tx.error);
    });
    const result = await request(act(tx.objectStore(STORE)));
    await done;
    return result;
  }

  async load(): Promise<Batch[]> {
    const rows = (await this.run('readonly', (s) => s.getAll(this.range()))) as Row[];
    return rows.map((row) => row.batch);
  }

  async put(batch: Batch): Promise<void> {
    const row: Row = { session: this.session, first: firstSeq(batch), batch };
    await this.run('readwrite', (s) => s.put(row));
  }

  async delete(first: number): Promise<void> {
    await this.run('readwrite', (s) => s.delete([this.session, first]));
  }

  async clear(): Promise<void> {
    await this.run('readwrite', (s) => s.delete(this.range()));
  }
}
