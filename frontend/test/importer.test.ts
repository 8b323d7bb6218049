import { describe, expect, it } from 'vitest';
import { labelFor } from '../src/lib/importer';

describe('labelFor', () => {
  it('labels a file by its folder, a fixed label, or not at all', () => {
    const file = { name: 'a.jpg', webkitRelativePath: 'yoga/chair/a.jpg' };
    expect(labelFor(file, { kind: 'folder' })).toBe('chair');
    expect(labelFor({ name: 'a.jpg', webkitRelativePath: 'chair/a.jpg' }, { kind: 'folder' })).toBe('chair');
    expect(labelFor({ name: 'a.jpg', webkitRelativePath: '' }, { kind: 'folder' })).toBeUndefined();
    expect(labelFor(file, { kind: 'fixed', label: 'tree' })).toBe('tree');
    expect(labelFor(file, { kind: 'none' })).toBeUndefined();
  });
});
