import { AsyncLocalStorage } from 'node:async_hooks';

/** What a request or a job carries through every async call: ids for logs, never data. */
export interface RequestContextStore {
  requestId: string;
  userId?: string;
  tenantId?: string;
}

const storage = new AsyncLocalStorage<RequestContextStore>();

export const RequestContext = {
  run<T>(store: RequestContextStore, fn: () => T): T {
    return storage.run(store, fn);
  },
  /** Enters a context for the rest of the current async execution (used by HTTP hooks). */
  enter(store: RequestContextStore): void {
    storage.enterWith(store);
  },
  current(): RequestContextStore | undefined {
    return storage.getStore();
  },
  set(values: Partial<RequestContextStore>): void {
    const store = storage.getStore();
    if (store) Object.assign(store, values);
  },
};
