import { useState } from 'preact/hooks';
import { ApiError, api, token } from './api';

/** Checks the token against the API before keeping it, so a typo is told at once. */
export function SignIn({ onSignedIn }: { onSignedIn: () => void }) {
  const [value, setValue] = useState('');
  const [error, setError] = useState('');

  const submit = async (event: Event) => {
    event.preventDefault();
    token.set(value.trim());
    try {
      await api('GET', '/admin/summary');
      onSignedIn();
    } catch (failure) {
      token.clear();
      setError(failure instanceof ApiError && failure.status === 401 ? 'That token is not an admin token.' : String((failure as Error).message));
    }
  };

  return (
    <form class="sign-in" onSubmit={submit} aria-describedby="sign-in-help">
      <p id="sign-in-help">Sign in with the admin token (ADMIN_TOKEN). It is kept for this tab only.</p>
      <label for="admin-token">Admin token</label>
      <input id="admin-token" type="password" autoComplete="off" required value={value} onInput={(event) => setValue(event.currentTarget.value)} />
      <button type="submit" class="primary">Sign in</button>
      {error && <p class="notice error" role="alert">{error}</p>}
    </form>
  );
}
