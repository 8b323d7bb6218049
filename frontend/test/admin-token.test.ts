import { describe, expect, it } from 'vitest';
import { ADMIN_TOKEN_KEY, saveAdminToken, storedAdminToken } from '../src/lib/admin-token';

/** The Storage methods admin-token uses, over a Map (node has no localStorage). */
function memoryStorage() {
  const items = new Map<string, string>();
  return {
    items,
    getItem: (key: string) => items.get(key) ?? null,
    setItem: (key: string, value: string) => void items.set(key, value),
    removeItem: (key: string) => void items.delete(key),
  };
}

describe('admin token', () => {
  it('is empty until saved, then read back trimmed under the one key', () => {
    const storage = memoryStorage();
    expect(storedAdminToken(storage)).toBe('');
    expect(saveAdminToken('  dev-admin-token \n', storage)).toBe('dev-admin-token');
    expect(storage.items.get(ADMIN_TOKEN_KEY)).toBe('dev-admin-token');
    expect(storedAdminToken(storage)).toBe('dev-admin-token');
  });

  it('saving an empty token clears it', () => {
    const storage = memoryStorage();
    saveAdminToken('secret', storage);
    expect(saveAdminToken('   ', storage)).toBe('');
    expect(storage.items.has(ADMIN_TOKEN_KEY)).toBe(false);
    expect(storedAdminToken(storage)).toBe('');
  });
});
