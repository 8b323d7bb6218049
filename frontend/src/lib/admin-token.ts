// The admin token (POSE_ADMIN_TOKEN) that the registry, training and all-sessions APIs need.
// One place keeps it, this browser's localStorage, so the Models and Sessions pages share it:
// entered once, it is used by both until it is cleared (saved empty).

export const ADMIN_TOKEN_KEY = 'posestream.adminToken';

type TokenStorage = Pick<Storage, 'getItem' | 'setItem' | 'removeItem'>;

export function storedAdminToken(storage: TokenStorage = localStorage): string {
  return storage.getItem(ADMIN_TOKEN_KEY) ?? '';
}

/** Keep the token (trimmed); an empty one clears it. Returns what was kept. */
export function saveAdminToken(token: string, storage: TokenStorage = localStorage): string {
  const kept = token.trim();
  if (kept) storage.setItem(ADMIN_TOKEN_KEY, kept);
  else storage.removeItem(ADMIN_TOKEN_KEY);
  return kept;
}
