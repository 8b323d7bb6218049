// Sessions this browser created, with their tokens, so the sessions page can open them
// without the admin token (localStorage; the token reaches only its own session).

export interface SavedSession {
  id: string;
  token: string;
  name: string;
  model: string;
  createdAt?: string;
}

const KEY = 'posestream.sessions';
const MAX_SAVED = 500;

export function savedSessions(): SavedSession[] {
  try {
    return JSON.parse(localStorage.getItem(KEY) ?? '[]') as SavedSession[];
  } catch {
    return [];
  }
}

export function rememberSession(session: SavedSession): void {
  const entry = { ...session, createdAt: session.createdAt ?? new Date().toISOString() };
  const others = savedSessions().filter((saved) => saved.id !== session.id);
  localStorage.setItem(KEY, JSON.stringify([entry, ...others].slice(0, MAX_SAVED)));
}

export function savedToken(id: string): string | undefined {
  return savedSessions().find((saved) => saved.id === id)?.token;
}
