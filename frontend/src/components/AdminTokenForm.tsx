import { type FormEvent, useState } from 'react';

export const ADMIN_TOKEN_KEY = 'posestream.adminToken';

export function storedAdminToken(): string {
  return localStorage.getItem(ADMIN_TOKEN_KEY) ?? '';
}

/** The admin token the registry API needs; kept in this browser's localStorage. */
export function AdminTokenForm(props: { token: string; onToken: (token: string) => void }) {
  const [value, setValue] = useState(props.token);
  const save = (event: FormEvent) => {
    event.preventDefault();
    const token = value.trim();
    if (token) localStorage.setItem(ADMIN_TOKEN_KEY, token);
    else localStorage.removeItem(ADMIN_TOKEN_KEY);
    props.onToken(token);
  };
  return (
    <form className="row" onSubmit={save} data-testid="admin-token-form">
      <label>
        Admin token
        <input
          type="password"
          data-testid="admin-token-input"
          placeholder="POSE_ADMIN_TOKEN (dev mode: dev-admin-token)"
          value={value}
          onChange={(e) => setValue(e.target.value)}
          autoComplete="off"
        />
      </label>
      <button type="submit" data-testid="admin-token-save">
        Use token
      </button>
    </form>
  );
}
