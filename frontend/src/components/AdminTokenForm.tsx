import { type FormEvent, useState } from 'react';
import { saveAdminToken } from '../lib/admin-token';

/** Enter the admin token; it is kept (lib/admin-token) for every page that needs it. */
export function AdminTokenForm(props: {
  token: string;
  onToken: (token: string) => void;
  submitLabel?: string;
}) {
  const [value, setValue] = useState(props.token);
  const save = (event: FormEvent) => {
    event.preventDefault();
    props.onToken(saveAdminToken(value));
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
        {props.submitLabel ?? 'Use token'}
      </button>
    </form>
  );
}
